"""One classification of a task's failure (``tasks.base.classify``) for every task."""

from __future__ import annotations

import httpx
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from backend.notifications.persist import UnknownTenant
from tasks.base import Failure, classify


@pytest.mark.parametrize(("exc", "kind"), [
    (OperationalError("SELECT 1", {}, Exception("server closed the connection")),
     Failure.TRANSIENT),  # a DBAPIError too, but PostgreSQL away is not the entry's fault
    (httpx.ConnectError("refused"), Failure.TRANSIENT),
    (RedisConnectionError("reset"), Failure.TRANSIENT),
    (SoftTimeLimitExceeded(), Failure.TRANSIENT),
    (DataError("INSERT", {}, Exception("value too long")), Failure.POISON),
    (IntegrityError("INSERT", {}, Exception("violates")), Failure.POISON),
    (UnknownTenant("gone"), Failure.POISON),
    (ValueError("bad"), Failure.POISON),
    (RuntimeError("a bug"), Failure.PERMANENT),
])
def test_each_failure_has_one_kind(exc: BaseException, kind: Failure):
    assert classify(exc) is kind

