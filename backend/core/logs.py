"""Logging helpers: secrets never reach a log line."""

from __future__ import annotations

import logging
import re

_SECRET_PARAMS = re.compile(r"((?:token|api_key)=)[^&\s\"']+")


class RedactSecrets(logging.Filter):
    """Tokens in WebSocket URLs would otherwise land in access logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_PARAMS.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_uvicorn_logs() -> None:
    for name in ("uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(RedactSecrets())
