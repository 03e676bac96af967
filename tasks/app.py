"""The Celery application that workers, beat and Flower load (``celery -A tasks.app``).

Importing it reads no settings: ``celeryconfig.from_settings`` is a promise Celery resolves
when the configuration is first needed, from the settings the process's entry point resolved.
"""

from typing import Any

from celery import Celery
from celery.signals import setup_logging

import celeryconfig
from backend.core.config import get_settings
from backend.core.logs import configure

app = Celery(
    "herald",
    include=["tasks.pipeline", "tasks.retries", "tasks.fallbacks", "tasks.periodic",
             "tasks.digests"],
)
app.config_from_object(celeryconfig)
app.add_defaults(lambda: celeryconfig.from_settings(get_settings()))


@setup_logging.connect
def _logging(**_: Any) -> None:
    """Workers and beat log as every other part does (``HERALD_LOG_*``), not as Celery would."""
    settings = get_settings()
    configure(settings.log_level, settings.log_format, settings.log_tasks)
