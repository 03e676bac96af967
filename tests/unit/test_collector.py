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
