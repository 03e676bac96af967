"""The garbage collector's policy for long-running parts (``HERALD_GC_THRESHOLDS``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from backend.core import collector
from backend.core.config import Settings


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settle_freezes_what_is_loaded_and_applies_the_thresholds(
        restored_collector: None) -> None:
    loaded = [object(), [], {}]  # kept for the part's life
    collector.settle(Settings(gc_thresholds=(5000, 20, 50)))
    assert gc.get_threshold() == (5000, 20, 50)
    assert gc.get_freeze_count() > 0
    assert not any(o is loaded[1] for o in gc.get_objects())


def test_cyclic_garbage_made_after_settling_is_still_collected(
        restored_collector: None) -> None:
    collector.settle(Settings())

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # type: ignore[attr-defined]
    del a, b
    assert gc.collect() >= 2


@pytest.mark.parametrize("value", ["[0, 10, 100]", "[700, 10]", "[700, -1, 100]"])
def test_thresholds_that_would_stop_the_collector_are_refused(
        monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("HERALD_GC_THRESHOLDS", value)
    with pytest.raises(ValidationError, match="gc_thresholds"):
        Settings()


def _full_collections_during_pushes(settings: Settings) -> int:
    """A gateway holding sockets (long-lived objects made after settling) while pushes of a
    thousand frames each come and go: how many collections walked everything meanwhile."""
    collector.settle(settings)
    sockets = [{"protocol": [], "queue": []} for _ in range(70_000)]  # 3 objects each
    before = gc.get_stats()[2]["collections"]
    previous: list[dict[str, object]] = []
    for push in range(300):
        items = [{"frame": {"id": f"{push}-{i}", "data": {}}} for i in range(1000)]
        previous = items  # one push in hand while the next is read
    assert previous and sockets
    return gc.get_stats()[2]["collections"] - before


def test_short_lived_frames_do_not_set_off_collections_of_every_socket(
        restored_collector: None) -> None:
    """A full collection waits for a hundred collections of the middle generation and for the
    oldest to have grown by a quarter. With a young generation of 700, a fan-out's pushes got
    there (each push, alive through the young collections, promoted as it went); at 10,000
    sockets a full one took 0.4-0.7 s of a gateway fanning out (``bench.sockets``). With the
    defaults the pushes die young and no full collection comes."""
    assert _full_collections_during_pushes(Settings(gc_thresholds=(700, 10, 100))) > 0
    assert _full_collections_during_pushes(Settings()) == 0
