"""Herald on several hosts, as an operator runs it past one machine, built on this machine:

    edge     10.77.0.2    HAProxy: :8001 readers' sockets and the push API over both
                          gateways (health-checked on /readyz), :8000 the service API
    gw1, gw2 .11, .12     herald gateway
    ingest   .20          herald api, herald bridge
    work     .30          herald worker, herald beat
    redis1-3 .41-.43      Redis (primary on redis1, replicas on the others), a Sentinel each
    pg1, pg2 .51, .52     PostgreSQL primary and its synchronous streaming standby
    client   .100         where the test's readers and producer connect from

Every part is the same ``herald <part>`` command an operator runs, configured only by URL:
Redis through the Sentinels, PostgreSQL by both hosts (``target_session_attrs=read-write``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.cluster import servers
from tests.cluster.hosts import Host, Network, inside, remove_leftovers
from tests.cluster.servers import Postgres, Process, wait_for

HOSTS = {"edge": 2, "gw1": 11, "gw2": 12, "ingest": 20, "work": 30, "redis1": 41,
         "redis2": 42, "redis3": 43, "pg1": 51, "pg2": 52, "client": 100}
REDIS_HOSTS = ("redis1", "redis2", "redis3")


@dataclass
class Cluster:
    root: Path
    network: Network = field(default_factory=Network)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    internal_key: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    processes: dict[str, Process] = field(default_factory=dict)
    postgres: dict[str, Postgres] = field(default_factory=dict)
    tenant: dict[str, str] = field(default_factory=dict)

    # Where things are --------------------------------------------------------------------
    def host(self, name: str) -> Host:
        return self.network.hosts[name]

    @property
    def redis_url(self) -> str:
        sentinels = ",".join(f"{self.host(h).address}:26379" for h in REDIS_HOSTS)
        return f"redis+sentinel://:{self.password}@{sentinels}/{servers.SERVICE}"

    @property
    def database_url(self) -> str:
        hosts = ",".join(f"{self.host(h).address}:5432" for h in ("pg1", "pg2"))
        return (f"postgresql://postgres:{self.password}@/herald?host={hosts}"
                "&target_session_attrs=read-write")

    @property
    def dsn(self) -> str:
        """For the test's own reads of the database (from the client host)."""
        return (f"host={self.host('pg1').address},{self.host('pg2').address} "
                f"port=5432,5432 dbname=herald user=postgres password={self.password} "
                "target_session_attrs=read-write connect_timeout=3")

    @property
    def api_url(self) -> str:
        return f"http://{self.host('edge').address}:8000"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host('edge').address}:8001/ws"

    def env(self, **extra: str) -> dict[str, str]:
        """Every part's settings: the defaults' timers made shorter, in the defaults' order. A
        cut-off server is found gone (about 10 s) well before a task's soft time limit (0.6 x
        the visibility timeout), so a task through a partition fails and retries; with 20 s
        (a 16 s hard limit) a pool process was killed mid-write and wedged the worker."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        env.update(
            HERALD_REDIS_URL=self.redis_url, HERALD_DATABASE_URL=self.database_url,
            HERALD_INTERNAL_KEY=self.internal_key, HERALD_HOST="0.0.0.0",
            HERALD_GATEWAY_URL=f"http://{self.host('edge').address}:8001",
            HERALD_TRUSTED_PROXIES=json.dumps([self.host("edge").address]),
            HERALD_REDIS_MIN_REPLICAS="1", HERALD_LOG_LEVEL="INFO",
            HERALD_BRIDGE_BLOCK_MS="200", HERALD_RETRY_BASE_SECONDS="0.5",
            HERALD_DISPATCH_INTERVAL_SECONDS="0.2", HERALD_BEAT_LOCK_TTL_SECONDS="3",
            HERALD_VISIBILITY_TIMEOUT_SECONDS="60", HERALD_STREAM_REDELIVER_AFTER_SECONDS="10",
            HERALD_BRIDGE_CLAIM_IDLE_MS="5000", HERALD_TENANT_RATE_PER_SECOND="100000",
            HERALD_TENANT_BURST="1000000", HERALD_WORKER_CONCURRENCY="2")
        env.update(extra)
        return env

    # Building it --------------------------------------------------------------------------
    def start(self, say: object = print) -> Cluster:
        remove_leftovers()
        self.root.mkdir(parents=True, exist_ok=True)
        self.network.create()
        for name, octet in HOSTS.items():
            self.network.add(name, octet)
        say(f"hosts up on 10.77.0.0/24 (run {self.network.run_id})")  # type: ignore[operator]
        self._start_redis()
        say("Redis primary, 2 replicas and 3 Sentinels up")  # type: ignore[operator]
        self._start_postgres()
        say("PostgreSQL primary and synchronous standby up")  # type: ignore[operator]
        self._start_herald()
        say("Herald's parts and HAProxy up")  # type: ignore[operator]
        return self

    def _add(self, process: Process) -> Process:
        self.processes[process.name] = process
        return process.start()

    def _start_redis(self) -> None:
        primary = self.host("redis1").address
        for name in REDIS_HOSTS:
            self._add(servers.redis(self.host(name), self.root / name, self.password,
                                    None if name == "redis1" else primary))
        wait_for(lambda: self.redis_info("redis1", "replication")["connected_slaves"] == 2,
                 60, "both replicas to follow the primary")
        for name in REDIS_HOSTS:
            self._add(servers.sentinel(self.host(name), self.root / f"sentinel-{name}",
                                       self.password, primary))
        wait_for(lambda: self._sentinels_agree(everyone=True) == primary, 60, "the Sentinels")

    def redis_client(self, name: str) -> redis.Redis:
        return redis.Redis(self.host(name).address, 6379, password=self.password,
                           socket_timeout=3, socket_connect_timeout=3, decode_responses=True)

    def redis_info(self, name: str, section: str) -> dict[str, object]:
        with inside(self.host("client")):
            return dict(self.redis_client(name).info(section))

    def _sentinels_agree(self, everyone: bool = False) -> str | None:
        """The primary a majority of the Sentinels that answer name (all three, each knowing
        the two others, with ``everyone``), or None."""
        named = []
        with inside(self.host("client")):
            for name in REDIS_HOSTS:
                client = redis.Redis(self.host(name).address, 26379, password=self.password,
                                     socket_timeout=2, socket_connect_timeout=2,
                                     decode_responses=True)
                try:
                    master = client.sentinel_master(servers.SERVICE)
                except redis.RedisError:
                    continue  # cut off or down: the others decide
                if not everyone or int(master["num-other-sentinels"]) == 2:
                    named.append(master["ip"])
        wanted = len(REDIS_HOSTS) if everyone else 2
        return named[0] if len(named) >= wanted and len(set(named)) == 1 else None

    def redis_primary(self) -> str:
        """The host name of the Redis primary the Sentinels name now."""
        found: list[str] = []
        wait_for(lambda: found.append(self._sentinels_agree() or "") or found[-1], 60,
                 "the Sentinels to agree on a primary")
        return next(n for n in REDIS_HOSTS if self.host(n).address == found[-1])

    def redis_replicas(self) -> list[str]:
        primary = self.redis_primary()
        return [n for n in REDIS_HOSTS if n != primary]

    def rejoin(self, name: str) -> None:
        """A Redis that was down or cut off is a replica of the primary again."""
        wait_for(lambda: self.redis_info(name, "replication")["role"] == "slave"
                 and self.redis_info(name, "replication")["master_link_status"] == "up", 90,
                 f"{name} back as a replica")

    def _start_postgres(self) -> None:
        primary = self.postgres["pg1"] = Postgres(self.host("pg1"), self.root / "pg1",
                                                 self.password)
        primary.init_primary()
        self._add_postgres(primary)
        primary.sql("CREATE DATABASE herald")
        self.follow("pg2", "pg1")

    def _add_postgres(self, pg: Postgres) -> None:
        pg.start()
        assert pg.process is not None
        self.processes[pg.process.name] = pg.process
        wait_for(lambda: self._pg_answers(pg.host), 60, f"PostgreSQL on {pg.host.name}")

    def follow(self, standby: str, primary: str) -> None:
        """Make ``standby`` (afresh) a synchronous streaming copy of ``primary``."""
        old = self.postgres.pop(standby, None)
        if old is not None and old.process is not None:
            old.process.kill()
            shutil.rmtree(old.folder, ignore_errors=True)
        pg = self.postgres[standby] = Postgres(self.host(standby), self.root / standby,
                                               self.password)
        pg.init_standby(self.postgres[primary])
        self._add_postgres(pg)
        self.postgres[primary].sql("ALTER SYSTEM SET synchronous_standby_names = '*'",
                                   "SELECT pg_reload_conf()")

    def _pg_answers(self, host: Host) -> bool:
        with inside(self.host("client")), socket.create_connection((host.address, 5432), 2):
            return True

    def _start_herald(self) -> None:
        ingest = self.host("ingest")
        migrated = ingest.run([*_herald(), "migrate"], env=self.env(HERALD_DATA_DIR=str(
            self.root / "ingest")))
        if migrated.returncode != 0:
            raise RuntimeError(f"herald migrate failed: {migrated.stderr}")
        created = ingest.run([*_herald(), "tenant", "create", "cluster", "--json"],
                             env=self.env(HERALD_DATA_DIR=str(self.root / "ingest")))
        if created.returncode != 0:
            raise RuntimeError(f"herald tenant create failed: {created.stderr}")
        self.tenant = json.loads(created.stdout)
        for name in ("gw1", "gw2"):
            self._add(servers.herald_part("gateway", self.host(name), self.env(),
                                          self.root / name))
        self._add(servers.herald_part("api", ingest, self.env(), self.root / "ingest"))
        self._add(servers.herald_part("bridge", ingest, self.env(
            HERALD_BRIDGE_CONSUMER="ingest"), self.root / "ingest"))
        work = self.host("work")
        self._add(servers.herald_part("worker", work, self.env(), self.root / "work"))
        self._add(servers.herald_part("beat", work, self.env(), self.root / "work"))
        self._add(servers.haproxy(self.host("edge"), self.root / "edge",
                                  [self.host("gw1"), self.host("gw2")], ingest))
        wait_for(lambda: self._ready(f"{self.api_url}/readyz"), 90, "the API through HAProxy")
        for name in ("gw1", "gw2"):
            wait_for(lambda name=name: self._ready(
                f"http://{self.host(name).address}:8001/readyz"), 90, f"gateway {name}")
        wait_for(lambda: self._ready(f"http://{self.host('edge').address}:8001/readyz"), 60,
                 "the gateways through HAProxy")

    def _ready(self, url: str) -> bool:
        with inside(self.host("client")), urllib.request.urlopen(url, timeout=3) as answer:
            return bool(answer.status == 200)

    # Faults -------------------------------------------------------------------------------
    def kill(self, name: str) -> None:
        self.processes[name].kill(signal.SIGKILL)

    def restart(self, name: str) -> None:
        self.processes[name].start()

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        self.network.remove()

    def logs(self, *names: str) -> str:
        return "\n".join(f"--- {n}\n{self.processes[n].log()[-3000:]}" for n in names)


def _herald() -> list[str]:
    import sys

    return [sys.executable, "-m", "backend.cli"]
