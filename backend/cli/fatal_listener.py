"""A supervisord event listener: when a part keeps dying (5 unexpected exits within 60 s, or
supervisord gave up on it: FATAL), say so clearly and stop everything, rather than run on
without it or restart it forever.

Run by supervisord as ``python -m backend.cli.fatal_listener NOTE_FILE``; ``herald up``
prints the note and exits with code 1.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import defaultdict, deque
from pathlib import Path

from supervisor import childutils

DEATHS = 5
WINDOW_SECONDS = 60.0


class CrashLoop:
    """Counts a part's unexpected exits; True once it died too often too fast."""

    def __init__(self, deaths: int = DEATHS, window: float = WINDOW_SECONDS) -> None:
        self.deaths, self.window = deaths, window
        self.exits: dict[str, deque[float]] = defaultdict(deque)

    def died(self, name: str, at: float) -> bool:
        exits = self.exits[name]
        exits.append(at)
        while exits and exits[0] < at - self.window:
            exits.popleft()
        return len(exits) >= self.deaths


def _stop_everything(note: Path, message: str) -> None:
    note.write_text(message + "\n")
    os.kill(os.getppid(), signal.SIGTERM)  # supervisord: stop every program, then exit


def main(note: Path) -> None:
    loop = CrashLoop()
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        fields, _ = childutils.eventdata(payload + "\n")
        name, event = fields.get("processname", "?"), headers["eventname"]
        childutils.listener.ok(sys.stdout)
        if event == "PROCESS_STATE_FATAL" or (
                event == "PROCESS_STATE_EXITED" and fields.get("expected") == "0"
                and loop.died(name, time.monotonic())):
            _stop_everything(note, (
                f"herald: {name} kept dying ({DEATHS} times within {WINDOW_SECONDS:g} s, or "
                "right after each start; its lines above say why). Stopping every part: fix "
                "the cause, then run herald up again."))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
