"""The periodic digest task; what a digest is lives in ``backend.notifications.digests``."""

from __future__ import annotations

from backend.notifications import digests
from backend.notifications.queues import SEND_DIGESTS
from tasks.app import app
from tasks.base import PeriodicTask
from tasks.runtime import runtime


@app.task(name=SEND_DIGESTS, base=PeriodicTask)
def send_digests() -> int:
    rt = runtime()
    return digests.send_due(rt.db, rt.email)
