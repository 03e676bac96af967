"""One cluster of hosts shared by the failover suite (each test leaves it whole again), and a
way to run a test's readers and producer from the client host."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import pytest

from tests.cluster.hosts import inside, usable
from tests.cluster.topology import Cluster

T = TypeVar("T")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if (why := usable()) is not None or (why := _haproxy_missing()) is not None:
        pytest.fail(f"the cluster suite cannot run here: {why}")
    built = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        built.start(say=lambda line: print(f"cluster: {line}", flush=True))
        yield built
    finally:
        built.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test's report ends with the last lines each of Herald's parts logged: on a
    CI machine they are the only witness of which part stopped moving."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    built = getattr(item, "funcargs", {}).get("cluster")
    if report.failed and isinstance(built, Cluster):
        parts = [n for n in built.processes if n.split("-")[0] in HERALD_PARTS]
        report.sections.append(("Herald's parts, last lines", built.logs(*parts)))


HERALD_PARTS = {"api", "bridge", "worker", "beat", "gateway"}


def _haproxy_missing() -> str | None:
    if shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin"):
        return None
    return "HAProxy is not installed (make test installs Debian's haproxy as root)"


def on_client(cluster: Cluster, scenario: Callable[[], Awaitable[T]]) -> T:
    """Run ``scenario`` in an event loop of its own whose every socket is opened from the
    client host (the test process itself sends nothing anywhere else)."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            with inside(cluster.host("client")):
                result.append(asyncio.run(scenario()))
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="client-host")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]
