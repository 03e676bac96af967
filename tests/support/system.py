"""A whole Herald run as a user runs it, ``herald up`` with embedded servers, for fault tests:
find its parts, kill them as the kernel would, and wait for supervisord to bring them back."""

from __future__ import annotations

import configparser
import json
import os
import signal
import subprocess
import sys
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from supervisor.xmlrpc import SupervisorTransport

from tests.support.harness import REPO, free_port, port_open, wait_until

READY_LINE = "Herald is ready"  # printed once the API, gateway and a worker all serve
PORTS = ("API", "GATEWAY", "FLOWER", "WORKER_METRICS", "OUTBOUND_METRICS", "EMBEDDED_REDIS",
         "EMBEDDED_POSTGRES")


@dataclass
class HeraldUp:
    data_dir: Path
    log: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=lambda: {p: free_port() for p in PORTS})
    process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        env.update({f"HERALD_{name}_PORT": str(port) for name, port in self.ports.items()})
        env.update(HERALD_DATA_DIR=str(self.data_dir), **self.extra_env)
        return env

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['API']}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['GATEWAY']}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ports['GATEWAY']}/ws"

    @property
    def database_dsn(self) -> str:
        password = (self.data_dir / "postgres.password").read_text().strip()
        return (f"host=127.0.0.1 port={self.ports['EMBEDDED_POSTGRES']} user=postgres "
                f"password={password} dbname=herald")

    @property
    def redis_url(self) -> str:
        password = (self.data_dir / "redis" / "redis.password").read_text().strip()
        return f"redis://:{password}@127.0.0.1:{self.ports['EMBEDDED_REDIS']}/0"

    def creds(self) -> dict[str, str]:
        return dict(json.loads((self.data_dir / "demo-tenant.json").read_text()))

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def launch(self) -> subprocess.Popen[bytes]:
        """Run ``herald up`` without waiting for it."""
        out = self.log.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "backend.cli", "up"], cwd=REPO,
                                        env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return self.process

    def start(self, timeout: float = 180) -> HeraldUp:
        """Run ``herald up`` until it says every part serves; stopped again if it does not."""
        self.launch()
        try:
            wait_until(lambda: self.process.poll() is not None or self.all_running(), timeout,
                       "herald up to run every part")
            assert self.process.poll() is None, self.output()[-3000:]
            wait_until(lambda: port_open(self.ports["API"]) and port_open(self.ports["GATEWAY"])
                       and READY_LINE in self.output(), timeout,
                       "the api, gateway and worker to serve")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGINT)  # the second Ctrl-C: at once
                self.process.wait(10)
        return self.process.returncode

    # supervisord -------------------------------------------------------------------------
    def rpc(self) -> Any:
        config = configparser.ConfigParser(interpolation=None)
        config.read(self.data_dir / "supervisord.conf")
        section = config["supervisorctl"]
        transport = SupervisorTransport(section["username"], section["password"],
                                        serverurl=section["serverurl"])
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def info(self, part: str) -> dict[str, Any]:
        name = part if part in ("redis", "postgres") else f"herald:{part}"
        return dict(self.rpc().getProcessInfo(name))

    def all_running(self) -> bool:
        try:
            states = self.rpc().getAllProcessInfo()
        except (OSError, KeyError, xmlrpc.client.Fault):
            return False
        return bool(states) and all(s["statename"] == "RUNNING" for s in states)

    def pid(self, part: str) -> int:
        return int(self.info(part)["pid"])

    def part_env(self, part: str) -> dict[str, str]:
        """The environment ``herald up`` handed a part (resolved URLs, internal key)."""
        return dict(psutil.Process(self.pid(part)).environ())

    def kill(self, part: str) -> int:
        """SIGKILL a part with its children (a worker with its pool), as the OOM killer would
        take a whole cgroup; returns the pid it had."""
        pid = self.pid(part)
        try:
            os.killpg(pid, signal.SIGKILL)
        except PermissionError:  # PostgreSQL runs as its own user: kill its postmaster
            os.kill(pid, signal.SIGKILL)
        return pid

    def wait_restarted(self, part: str, old_pid: int, timeout: float = 60) -> int:
        def back() -> bool:
            info = self.info(part)
            return info["statename"] == "RUNNING" and info["pid"] not in (0, old_pid)

        wait_until(back, timeout, f"{part} to be restarted")
        return self.pid(part)
