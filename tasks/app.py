"""The Celery application that workers, beat and Flower load (``celery -A tasks.app``).

Importing it reads no settings: ``celeryconfig.from_settings`` is a promise Celery resolves
when the configuration is first needed, from the settings the process's entry point resolved.
"""

from celery import Celery

import celeryconfig
from backend.core.config import get_settings

app = Celery(
    "herald",
    include=["tasks.pipeline", "tasks.retries", "tasks.fallbacks", "tasks.periodic",
             "tasks.digests"],
)
app.config_from_object(celeryconfig)
app.add_defaults(lambda: celeryconfig.from_settings(get_settings()))
