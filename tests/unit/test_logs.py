"""Secrets are redacted from log records, which keep their shape for uvicorn's formatter."""

from __future__ import annotations

import logging

from backend.core.logs import RedactSecrets


def record(msg: str, args: tuple[object, ...]) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, msg, args, None)


def test_arguments_are_redacted_and_stay_a_tuple():
    rec = record('%s - "%s %s HTTP/%s" %d',
                 ("127.0.0.1:5", "GET", "/demo?api_key=pk_1&token=eyJ.x.y", "1.1", 200))
    RedactSecrets().filter(rec)
    assert isinstance(rec.args, tuple) and len(rec.args) == 5
    assert rec.getMessage() == ('127.0.0.1:5 - "GET /demo?api_key=[redacted]&token=[redacted] '
                                'HTTP/1.1" 200')


def test_a_plain_message_is_redacted():
    rec = record("connect ws://h/ws?token=secret", ())
    RedactSecrets().filter(rec)
    assert rec.getMessage() == "connect ws://h/ws?token=[redacted]"
