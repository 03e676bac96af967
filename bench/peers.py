"""The peers Herald's gateway is measured against, each installed from its registry into
``bench/.peers/`` on first use and run as its own process: python-socketio on uvicorn
(PyPI) and socket.io on Node.js (npm). Each serves ``POST /blast`` to emit a frame to every
socket, so that the bench drives all servers the same way."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.harness import free_port, port_open, wait_until

HERE = Path(__file__).parent / "peer_servers"
PLACE = Path(__file__).parent / ".peers"
PYTHON_PEER = ("python-socketio>=5.11", "uvicorn[standard]>=0.30")
NODE_PEER = "socket.io@4"


@dataclass
class Peer:
    name: str
    pid: int
    url: str

    def blast(self, messages: int, frame: dict[str, object]) -> None:
        httpx.post(f"{self.url}/blast", json={"n": messages, "frame": frame},
                   timeout=300).raise_for_status()


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")


def install() -> dict[str, list[str]]:
    """Each peer's command (without its port), installed if missing; progress is printed."""
    venv = PLACE / "venv"
    if not (venv / "bin" / "uvicorn").exists():
        print("  installing python-socketio (PyPI) into bench/.peers/venv ...", flush=True)
        _run([sys.executable, "-m", "venv", str(venv)])
        _run([str(venv / "bin" / "pip"), "install", "--quiet", *PYTHON_PEER])
    node = PLACE / "node"
    if not (node / "node_modules" / "socket.io").exists():
        print("  installing socket.io (npm) into bench/.peers/node ...", flush=True)
        node.mkdir(parents=True, exist_ok=True)
        _run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(node),
              NODE_PEER])
    return {"python-socketio": [str(venv / "bin" / "python"), str(HERE / "socketio_server.py")],
            "socket.io (Node.js)": ["node", str(HERE / "server.js")]}


@contextmanager
def running(name: str, command: list[str]) -> Iterator[Peer]:
    port = free_port()
    env = {**os.environ, "NODE_PATH": str(PLACE / "node" / "node_modules")}
    proc = subprocess.Popen([*command, str(port)], env=env, stdout=subprocess.DEVNULL)
    try:
        wait_until(lambda: port_open(port) or proc.poll() is not None, timeout=30,
                   what=f"{name} listening")
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}")
        yield Peer(name, proc.pid, f"http://127.0.0.1:{port}")
    finally:
        proc.terminate()
        proc.wait(10)
