"""Logging helpers: secrets never reach a log line."""

from __future__ import annotations

import logging
import re
from typing import Any

_SECRET_PARAMS = re.compile(r"((?:token|api_key)=)[^&\s\"']+")


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


def redact_uvicorn_logs() -> None:
    for name in ("uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(RedactSecrets())
