"""A supervisord event listener: when a part keeps dying (supervisord gave up on it, FATAL),
say so clearly and stop everything, rather than run on without it.

Run by supervisord as ``python -m backend.cli.fatal_listener NOTE_FILE``; ``herald up``
prints the note and exits with code 1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from supervisor import childutils


def main(note: Path) -> None:
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        fields, _ = childutils.eventdata(payload + "\n")
        if headers["eventname"] == "PROCESS_STATE_FATAL":
            name = fields.get("processname", "?")
            note.write_text(
                f"herald: {name} kept dying right after it started (see its lines above); "
                "stopping every part. Fix the cause, then run herald up again.\n")
            childutils.listener.ok(sys.stdout)
            childutils.getRPCInterface(os.environ).supervisor.shutdown()
            continue
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
