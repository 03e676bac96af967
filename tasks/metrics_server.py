"""The worker's ``/metrics``: served by the worker's parent, summing its pool processes'
counters (``backend.cli.worker_metrics``), the worker's own metrics only."""

from __future__ import annotations

import logging
import os

from prometheus_client import CollectorRegistry, start_http_server

from backend.core import metrics
from backend.core.config import Settings

logger = logging.getLogger(__name__)
FILES = "PROMETHEUS_MULTIPROC_DIR"


def exported() -> CollectorRegistry:
    """What the worker's ``/metrics`` shows: its pool's sums, or (a worker run without
    ``herald worker``, its tasks in this process) its own registry."""
    folder = os.environ.get(FILES)
    if not folder:
        return metrics.WORKER
    registry = CollectorRegistry()
    registry.register(metrics.OwnFromFiles(folder, metrics.WORKER))
    return registry


def serve(settings: Settings) -> None:
    """Serve ``/metrics`` on ``HERALD_WORKER_METRICS_PORT`` (0: none). A port taken (two
    workers on one machine with one setting) costs the metrics, never the deliveries."""
    if not settings.worker_metrics_port:
        return
    try:
        start_http_server(settings.worker_metrics_port, settings.host, exported())
    except OSError as exc:
        logger.warning("worker metrics not served on %s:%d (%s); set "
                       "HERALD_WORKER_METRICS_PORT to a free port, or 0", settings.host,
                       settings.worker_metrics_port, exc)
        return
    logger.info("worker metrics on http://%s:%d/metrics", settings.host,
                settings.worker_metrics_port)
