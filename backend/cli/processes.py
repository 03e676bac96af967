"""Several copies of one server on the same port (``HERALD_GATEWAY_PROCESSES``).

Each copy binds its own listening socket with SO_REUSEPORT, so the kernel spreads new
connections over them evenly (one shared socket wakes whichever process is quickest, and one
busy process then takes most). The parent only watches: a copy that dies is started again
(its clients reconnect to the others meanwhile), and TERM or INT stops them all.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

logger = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1
START_SECONDS = 3  # a copy that fails on its own sooner than this failed to start


def failed_to_start(exitcode: int | None, lived_seconds: float) -> bool:
    """A copy that ended with an error of its own right after starting (port taken, app
    failing at import) would fail again: give up, loudly. One killed by a signal (negative
    exit code), or one that served a while, is started again."""
    return exitcode is not None and exitcode > 0 and lived_seconds < START_SECONDS


def serve(config: uvicorn.Config, sockets: list[socket.socket] | None = None) -> None:
    """Serve until stopped; exit 3 if it never started (port taken, app failed), as
    ``uvicorn.run`` does."""
    server = uvicorn.Server(config)
    server.run(sockets=sockets)
    if not server.started:
        sys.exit(3)


def serve_on_shared_port(config: uvicorn.Config) -> None:
    serve(config, [reuse_port_socket(config.host, config.port)])


def reuse_port_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _die_with_parent() -> None:
    """A copy must not outlive a parent that was killed outright (SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: TERM still stops them
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _copy(run: Callable[[], None]) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):  # the watcher's handlers are not ours
        signal.signal(signum, signal.SIG_DFL)
    _die_with_parent()
    run()


def run_copies(run: Callable[[], None], copies: int, name: str) -> None:
    """Run ``run`` in ``copies`` processes until TERM or INT; restart any that dies."""
    context = multiprocessing.get_context("fork")
    stopping = False
    started: dict[int, float] = {}

    def start(index: int) -> BaseProcess:
        process = context.Process(target=_copy, args=(run,), name=f"{name}-{index}")
        process.start()
        started[index] = time.monotonic()
        return process

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in running.values():
            if process.pid is not None and process.is_alive():
                process.terminate()

    running = {index: start(index) for index in range(copies)}
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("%s: %d processes on one port (SO_REUSEPORT)", name, copies)
    while not stopping:
        wait([process.sentinel for process in running.values()])
        for index, process in list(running.items()):
            if process.is_alive() or stopping:
                continue
            if failed_to_start(process.exitcode, time.monotonic() - started[index]):
                stop(signal.SIGTERM, None)
                logger.error("%s process %d failed to start (exit %s)", name, process.pid,
                             process.exitcode)
                break
            logger.warning("%s process %d exited (%s); starting it again", name,
                           process.pid, process.exitcode)
            running[index] = start(index)
    for process in running.values():
        process.join()
    failed = [p.exitcode for p in running.values() if p.exitcode not in (0, -signal.SIGTERM)]
    if failed:
        sys.exit(1)
