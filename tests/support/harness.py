"""Starting Herald's real processes for tests: servers on free ports, parts as subprocesses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition",
               interval: float = 0.05) -> object:
    """Poll an observable condition (never a fixed sleep) until it holds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Proc:
    """One Herald part (``herald <part>``) running as a real child process."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    ready: Callable[[Proc], bool]
    popen: subprocess.Popen | None = field(default=None, init=False)

    def start(self, timeout: float = 60.0) -> Proc:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", *self.args], env=self.env, cwd=REPO,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_until(lambda: self.ready(self) or self._died(), timeout, f"{self.name} to be ready")
        if self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited:\n{self.output()[-3000:]}")
        return self

    def _died(self) -> bool:
        return self.popen is not None and self.popen.poll() is not None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, not a shutdown."""
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def listening(port: int) -> Callable[[Proc], bool]:
    return lambda _proc: port_open(port)


def logged(text: str) -> Callable[[Proc], bool]:
    return lambda proc: text in proc.output()


# What each part logs once it serves (the API and gateway: a listening port instead).
READY_TEXT = {"worker": "ready.", "outbound": "ready.", "bridge": "reading herald:{ingest:",
              "beat": "beat: Starting"}


def ready_when(part: str, env: dict[str, str]) -> Callable[[Proc], bool]:
    """How to tell that ``part``, started with ``env``, is serving."""
    if part in ("api", "gateway"):
        return listening(int(env[f"HERALD_{part.upper()}_PORT"]))
    return logged(READY_TEXT[part])
