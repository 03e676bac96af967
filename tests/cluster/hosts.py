"""Hosts on one machine: Linux network namespaces, each with one interface on a switch of its
own (a bridge inside a namespace of its own), addresses only inside them, no uplink and no
default route. A host can be cut off from every other one and healed; processes run inside
a host; a thread of the test can step into a host to open its sockets from there.

Everything is named with a per-run prefix and removed at the end, and at the start of the
next run (a namespace outlives the process that made it).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

FAMILY = "hx"  # every run's namespaces start with this
SUBNET = "10.77.0"
NETNS_DIR = Path("/var/run/netns")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def usable() -> str | None:
    """Why hosts cannot be made here (not root, no ``ip``), or None."""
    if os.geteuid() != 0:
        return "network namespaces need root (run the cluster suite as root, as CI does)"
    if ip("netns", "list", check=False).returncode != 0:
        return "`ip netns` is not available (Debian's iproute2)"
    return None


def remove_leftovers() -> None:
    """Namespaces of earlier runs that did not get to clean up (killed, crashed)."""
    for line in ip("netns", "list").stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        if name.startswith(FAMILY):
            ip("netns", "delete", name, check=False)


@dataclass
class Host:
    name: str
    netns: str
    address: str
    switch_port: str  # its cable's end on the switch

    def popen(self, argv: list[str], log: IO[bytes], env: dict[str, str] | None = None,
              user: tuple[int, int] | None = None) -> subprocess.Popen[bytes]:
        """Run ``argv`` on this host (as ``user``: uid, gid), in a session of its own."""
        return subprocess.Popen(self._on_host(argv, user), env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def run(self, argv: list[str], env: dict[str, str] | None = None,
            user: tuple[int, int] | None = None, timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self._on_host(argv, user), env=env, capture_output=True,
                              text=True, timeout=timeout)

    def _on_host(self, argv: list[str], user: tuple[int, int] | None) -> list[str]:
        """``argv`` entered into this host's network namespace (as ``user``: uid, gid)."""
        prefix = ["nsenter", f"--net={NETNS_DIR / self.netns}"]
        if user is not None:
            prefix += [f"--setuid={user[0]}", f"--setgid={user[1]}"]
        return [*prefix, "--", *argv]


@dataclass
class Network:
    """A switch and the hosts plugged into it."""

    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:4])
    hosts: dict[str, Host] = field(default_factory=dict)

    @property
    def switch(self) -> str:
        return f"{FAMILY}{self.run_id}-sw"

    def create(self) -> None:
        ip("netns", "add", self.switch)
        ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        ip("-n", self.switch, "link", "set", "br0", "up")
        ip("-n", self.switch, "link", "set", "lo", "up")

    def add(self, name: str, last_octet: int) -> Host:
        netns = f"{FAMILY}{self.run_id}-{name}"
        port = f"p{self.run_id}{last_octet}"  # interface names: at most 15 characters
        ip("netns", "add", netns)
        ip("link", "add", port, "type", "veth", "peer", "name", f"e{self.run_id}{last_octet}")
        ip("link", "set", port, "netns", self.switch)
        ip("link", "set", f"e{self.run_id}{last_octet}", "netns", netns)
        ip("-n", netns, "link", "set", f"e{self.run_id}{last_octet}", "name", "eth0")
        ip("-n", netns, "addr", "add", f"{SUBNET}.{last_octet}/24", "dev", "eth0")
        ip("-n", netns, "link", "set", "eth0", "up")
        ip("-n", netns, "link", "set", "lo", "up")
        ip("-n", self.switch, "link", "set", port, "master", "br0")
        ip("-n", self.switch, "link", "set", port, "up")
        host = self.hosts[name] = Host(name, netns, f"{SUBNET}.{last_octet}", port)
        return host

    def cut(self, name: str) -> None:
        """Unplug the host's cable: it reaches no other host, none reaches it."""
        ip("-n", self.switch, "link", "set", self.hosts[name].switch_port, "down")

    def heal(self, name: str) -> None:
        ip("-n", self.switch, "link", "set", self.hosts[name].switch_port, "up")

    def remove(self) -> None:
        for host in self.hosts.values():
            ip("netns", "delete", host.netns, check=False)
        ip("netns", "delete", self.switch, check=False)


@contextlib.contextmanager
def inside(host: Host) -> Iterator[None]:
    """The calling thread's sockets are made on ``host`` meanwhile (setns for this thread
    alone; threads it starts stay there too)."""
    here = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    there = os.open(NETNS_DIR / host.netns, os.O_RDONLY)
    try:
        if _libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {host.netns}")
        try:
            yield
        finally:
            _libc.setns(here, CLONE_NEWNET)
    finally:
        os.close(here)
        os.close(there)
