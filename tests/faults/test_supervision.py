"""``herald up`` as a supervisor: a part that keeps dying stops everything with a clear
message; a taken port stops it before anything starts; a second Ctrl-C stops at once; none
leaves a process behind."""

from __future__ import annotations

import contextlib
import signal
import socket
import time
import xmlrpc.client

import psutil

from tests.support.harness import wait_until
from tests.support.system import HeraldUp


def _leftovers(children: list[psutil.Process]) -> list[psutil.Process]:
    return [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


def _kill_whenever_it_runs(system: HeraldUp, part: str) -> None:
    """Kill ``part`` (SIGKILL, as the kernel's OOM killer would) each time it comes back, until
    herald up ends."""
    killed: set[int] = set()
    while system.process is not None and system.process.poll() is None:
        try:
            pid = system.pid(part)
        except (OSError, ConnectionError, KeyError, xmlrpc.client.Fault):
            pid = 0  # supervisord is stopping
        if pid and pid not in killed:
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(pid).kill()
            killed.add(pid)
        time.sleep(0.2)


def test_a_part_that_keeps_dying_stops_herald_up_with_a_clear_message(tmp_path):
    system = HeraldUp(tmp_path / ".herald", tmp_path / "up.log").start()
    assert system.process is not None
    children = psutil.Process(system.process.pid).children(recursive=True)
    try:
        _kill_whenever_it_runs(system, "flower")
        system.process.wait(120)
    finally:
        system.stop()
    assert system.process.returncode == 1
    assert "herald: flower kept dying" in system.output()
    assert "flower: " in system.output()  # herald up said when it went down
    assert _leftovers(children) == []


def test_a_taken_port_is_one_line_before_anything_starts(tmp_path):
    with socket.socket() as taken:  # the embedded Redis's port, held by another program
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        system = HeraldUp(tmp_path / ".herald", tmp_path / "up.log")
        system.ports["EMBEDDED_REDIS"] = taken.getsockname()[1]
        up = system.launch()
        up.wait(60)
    assert up.returncode == 1
    lines = system.output().strip().splitlines()
    assert lines == [f"herald: port {system.ports['EMBEDDED_REDIS']} "
                     "(HERALD_EMBEDDED_REDIS_PORT) is taken by another program: stop it, or set "
                     "HERALD_EMBEDDED_REDIS_PORT to a free port"]
    assert not (tmp_path / ".herald" / "supervisord.pid").exists()


def test_a_second_ctrl_c_stops_at_once(tmp_path):
    system = HeraldUp(tmp_path / ".herald", tmp_path / "up.log").start()
    assert system.process is not None
    children = psutil.Process(system.process.pid).children(recursive=True)
    system.process.send_signal(signal.SIGINT)
    time.sleep(0.3)  # the first Ctrl-C has begun a graceful stop
    started = time.monotonic()
    system.process.send_signal(signal.SIGINT)
    system.process.wait(15)
    assert time.monotonic() - started < 5
    wait_until(lambda: not _leftovers(children), 10, "every process to be gone")
