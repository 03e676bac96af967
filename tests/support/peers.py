"""Real peers Herald talks to: an SMTP server (aiosmtpd) and an HTTP server standing in for
Slack's incoming webhooks. Both record what they received and can be told to fail."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import socket
import threading
import time
from collections import defaultdict
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.harness import free_port


class SmtpRecorder:
    """aiosmtpd handler: keeps every message by recipient; answers scripted failures first."""

    def __init__(self) -> None:
        self.messages: dict[str, list[Message]] = defaultdict(list)
        self.received_at: dict[str, list[float]] = defaultdict(list)
        self.failures: dict[str, list[str]] = defaultdict(list)  # rcpt -> replies to give first
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                if self.failures[rcpt]:
                    return self.failures[rcpt].pop(0)
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            for rcpt in envelope.rcpt_tos:
                self.messages[rcpt].append(message)
                self.received_at[rcpt].append(time.time())
        return "250 OK"


class SmtpServer:
    def __init__(self) -> None:
        self.recorder = SmtpRecorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def down(self) -> None:
        """Stop listening: connections are refused until ``up``."""
        self.controller.stop()

    def up(self) -> None:
        """Listen again on the same port (a stopped controller cannot start again)."""
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def received(self, rcpt: str) -> list[Message]:
        with self.recorder.lock:
            return list(self.recorder.messages[rcpt])


# The fake Slack listens on 127.0.0.1 over plain HTTP: the settings that let workers post there.
FAKE_SLACK_POLICY = {"HERALD_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]',
                     "HERALD_WEBHOOK_ALLOW_PRIVATE": "true", "HERALD_WEBHOOK_ALLOW_HTTP": "true"}


class SlackWebhook:
    """A local HTTP server answering webhook POSTs with scripted status codes, then 200."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, dict[str, str]]] = []
        self.body = b"error"  # what a failing answer says
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, headers = hook.script.pop(0) if hook.script else (200, {})
                hook.requests.append({"path": self.path, "body": body, "status": status})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else hook.body)

            def log_message(self, *args: object) -> None:
                pass

        self.handler = Handler
        self.port = free_port()
        self.up()

    def up(self) -> None:
        """Serve (again) on the same port."""
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T000/B000/XXX"

    def delivered(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["status"] == 200]

    def close(self) -> None:
        """Stop serving: connections to the port are refused until ``up``."""
        self.server.shutdown()
        self.server.server_close()


class EventReceiver:
    """The product's backend receiving delivery webhooks: records each request's raw body and
    headers, and fails the first ``failures`` attempts of every event id with ``codes`` in
    turn (500, then 503...)."""

    def __init__(self, failures: int = 0, codes: tuple[int, ...] = (500, 503)) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                event_id = json.loads(raw)["id"]
                with receiver.lock:
                    tries = sum(r["id"] == event_id for r in receiver.requests)
                    status = codes[tries % len(codes)] if tries < failures else 200
                    receiver.requests.append({"id": event_id, "raw": raw, "status": status,
                                              "headers": dict(self.headers)})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/herald-events"

    def accepted(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["status"] == 200]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Dripping:
    """A TCP server that answers every connection one byte every ``delay`` seconds (after
    reading the request, when ``reads_first``): a client must not wait it out."""

    def __init__(self, answer: bytes, delay: float = 0.5, reads_first: bool = True) -> None:
        self.answer, self.delay, self.reads_first = answer, delay, reads_first
        self.server = socket.create_server(("127.0.0.1", free_port()))
        self.port = self.server.getsockname()[1]
        self.stopped = threading.Event()
        self.open = 0  # connections being dripped to now
        self.accepted = 0
        self._count = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with self._count:
            self.open, self.accepted = self.open + 1, self.accepted + 1
        try:
            with conn, contextlib.suppress(OSError):  # the client hung up: as it should
                if self.reads_first:
                    conn.recv(65536)
                for byte in self.answer:
                    if self.stopped.wait(self.delay):
                        return
                    conn.sendall(bytes([byte]))
        finally:
            with self._count:
                self.open -= 1

    def close(self) -> None:
        self.stopped.set()
        self.server.close()


class DrippingWebhook(Dripping):
    """A webhook that answers one byte every half second: a worker must not wait it out."""

    def __init__(self) -> None:
        super().__init__(b"HTTP/1.1 200 OK\r\nContent-Length: 120\r\n\r\n" + b"o" * 120)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T/B/drip"
