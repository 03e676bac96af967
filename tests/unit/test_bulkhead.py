"""A shared batch fails one member at a time (``bulkhead``), and every value a client sends
is judged at the door: the same hostile values against every schema and frame rule."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from backend.core import bulkhead
from backend.notifications.frames import FrameError, offset
from backend.notifications.schemas import (
    NotificationCreate,
    NotificationEdit,
    ScheduleCreate,
    SubscribersChange,
    WebhookCreate,
)
from backend.templates.schemas import TemplateUpsert
from backend.tenants.schemas import TokenCreate, UserUpdate
from gateway.batcher import Batcher

HOSTILE: list[Any] = ["\ud800", "a\udfffb", "nul\x00", 2 ** 63, -1, 1e308, math.nan,
                      math.inf, True, None, [], {}, "x" * 100_000]


def test_apart_finds_each_bad_member_and_passes_the_rest():
    ran: list[list[int]] = []

    def run(members: Sequence[int]) -> None:
        if 13 in members or 40 in members:
            raise ValueError("bigint out of range")
        ran.append(list(members))

    failed = bulkhead.apart_sync(list(range(64)), run, "member")
    assert [m for m, _ in failed] == [13, 40]
    assert sorted(m for part in ran for m in part) == [m for m in range(64) if m not in (13, 40)]


def test_a_server_away_fails_the_whole_batch_at_once():
    calls = []

    def run(members: Sequence[int]) -> None:
        calls.append(members)
        raise ConnectionError("database away")

    with pytest.raises(ConnectionError):
        bulkhead.apart_sync(list(range(64)), run, "member")
    assert len(calls) == 1  # not 127 calls waiting on a server that is not there


async def test_a_batched_load_answers_everyone_but_the_bad_key():
    async def load(keys: Sequence[str]) -> dict[str, str]:
        if "\ud800" in keys:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return {key: key.upper() for key in keys}

    batcher: Batcher[str, str] = Batcher(load)
    keys = ["a", "b", "\ud800", "c", "d"]
    results = await asyncio.gather(*(batcher.get(k) for k in keys), return_exceptions=True)
    assert results[:2] + results[3:] == ["A", "B", "C", "D"]
    assert isinstance(results[2], UnicodeEncodeError)


def _notification(**overrides: Any) -> dict[str, Any]:
    return {"recipients": ["u"], "content": {"title": "t", "body": "b"}, **overrides}


# Each rule and how a hostile value reaches it.
SCHEMAS: list[tuple[type[BaseModel], Any]] = [
    (NotificationCreate, lambda v: _notification(recipients=[v])),
    (NotificationCreate, lambda v: _notification(content={"title": v})),
    (NotificationCreate, lambda v: _notification(data={"k": [v]})),
    (NotificationCreate, lambda v: _notification(category=v)),
    (NotificationCreate, lambda v: _notification(idempotency_key=v)),
    (NotificationEdit, lambda v: {"content": {"title": v}}),
    (ScheduleCreate, lambda v: {"cron": v, "notification": _notification()}),
    (SubscribersChange, lambda v: {"add": [v]}),
    (WebhookCreate, lambda v: {"url": v, "events": ["notification.read"]}),
    (TemplateUpsert, lambda v: {"title": v}),
    (UserUpdate, lambda v: {"name": v}),
    (TokenCreate, lambda v: {"user_id": v}),
]


@pytest.mark.parametrize(("schema", "body"), SCHEMAS)
@pytest.mark.parametrize("value", HOSTILE[:9], ids=repr)
def test_every_schema_refuses_hostile_values_by_name(schema, body, value):
    """Refused as a validation error (a 422 naming the field), never anything else; a value
    the rule does accept must be one every store can hold."""
    try:
        accepted = schema.model_validate(body(value))
    except ValidationError as exc:
        assert exc.errors()[0]["loc"] or "body" in str(exc)
        return
    dumped = json.dumps(accepted.model_dump(mode="json"))
    dumped.encode("utf-8")  # no lone surrogate survived
    assert "\\u0000" not in dumped


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_frame_offsets_take_only_what_a_bigint_holds(value):
    with pytest.raises(FrameError, match="since must be an integer from 0 to"):
        offset({"since": value}, "hello", "since")


def test_frame_offsets_take_the_whole_range():
    assert offset({"seq": 0}, "ack", "seq") == 0
    assert offset({"seq": 2 ** 63 - 1}, "ack", "seq") == 2 ** 63 - 1
