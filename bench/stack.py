"""The system a benchmark measures: embedded Redis and PostgreSQL in a fresh folder, and
Herald's parts as real processes, as ``herald up`` runs them."""

from __future__ import annotations

import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

from backend.cli.monitor import worker_answers
from backend.core import redis_keys
from tests.support.harness import Proc, free_port, ready_when


def _bridge_reading(redis_url: str) -> Callable[[Proc], bool]:
    """A consumer of the bridge's group read the stream since this bridge started."""
    started = time.time()
    client = redis.Redis.from_url(redis_url, decode_responses=True)

    def reading(_proc: Proc) -> bool:
        try:
            consumers = client.xinfo_consumers(redis_keys.ingest_stream(0),
                                               redis_keys.BRIDGE_GROUP)
        except redis.ResponseError:  # no group yet
            return False
        return any(time.time() - c["idle"] / 1000 > started for c in consumers)

    return reading


def _ready(part: str, env: dict[str, str]) -> Callable[[Proc], bool]:
    """As ``herald up`` tells, at its log level: the worker answers a ping, the bridge reads;
    the lines the tests wait for are INFO, which ``herald up`` does not log."""
    if part == "worker":
        return lambda _proc: worker_answers(env["HERALD_REDIS_URL"])
    if part == "bridge":
        return _bridge_reading(env["HERALD_REDIS_URL"])
    if part == "beat":  # it holds the lock that keeps beat to one instance
        client = redis.Redis.from_url(env["HERALD_REDIS_URL"])
        return lambda _proc: bool(client.exists(redis_keys.BEAT_LOCK))
    return ready_when(part, env)


@dataclass
class BenchStack:
    env: dict[str, str]
    logs: Path
    procs: list[Proc] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.env['HERALD_API_PORT']}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.env['HERALD_GATEWAY_PORT']}"

    def start(self, part: str, **settings: str) -> Proc:
        env = {**self.env, **{f"HERALD_{k.upper()}": v for k, v in settings.items()}}
        proc = Proc(part, [part], env, self.logs / f"{part}-{uuid.uuid4().hex[:4]}.log",
                    _ready(part, env))
        self.procs.append(proc)
        return proc.start()


@contextmanager
def bench_stack(**settings: str) -> Iterator[BenchStack]:
    """Servers started, migrations applied, this process's settings pointing at them; the
    parts are started by the benchmark and all stopped at the end."""
    from backend.cli.embedded import EmbeddedPostgres, EmbeddedRedis
    from backend.db.migrate import upgrade

    work = Path(tempfile.mkdtemp(prefix="herald-bench-"))
    redis_server = EmbeddedRedis(work / "redis", free_port())
    postgres = EmbeddedPostgres(work, free_port())
    redis_server.start()
    postgres.start()
    upgrade(postgres.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update(HERALD_REDIS_URL=redis_server.url, HERALD_DATABASE_URL=postgres.url,
               HERALD_INTERNAL_KEY=secrets.token_urlsafe(16), HERALD_DATA_DIR=str(work),
               HERALD_API_PORT=str(free_port()), HERALD_GATEWAY_PORT=str(free_port()),
               HERALD_BRIDGE_BLOCK_MS="100",
               # herald up's own level: no line per notification (journey logs are INFO).
               HERALD_LOG_LEVEL="WARNING",
               **{f"HERALD_{k.upper()}": v for k, v in settings.items()})
    env["HERALD_GATEWAY_URL"] = f"http://127.0.0.1:{env['HERALD_GATEWAY_PORT']}"
    os.environ.update({k: v for k, v in env.items() if k.startswith("HERALD_")})
    stack = BenchStack(env, work / "logs")
    try:
        yield stack
    finally:
        for proc in reversed(stack.procs):
            proc.stop()
        postgres.stop()
        redis_server.stop()
