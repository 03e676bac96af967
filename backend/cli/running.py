"""What a running ``herald up`` chose, kept in its data folder (``running.json``): its ports
and URLs. Every ``herald`` command run on the same data folder in another shell uses them,
so ``herald status`` reaches this Herald, not another one on the default ports."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from backend.cli.embedded import pid_alive
from backend.core.config import PORTS, Settings

FILE = "running.json"


def record(settings: Settings) -> Path:
    path = settings.data_dir / FILE
    host = settings.host
    path.write_text(json.dumps({
        "pid": os.getpid(), **{name: getattr(settings, name) for name in PORTS},
        "urls": {"api": f"http://{host}:{settings.api_port}",
                 "gateway": f"http://{host}:{settings.gateway_port}",
                 "flower": f"http://{host}:{settings.flower_port}"},
    }, indent=2))
    path.chmod(0o600)
    return path


def forget(settings: Settings) -> None:
    (settings.data_dir / FILE).unlink(missing_ok=True)


def adopted(settings: Settings) -> Settings:
    """``settings`` with the ports of the ``herald up`` running on its data folder, for each
    port this shell did not set itself; as they were when none runs."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        found = json.loads((settings.data_dir / FILE).read_text())
        if pid_alive(int(found["pid"])):
            explicit = {n for n in PORTS if f"HERALD_{n.upper()}" in os.environ}
            return settings.model_copy(update={n: int(found[n]) for n in PORTS
                                               if n not in explicit})
    return settings
