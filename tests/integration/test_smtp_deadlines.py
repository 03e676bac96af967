"""An SMTP relay that answers one byte at a time never holds a send past its deadline: the
send fails with its reason (the channel's retries follow), it does not stay ``sending``."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from backend.channels.base import TransientError
from backend.channels.email import Deadlines, Email, send
from tests.support.peers import Dripping


@pytest.fixture
def relay() -> Iterator[Dripping]:
    """A real TCP server speaking SMTP's greeting one byte a second, forever."""
    server = Dripping(b"220 slow.example ESMTP" * 100, delay=1.0, reads_first=False)
    yield server
    server.close()


def test_a_dripping_relay_is_cut_off_at_the_send_deadline(relay: Dripping):
    email = Email("reader@example.test", "Subject", "text", "<p>html</p>", "<id@herald>")
    started = time.monotonic()
    with pytest.raises(TransientError, match="took longer than 3 s"):
        send(f"smtp://127.0.0.1:{relay.port}", "herald@example.test", email,
             Deadlines(step_seconds=2, send_seconds=3))
    assert time.monotonic() - started < 6  # the deadline, not a step timeout per byte
