"""Deficit round robin over tenants: the bridge's choice of the next batch."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backend.bridge.rotation import Rotation


def _owners(batch: list[tuple[str, int]]) -> list[str]:
    return sorted({tenant for tenant, _ in batch})


def _filled(rotation: Rotation[tuple[str, int]], arrivals: dict[str, int]) -> None:
    for tenant, count in arrivals.items():
        for i in range(count):
            rotation.add(tenant, (tenant, i))


def test_tenants_take_turns_whatever_came_first():
    rotation: Rotation[tuple[str, int]] = Rotation(batch_size=10)
    _filled(rotation, {"a": 1000, "b": 20})
    turns = [_owners(rotation.next_batch()) for _ in range(4)]
    assert turns == [["a"], ["b"], ["a"], ["b"]]
    assert len(rotation) == 1000 - 20


def test_a_weight_of_two_is_twice_the_turn():
    rotation: Rotation[tuple[str, int]] = Rotation(batch_size=10, weights={"a": 2})
    _filled(rotation, {"a": 100, "b": 100})
    sizes = {"a": 0, "b": 0}
    for _ in range(9):
        batch = rotation.next_batch()
        sizes[batch[0][0]] += len(batch)
    assert sizes == {"a": 60, "b": 30}


def test_a_small_weight_gathers_over_turns():
    rotation: Rotation[tuple[str, int]] = Rotation(batch_size=10, weights={"a": 0.05})
    _filled(rotation, {"a": 100, "b": 100})
    batches = [rotation.next_batch() for _ in range(5)]
    # Half an entry a turn: one of a's every second turn, against ten of b's every turn.
    assert [(_owners(b), len(b)) for b in batches] == [
        (["b"], 10), (["a"], 1), (["b"], 10), (["b"], 10), (["a"], 1)]


def test_fill_packs_small_tenants_into_one_batch_in_their_turns():
    rotation: Rotation[tuple[str, int]] = Rotation(batch_size=10)
    _filled(rotation, {"a": 3, "b": 3, "c": 30})
    batch = rotation.fill(10)
    assert [t for t, _ in batch] == ["a"] * 3 + ["b"] * 3 + ["c"] * 4
    assert rotation.fill(10) == [("c", i) for i in range(4, 14)]


def test_a_tenant_back_from_quiet_does_not_bring_its_unused_turns():
    rotation: Rotation[tuple[str, int]] = Rotation(batch_size=10)
    _filled(rotation, {"a": 2})
    assert len(rotation.next_batch()) == 2
    _filled(rotation, {"a": 100, "b": 100})
    assert [len(rotation.next_batch()) for _ in range(2)] == [10, 10]


def test_nothing_waiting_is_an_empty_batch():
    rotation: Rotation[str] = Rotation(batch_size=10)
    assert rotation.next_batch() == [] and rotation.fill(10) == []


@given(st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 30)), max_size=12),
       st.integers(1, 15))
def test_every_entry_leaves_once_in_its_tenants_order(arrivals, batch_size):
    rotation: Rotation[tuple[str, int]] = Rotation(batch_size=batch_size, weights={"c": 0.3})
    sent: dict[str, int] = {}
    for tenant, count in arrivals:
        for _ in range(count):
            rotation.add(tenant, (tenant, sent.get(tenant, 0)))
            sent[tenant] = sent.get(tenant, 0) + 1
    out: list[tuple[str, int]] = []
    while batch := rotation.fill(batch_size):
        assert len(batch) <= batch_size
        out += batch
    assert len(rotation) == 0
    for tenant, count in sent.items():
        assert [i for t, i in out if t == tenant] == list(range(count))


def test_the_light_tenants_entries_leave_whole_and_the_flood_keeps_its_turns():
    rotation: Rotation[tuple[str, int]] = Rotation(batch_size=10)
    _filled(rotation, {"a": 1000, "b": 3, "c": 5, "d": 6})
    light = rotation.take_light(most=5, size=10)
    assert light == [("b", 0), ("b", 1), ("b", 2), *(("c", i) for i in range(5))]
    assert len(rotation) == 1000 + 6  # "d" has more than 5 waiting: it takes its turn
    assert [_owners(rotation.next_batch()) for _ in range(2)] == [["a"], ["d"]]


def test_light_tenants_past_the_batch_wait_for_the_next_one():
    rotation: Rotation[tuple[str, int]] = Rotation(batch_size=10)
    _filled(rotation, {"b": 4, "c": 4, "d": 4})
    assert _owners(rotation.take_light(most=5, size=10)) == ["b", "c"]
    assert _owners(rotation.take_light(most=5, size=10)) == ["d"]
    assert rotation.take_light(most=5, size=10) == [] and len(rotation) == 0


def test_a_flooding_tenant_s_few_left_between_batches_are_not_light():
    rotation: Rotation[tuple[str, int]] = Rotation(batch_size=10)
    _filled(rotation, {"a": 3, "b": 2})
    assert _owners(rotation.take_light(most=5, size=10, besides={"a"})) == ["b"]
    assert rotation.waiting_of("a") == 3 and rotation.waiting_of("b") == 0
