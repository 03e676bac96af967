"""An SMTP relay that answers one byte at a time never holds a send past its deadline: the
send fails with its reason (the channel's retries follow), it does not stay ``sending``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from backend.channels.base import TransientError
from backend.channels.email import Deadlines, Email, send
from tests.support.harness import free_port


class DrippingRelay:
    """A real TCP server speaking SMTP's greeting one byte a second, forever."""

    def __init__(self, delay: float = 1.0) -> None:
        self.port, self.delay = free_port(), delay
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            for byte in b"220 slow.example ESMTP" * 100:
                if self.stopped.wait(self.delay):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self) -> None:
        self.stopped.set()
        self.server.close()


@pytest.fixture
def relay() -> Iterator[DrippingRelay]:
    server = DrippingRelay()
    yield server
    server.close()


def test_a_dripping_relay_is_cut_off_at_the_send_deadline(relay: DrippingRelay):
    email = Email("reader@example.test", "Subject", "text", "<p>html</p>", "<id@herald>")
    started = time.monotonic()
    with pytest.raises(TransientError, match="took longer than 3 s"):
        send(f"smtp://127.0.0.1:{relay.port}", "herald@example.test", email,
             Deadlines(step_seconds=2, send_seconds=3))
    assert time.monotonic() - started < 6  # the deadline, not a step timeout per byte
