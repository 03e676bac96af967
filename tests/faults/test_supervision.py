"""``herald up`` as a supervisor: a part that keeps dying stops everything with a clear
message; a second Ctrl-C stops at once; neither leaves a process behind."""

from __future__ import annotations

import signal
import socket
import time

import psutil

from tests.support.harness import wait_until
from tests.support.system import HeraldUp


def _leftovers(children: list[psutil.Process]) -> list[psutil.Process]:
    return [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


def test_a_part_that_keeps_dying_stops_herald_up_with_a_clear_message(tmp_path):
    with socket.socket() as taken:  # Flower's port, held by another program
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        system = HeraldUp(tmp_path / ".herald", tmp_path / "up.log")
        system.ports["FLOWER"] = taken.getsockname()[1]
        up = system.launch()
        try:
            wait_until(lambda: "spawned: 'flower'" in system.output(), 120, "the parts to start")
            children = psutil.Process(up.pid).children(recursive=True)
            wait_until(lambda: up.poll() is not None, 120, "herald up to give up on flower")
        finally:
            system.stop()
    assert up.returncode == 1
    assert "herald: flower kept dying" in system.output()
    assert _leftovers(children) == []


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
