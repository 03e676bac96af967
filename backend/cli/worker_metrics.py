"""Where a worker's pool processes keep their counters, so that the worker's parent can
export their sums (``prometheus_client``'s multiprocess mode).

Set before ``prometheus_client`` is first imported: it chooses how values are kept then.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from backend.cli.embedded import pid_alive
from backend.core.config import Settings

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "worker-"


def use_files(settings: Settings) -> Path:
    """A fresh folder for this worker's counters; those of workers no longer running are
    removed (their counts went with them, as a restarted process's do)."""
    root = settings.data_dir / "metrics"
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob(f"{PREFIX}*"):
        pid = old.name.removeprefix(PREFIX)
        if not pid.isdigit() or not pid_alive(int(pid)) or int(pid) == os.getpid():
            shutil.rmtree(old, ignore_errors=True)
    folder = root / f"{PREFIX}{os.getpid()}"
    folder.mkdir()
    os.environ[VARIABLE] = str(folder.resolve())
    return folder
