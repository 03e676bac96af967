"""Whether the ports a command will listen on are free, and if not, who holds them: a
second Herald on the same machine is named as such, with its data folder, so that the
fix (stop it, or move this one's ports) is plain."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psutil

from backend.core.errors import HeraldError


class PortTaken(HeraldError, RuntimeError):
    """A port this command needs is in use; the message names each and its setting."""


def is_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _listener(port: int) -> psutil.Process | None:
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if (conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port
                    and conn.pid):
                return psutil.Process(conn.pid)
    except (psutil.Error, OSError):
        pass  # not ours to see (another user's process, no permission)
    return None


def _is_herald(proc: psutil.Process) -> bool:
    argv = proc.cmdline()
    return bool(argv) and (Path(argv[0]).name == "herald"
                           or any("backend.cli" in arg for arg in argv))


def _herald_ancestor(proc: psutil.Process | None) -> psutil.Process | None:
    """The listener, or the Herald command above it (a supervised part, an embedded server)."""
    for candidate in ([proc, *proc.parents()] if proc else []):
        try:
            if _is_herald(candidate):
                return candidate
        except (psutil.Error, IndexError):
            continue
    return None


def _data_folder(proc: psutil.Process) -> str | None:
    try:
        env, cwd = proc.environ(), proc.cwd()
    except psutil.Error:
        return None
    return os.path.normpath(os.path.join(cwd, env.get("HERALD_DATA_DIR", ".herald")))


def owner(port: int) -> str:
    """``another Herald (pid 12, data folder /srv/a/.herald)`` or ``another program``."""
    herald = _herald_ancestor(_listener(port))
    if herald is None:
        return "another program"
    folder = _data_folder(herald)
    return f"another Herald (pid {herald.pid}" + (f", data folder {folder})" if folder else ")")


def refuse_taken(ports: list[tuple[str, int, str]]) -> None:
    """Raise PortTaken naming every port of ``(setting, port, host)`` that is in use."""
    taken = [(setting, port) for setting, port, host in ports if is_open(port, host)]
    if not taken:
        return
    lines = [f"port {port} ({setting}) is taken by {owner(port)}" for setting, port in taken]
    settings = ", ".join(setting for setting, _ in taken)
    fix = f"stop it, or set {settings} to " + ("a free port" if len(taken) == 1 else "free ports")
    raise PortTaken("; ".join(lines) + f": {fix}")
