"""The Celery application that workers, beat and Flower load (``celery -A tasks.app``)."""

from celery import Celery

app = Celery(
    "herald",
    include=["tasks.pipeline", "tasks.retries", "tasks.fallbacks", "tasks.periodic",
             "tasks.digests"],
)
app.config_from_object("celeryconfig")
