"""What gateway nodes say to each other over their Redis channels, one encode and decode each.

- ``PushRequest``: offer these items to your sockets, and reply on my channel.
- ``PushReply``: per notification id, whether one of my sockets took it.
- ``LiveFrames``: give these frames to every socket of this reader (state changes, counts),
  from another node on this node's channel or from outside the gateway on the channel every
  node listens on.
- ``NodeEvent``: a node started or stopped, on the channel every node listens on: each node
  knows the others at once, and a node alone looks up no presence at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from backend.notifications.messages import LiveFrames, PushItem

ReaderKey = tuple[str, str]  # (tenant id, the product's own user id)


@dataclass(frozen=True)
class PushRequest:
    rid: str
    reply_to: str
    items: list[PushItem]

    def encode(self) -> str:
        return json.dumps({"op": "push", "rid": self.rid, "reply_to": self.reply_to,
                           "items": [i.to_dict() for i in self.items]})


@dataclass(frozen=True)
class PushReply:
    rid: str
    results: dict[str, bool]

    def encode(self) -> str:
        return json.dumps({"op": "reply", "rid": self.rid, "results": self.results})


@dataclass(frozen=True)
class NodeEvent:
    node_id: str
    joined: bool

    def encode(self) -> str:
        return json.dumps({"op": "node", "node": self.node_id, "joined": self.joined})


NodeMessage = PushRequest | PushReply | LiveFrames | NodeEvent


def decode(raw: str) -> NodeMessage:
    message = json.loads(raw)
    op = message["op"]
    if op == "push":
        return PushRequest(message["rid"], message["reply_to"],
                           [PushItem.from_dict(i) for i in message["items"]])
    if op == "reply":
        return PushReply(message["rid"], message["results"])
    if op == "node":
        return NodeEvent(message["node"], bool(message["joined"]))
    if op == "live":
        return LiveFrames.from_dict(message)
    if op == "send":  # one frame, as a node of the previous version sends it
        return LiveFrames.from_dict({"reader": message["reader"], "frames": [message["frame"]]})
    raise ValueError(f"unknown node message {op!r}")
