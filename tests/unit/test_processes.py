"""When the gateway's watcher gives up on a copy instead of starting it again."""

from __future__ import annotations

import signal

import pytest

from backend.cli.processes import START_SECONDS, failed_to_start


@pytest.mark.parametrize("exitcode, lived, gives_up", [
    (1, 0.5, True),                      # its own error at once: port taken, import failed
    (3, 0.5, True),                      # uvicorn never started
    (-signal.SIGKILL, 0.5, False),       # killed right after starting: a crash, start again
    (-signal.SIGSEGV, 0.5, False),
    (1, START_SECONDS + 1, False),       # failed after serving a while: start again
    (0, 0.5, False),                     # ended cleanly
    (None, 0.5, False),                  # still running
])
def test_failed_to_start(exitcode: int | None, lived: float, gives_up: bool):
    assert failed_to_start(exitcode, lived) is gives_up
