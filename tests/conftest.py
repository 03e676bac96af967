"""Fixtures every real-process layer shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.peers import SmtpServer


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) that records what it receives."""
    server = SmtpServer()
    server.controller.start()
    yield server
    server.controller.stop()
