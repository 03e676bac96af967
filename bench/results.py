"""Where every benchmark writes its figures: ``bench/results/<kind>-<stamp>.json``, each with
when and on what machine it ran."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop

from backend.core import collector
from backend.core.config import Settings

RESULTS = Path(__file__).parent / "results"


def stamp() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}"


def save(kind: str, figures: dict[str, Any], at: str | None = None) -> Path:
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{kind}-{at or stamp()}.json"
    out.write_text(json.dumps({"at": datetime.now(UTC).isoformat(),
                               "machine": platform.platform(), "cpus": os.cpu_count(),
                               **figures}, indent=2) + "\n")
    print(f"written to {out}")
    return out


def fast_event_loop() -> None:
    """The bench's own clients on uvloop, as uvicorn runs the parts, and with the parts'
    garbage collector policy (ten thousand client sockets made it pause for 0.6 s at a
    time): a client that costs less leaves more of the two cores to what is measured
    (Herald and peers alike)."""
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    collector.settle(Settings())


def allow_many_sockets() -> None:
    """Many sockets need many descriptors, here and in the parts started (they inherit it)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
