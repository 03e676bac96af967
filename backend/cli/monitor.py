"""What ``herald up`` prints after its banner: one line when every part serves, a line when a
part stops or comes back, and the status line (``herald status`` in brief) when it changes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import redis

from backend.cli import status
from backend.core.config import Settings
from backend.core.redis import connect
from backend.db.session import Database

Print = Callable[[str], None]


def _serving(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def worker_answers(broker_url: str) -> bool:
    """A Celery worker answered a ping (it consumes the queues)."""
    from celery import Celery

    app = Celery(broker=broker_url)
    try:
        return bool(app.control.ping(timeout=0.5))
    except (OSError, redis.RedisError):
        return False
    finally:
        app.close()


@dataclass
class Monitor:
    settings: Settings
    process_states: Callable[[], dict[str, str]]
    echo: Print
    ready_note: str = ""
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    _states: dict[str, str] = field(default_factory=dict)
    _line: str = ""
    _db: Database | None = None
    _redis: redis.Redis | None = None

    def tick(self) -> None:
        try:
            self._parts()
            if not self.ready:
                self._check_ready()
            else:
                self._status()
        except Exception as exc:  # noqa: BLE001 - a status line must never stop herald up
            self._say(f"status unavailable: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()

    def _say(self, line: str) -> None:
        if line != self._line:
            self._line = line
            self.echo(f"{time.strftime('%H:%M:%S')} {line}")

    def _parts(self) -> None:
        states = self.process_states()
        for name, state in states.items():
            before = self._states.get(name)
            if before is not None and state != before and (self.ready or state in (
                    "BACKOFF", "EXITED", "FATAL")):
                self.echo(f"{time.strftime('%H:%M:%S')} {name}: {state.lower()}"
                          + (" (restarting)" if state in ("BACKOFF", "EXITED") else ""))
        self._states = states

    def _check_ready(self) -> None:
        base = f"http://{self.settings.host}"
        if not (self._states and all(s == "RUNNING" for s in self._states.values())
                and _serving(f"{base}:{self.settings.api_port}/readyz")
                and _serving(f"{base}:{self.settings.gateway_port}/readyz")
                and worker_answers(self.settings.require_urls()[0])):
            return
        self.ready = True
        self.echo(f"Herald is ready ({time.monotonic() - self.started:.0f} s). {self.ready_note}")

    def _status(self) -> None:
        redis_url, database_url = self.settings.require_urls()
        if self._db is None:
            self._db = Database(database_url, pool_size=1)
            self._redis = connect(redis_url)
        assert self._redis is not None
        with self._db.session() as session:
            self._say(status.one_line(status.collect(self._redis, session,
                                                     self.settings.ingest_partitions)))
