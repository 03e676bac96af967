"""python-socketio on uvicorn, the peer bench/peers.py measures Herald's gateway against.
``POST /blast {"n": N, "frame": {...}}`` emits the frame N times to every socket."""

import json
import sys

import socketio
import uvicorn

sio = socketio.AsyncServer(async_mode="asgi", transports=["websocket"])


async def blast(scope, receive, send):
    if scope["type"] != "http" or scope["path"] != "/blast":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    order = json.loads(body)
    for i in range(order["n"]):
        await sio.emit("notification", {**order["frame"], "seq": i + 1})
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


app = socketio.ASGIApp(sio, other_asgi_app=blast)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                ws_per_message_deflate=False)
