"""Secrets are redacted from log records, which keep their shape for uvicorn's formatter."""

from __future__ import annotations

import io
import json
import logging

import pytest

from backend.core.logs import TASK_LOGGERS, RedactSecrets, configure, journey


@pytest.fixture(autouse=True)
def _root_logger_restored():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in TASK_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


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


@pytest.mark.parametrize("secret", ["Token=abc", "TOKEN=abc", "API_KEY=abc", "Api_Key=abc"])
def test_redaction_ignores_case(secret: str):
    rec = record(f"GET /ws?{secret}&x=1", ())
    RedactSecrets().filter(rec)
    assert "abc" not in rec.getMessage() and "[redacted]&x=1" in rec.getMessage()


def _captured(fmt: str, level: str = "INFO") -> tuple[logging.Logger, io.StringIO]:
    configure(level, fmt)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    return logging.getLogger("herald.test"), stream


def test_journey_lines_carry_the_ids_in_text_and_json():
    logger, stream = _captured("text")
    journey(logger, "accepted", [("t1", "n1"), ("t1", "n2")])
    assert stream.getvalue().splitlines()[1].endswith(
        "INFO herald.test accepted [tenant_id=t1 notification_id=n2]")
    logger, stream = _captured("json")
    logger.warning("token=abc leaked?", extra={"tenant_id": "t9"})
    line = json.loads(stream.getvalue())
    assert (line["level"], line["logger"], line["tenant_id"]) == ("WARNING", "herald.test", "t9")
    assert line["message"] == "token=[redacted] leaked?"


def test_below_info_journey_writes_nothing_and_beat_ticks_are_off_unless_asked():
    logger, stream = _captured("text", "WARNING")
    journey(logger, "accepted", [("t1", "n1")])
    assert stream.getvalue() == ""
    _, stream = _captured("text")
    beat = logging.getLogger("celery.beat")
    beat.info("Scheduler: Sending due task %s", "tick")
    beat.info("beat: Starting...")
    assert stream.getvalue().count("\n") == 1 and "beat: Starting" in stream.getvalue()
