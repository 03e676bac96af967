"""Logging for every part: one format (text or JSON lines), secrets redacted, and the tenant and
notification ids of the work at hand on every line that concerns it."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import Any

from pythonjsonlogger.json import JsonFormatter

_SECRET_PARAMS = re.compile(r"((?:token|api_key)=)[^&\s\"']+", re.IGNORECASE)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# The ids that follow a notification from the API to the reader (``journey``).
JOURNEY_FIELDS = ("tenant_id", "notification_id")
# Celery's lines per task (received, succeeded, retry) and beat's per tick: a line a second
# each on an idle system, shown only with HERALD_LOG_TASKS (``herald up --verbose``).
TASK_LOGGERS = ("celery.worker.strategy", "celery.app.trace", "celery.beat.ticks")


def _redact(value: Any) -> Any:
    return _SECRET_PARAMS.sub(r"\1[redacted]", value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Tokens in WebSocket and demo URLs would otherwise land in access logs.

    The record keeps its shape (uvicorn's access formatter unpacks ``record.args``): the
    arguments are redacted one by one, never merged into the message.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact(arg) for key, arg in record.args.items()}
        return True


class BeatTicks(logging.Filter):
    """Moves beat's "Sending due task" lines to their own logger, so they can be silenced
    apart from beat's start and errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Scheduler: Sending due task"):
            return logging.getLogger("celery.beat.ticks").isEnabledFor(record.levelno)
        return True


class TextFormatter(logging.Formatter):
    """The classic line, then the journey's ids as ``key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{key}={getattr(record, key)}" for key in JOURNEY_FIELDS
                       if getattr(record, key, None) is not None)
        return f"{line} [{ids}]" if ids else line


def journey(logger: logging.Logger, message: str, notifications: Iterable[tuple[str, str]],
            **fields: Any) -> None:
    """One INFO line per notification, ``(tenant_id, notification_id)``, so that a log
    pipeline follows one notification from the API to the reader (nothing when INFO is off).
    """
    if not logger.isEnabledFor(logging.INFO):
        return
    for tenant_id, notification_id in notifications:
        logger.info(message, extra={"tenant_id": str(tenant_id),
                                    "notification_id": str(notification_id), **fields})


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                             rename_fields={"asctime": "time", "levelname": "level",
                                            "name": "logger"})
    return TextFormatter(TEXT_FORMAT)


def configure(level: str, fmt: str = "text", tasks: bool = False) -> None:
    """The process's logging: one stderr handler on the root logger, for every library."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    for log_filter in (RedactSecrets(), BeatTicks()):
        handler.addFilter(log_filter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in TASK_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if tasks else logging.WARNING)
