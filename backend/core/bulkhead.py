"""A shared batch fails one member at a time. Herald gathers many readers' and tenants' work
into one statement or round trip (socket opens, replay pages, acknowledgements, a worker's
batch); when such a call fails for a reason a member carries (a value the database or Redis
refuses), the members are tried again in halves, down to the one that fails alone, so that
everyone beside it goes through. One log line names each member that failed alone.

A failure that is about the server, not the data (a connection lost, a timeout) fails the
whole call at once: splitting it would only multiply the waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import redis
from sqlalchemy.exc import OperationalError

T = TypeVar("T")
logger = logging.getLogger(__name__)

# Errors of the server or the network: the same call fails the same way for every member.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OperationalError, redis.ConnectionError, redis.TimeoutError, TimeoutError, ConnectionError)

Failed = list[tuple[T, Exception]]


def _halves(members: Sequence[T]) -> tuple[Sequence[T], Sequence[T]]:
    middle = len(members) // 2
    return members[:middle], members[middle:]


def _alone(what: str, member: object, exc: Exception) -> None:
    logger.warning("%s: %r failed alone (%s: %s); the rest of its batch went through",
                   what, member, type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc)
                   else "")


async def apart(members: Sequence[T], run: Callable[[Sequence[T]], Awaitable[object]],
                what: str) -> Failed[T]:
    """``run(members)``; if it fails for one of them, halves until each failure is alone.
    Returns the members that failed alone, with their errors."""
    try:
        await run(members)
        return []
    except UNAVAILABLE:
        raise
    except Exception as exc:  # noqa: BLE001 - a member's value; found by splitting
        if len(members) == 1:
            _alone(what, members[0], exc)
            return [(members[0], exc)]
    first, second = _halves(members)
    return await apart(first, run, what) + await apart(second, run, what)


def apart_sync(members: Sequence[T], run: Callable[[Sequence[T]], object], what: str,
               catch: tuple[type[Exception], ...] = (Exception,)) -> Failed[T]:
    """``apart`` for blocking code (a worker's batch); only ``catch`` errors are split on."""
    try:
        run(members)
        return []
    except UNAVAILABLE:
        raise
    except catch as exc:
        if len(members) == 1:
            _alone(what, members[0], exc)
            return [(members[0], exc)]
    first, second = _halves(members)
    return apart_sync(first, run, what, catch) + apart_sync(second, run, what, catch)
