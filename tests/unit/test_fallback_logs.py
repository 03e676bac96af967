"""A fallback send that raises is logged by ids: never the reader's address or text."""

from __future__ import annotations

import logging

import pytest

from backend.channels.email import Email
from backend.notifications.backoff import Backoff
from backend.notifications.fallback import Begun, send


class Broken:
    name = "email"

    def send(self, message: Email) -> None:
        raise RuntimeError(f"could not encode {message.to}")


def test_a_raising_send_logs_ids_only(caplog: pytest.LogCaptureFixture):
    email = Email("ada@example.org", "Your salary slip", "secret text", "<p>secret</p>", "<x>")
    with caplog.at_level(logging.INFO):
        result = send(Broken(), Begun(email, 42, 0, 1), Backoff(1, 10, 3))  # type: ignore[arg-type]
    assert result.outcome == "failed"
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "attempt 42 raised RuntimeError" in logged
    for private in ("ada@example.org", "salary", "secret"):
        assert private not in logged
