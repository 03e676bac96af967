"""The Celery application that workers, beat and Flower load (``celery -A tasks.app``).

Importing it reads no settings: ``celeryconfig.from_settings`` is a promise Celery resolves
when the configuration is first needed, from the settings the process's entry point resolved.
"""

from typing import Any

from celery import Celery
from celery.signals import beat_init, setup_logging, worker_init, worker_process_init

import celeryconfig
from backend.core import collector, tracing
from backend.core.config import get_settings
from backend.core.logs import configure

app = Celery(
    "herald",
    include=["tasks.pipeline", "tasks.retries", "tasks.fallbacks", "tasks.periodic",
             "tasks.digests", "tasks.webhooks"],
)
app.config_from_object(celeryconfig)
app.add_defaults(lambda: celeryconfig.from_settings(get_settings()))


TRACED_LIBRARIES = ("celery", "sqlalchemy", "httpx")


@setup_logging.connect
def _logging(**_: Any) -> None:
    """Workers and beat log as every other part does (``HERALD_LOG_*``), not as Celery would."""
    settings = get_settings()
    configure(settings.log_level, settings.log_format, settings.log_tasks)


@worker_init.connect
def _housekeeping_in_flower(**_: Any) -> None:
    from tasks.base import PeriodicTask

    shown = get_settings().flower_housekeeping
    for task in app.tasks.values():
        if isinstance(task, PeriodicTask):
            task.send_events = shown


@worker_init.connect
def _metrics(**_: Any) -> None:
    from tasks import metrics_server

    metrics_server.serve(get_settings())


@worker_init.connect
@worker_process_init.connect
def _settle(**_: Any) -> None:
    """The worker's parent before it forks its pool, and each pool process once started."""
    collector.settle(get_settings())


@worker_process_init.connect
def _tracing(**_: Any) -> None:
    """Each pool process exports its own spans (the exporter's thread does not survive a
    fork): set up after it, as Celery's instrumentation asks."""
    tracing.setup("worker", instrument=TRACED_LIBRARIES)


@worker_init.connect
def _tracing_in_threads(sender: Any, **_: Any) -> None:
    """The outbound worker's pool is threads: no fork, so its one process sets up here."""
    if "prefork" not in str(getattr(sender, "pool_cls", "prefork")):
        tracing.setup("outbound", instrument=TRACED_LIBRARIES)


@beat_init.connect
def _beat_sends_quietly(sender: Any, **_: Any) -> None:
    """Beat sends only ticks: no "task sent" events for Flower unless housekeeping is shown."""
    sender.app.conf.task_send_sent_event = get_settings().flower_housekeeping
