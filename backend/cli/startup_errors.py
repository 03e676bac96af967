"""A command that cannot start says why in one line, with what to do, not in a traceback."""

from __future__ import annotations

import errno

import redis
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from backend.core.errors import HeraldError


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _settings(exc: ValidationError) -> str:
    problems = "; ".join(f"HERALD_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                         for e in exc.errors())
    return f"invalid setting ({problems}): fix the environment or .env"


def explain(exc: BaseException) -> str | None:
    """The line for an error a user can fix (a setting, a port, a server away), else None."""
    if isinstance(exc, ValidationError):
        return _settings(exc)
    if isinstance(exc, OperationalError):
        return (f"cannot reach PostgreSQL ({_first_line(exc.orig or exc)}): is it running? "
                "Check HERALD_DATABASE_URL (unset: the embedded server)")
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return (f"cannot reach Redis ({_first_line(exc)}): is it running? Check "
                "HERALD_REDIS_URL (unset: the embedded server)")
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (f"a port is taken by another program ({_first_line(exc)}): stop it, or set "
                "HERALD_API_PORT / HERALD_GATEWAY_PORT / HERALD_FLOWER_PORT")
    if isinstance(exc, HeraldError | RuntimeError) and not isinstance(exc, NotImplementedError):
        return _first_line(exc)
    return None
