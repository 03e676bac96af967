"""``herald up`` runs its parts under supervisord: a part that dies is restarted, the others
keep serving. The embedded Redis and PostgreSQL run there too, in the foreground, so a killed
server is restarted from its data (Redis from its append-only file).

supervisord restarts a part that exits at once, and one that dies again within ``startsecs``
with a growing delay (1 s, 2 s, ...); after ``startretries`` such failures it gives up on the
part (FATAL), and ``backend.cli.fatal_listener`` then stops everything with a clear message.
"""

from __future__ import annotations

import contextlib
import getpass
import secrets
import signal
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, cast

import psutil
from supervisor.xmlrpc import SupervisorTransport

from backend.cli.embedded import PG_SYSTEM_USER, EmbeddedServers

PARTS = ("api", "gateway", "bridge", "worker", "outbound", "beat", "flower")
# The worker delivers; the outbound worker beside it sends webhooks, Slack and email.
ARGS = {"worker": ["--delivery"]}
GROUP = "herald"
START_SECONDS = 3  # a part that dies sooner than this after starting failed to start
START_RETRIES = 4  # failed starts in a row before a part is given up (FATAL)
STOP_WAIT_SECONDS = 12  # then SIGKILL; Ctrl-C stops everything within 20 s


def _section(name: str, **options: object) -> str:
    lines = [f"[{name}]"] + [f"{key}={value}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


def _quote(argv: list[str]) -> str:
    return " ".join(f'"{a}"' if " " in a else a for a in argv).replace("%", "%%")


@dataclass
class Supervisor:
    data_dir: Path
    servers: EmbeddedServers
    process: subprocess.Popen[bytes] | None = None
    # The control socket is 0700 in a 0700 folder; a password per run all the same.
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def socket(self) -> Path:
        return (self.data_dir / "supervisor.sock").resolve()

    @property
    def fatal_note(self) -> Path:
        return self.data_dir / "fatal.txt"

    def config(self) -> str:
        python = sys.executable
        sections = [
            _section("supervisord", nodaemon="true", logfile=self.data_dir.resolve() /
                     "supervisord.log", pidfile=self.data_dir.resolve() / "supervisord.pid",
                     childlogdir=self.data_dir.resolve(), loglevel="info",
                     # Its own lines (spawned, exited) go to its log file only: herald up
                     # reports parts that stop or come back in a line of its own.
                     silent="true", user=getpass.getuser(),
                     # Its own default is 022: the parts' files would be readable by all.
                     umask="077"),
            _section("unix_http_server", file=self.socket, chmod="0700", username="herald",
                     password=self.password),
            _section("rpcinterface:supervisor",
                     **{"supervisor.rpcinterface_factory":
                        "supervisor.rpcinterface:make_main_rpcinterface"}),
            _section("supervisorctl", serverurl=f"unix://{self.socket}", username="herald",
                     password=self.password),
            _section("eventlistener:fatal", command=_quote(
                [python, "-m", "backend.cli.fatal_listener", str(self.fatal_note.resolve())]),
                events="PROCESS_STATE_FATAL,PROCESS_STATE_EXITED", autorestart="true"),
        ]
        sections += self._servers()
        for part in PARTS:
            sections.append(_section(
                f"program:{part}",
                command=_quote([python, "-m", "backend.cli", part, *ARGS.get(part, [])]),
                autostart="false", autorestart="true", startsecs=START_SECONDS,
                startretries=START_RETRIES, stopsignal="TERM", stopwaitsecs=STOP_WAIT_SECONDS,
                # TERM to the part only (Celery stops its own pool: a warm shutdown); a part
                # still running at the deadline is killed with all its children.
                stopasgroup="false", killasgroup="true", redirect_stderr="true",
                stdout_logfile="/dev/stdout", stdout_logfile_maxbytes=0))
        sections.append(_section(f"group:{GROUP}", programs=",".join(PARTS)))
        return "\n".join(sections)

    def _servers(self) -> list[str]:
        sections = []
        common = {"autostart": "true", "autorestart": "true", "startsecs": 1,
                  "startretries": START_RETRIES, "priority": 1}
        if self.servers.redis is not None:
            sections.append(_section(
                "program:redis", command=_quote(self.servers.redis.command()), stopsignal="TERM",
                stopwaitsecs=15, umask="077", stdout_logfile=self.servers.redis.log.resolve(),
                **common))
        if self.servers.postgres is not None:
            extra = {"user": PG_SYSTEM_USER} if self.servers.postgres.run_as() else {}
            sections.append(_section(
                "program:postgres", command=_quote(self.servers.postgres.command()),
                stopsignal="INT", stopwaitsecs=30, redirect_stderr="true",
                stdout_logfile=self.servers.postgres.pgdata / "server.log", **common, **extra))
        return sections

    def start(self, env: dict[str, str]) -> None:
        """Run supervisord with the embedded servers started; the parts wait for ``parts``."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.fatal_note.unlink(missing_ok=True)
        if self.servers.postgres is not None:
            self.servers.postgres.init()  # a new cluster on the first run
        path = self.data_dir / "supervisord.conf"
        path.write_text(self.config())
        path.chmod(0o600)
        # A session of its own: Ctrl-C reaches herald up alone, which stops supervisord.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "supervisor.supervisord", "-c", str(path.resolve())],
            env=env, start_new_session=True)
        self._wait_for_socket()
        if self.servers.postgres is not None:
            self.servers.postgres.wait_ready()

    def _rpc(self) -> xmlrpc.client.ServerProxy:
        transport = SupervisorTransport("herald", self.password,
                                        serverurl=f"unix://{self.socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def _wait_for_socket(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._rpc().supervisor.getState()
                return
            except OSError:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError("supervisord exited at start") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def start_parts(self) -> None:
        self._rpc().supervisor.startProcessGroup(GROUP, False)

    def states(self) -> dict[str, str]:
        """Each process's state (RUNNING, BACKOFF, FATAL, ...) by name."""
        infos = cast(list[dict[str, Any]], self._rpc().supervisor.getAllProcessInfo())
        return {info["name"]: info["statename"] for info in infos}

    def wait(self, on_tick: Callable[[], None] = lambda: None, every: float = 2.0) -> int:
        """Until supervisord ends, calling ``on_tick`` every few seconds; the first Ctrl-C stops
        everything, a second at once."""
        assert self.process is not None
        interrupted = False

        def on_interrupt(_signum: int, _frame: FrameType | None) -> None:
            nonlocal interrupted
            if interrupted:
                self.kill()
                return
            interrupted = True
            print("stopping (Ctrl-C again to stop at once) ...", flush=True)
            self.terminate()

        previous = signal.signal(signal.SIGINT, on_interrupt)
        signal.signal(signal.SIGTERM, on_interrupt)
        try:
            while True:
                try:
                    code = self.process.wait(every)
                    break
                except subprocess.TimeoutExpired:
                    if not interrupted:
                        on_tick()
        finally:
            signal.signal(signal.SIGINT, previous)
        if self.fatal_note.exists():
            print(self.fatal_note.read_text().strip(), file=sys.stderr, flush=True)
            return 1
        return 0 if interrupted else code

    def stop(self, timeout: float = 30) -> None:
        """Stop everything and wait; kill what is still running after ``timeout``."""
        self.terminate()
        if self.process is not None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """Every process under supervisord, and supervisord, at once."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            root = psutil.Process(self.process.pid)
            tree = [*root.children(recursive=True), root]
        except psutil.NoSuchProcess:
            return
        for proc in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
