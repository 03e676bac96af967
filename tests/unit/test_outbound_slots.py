"""Each tenant's share of an outbound worker's sends (``tasks.outbound_slots``)."""

from __future__ import annotations

import contextlib

from tasks.outbound_slots import Slots


def test_a_tenant_holds_its_share_and_no_more_and_gets_it_back():
    slots = Slots(per_tenant=2)
    with contextlib.ExitStack() as held:
        assert held.enter_context(slots.held("a")) and held.enter_context(slots.held("a"))
        with slots.held("a") as third:
            assert not third  # put off: "a" has two in flight
        with slots.held("b") as other:
            assert other  # another tenant's share is its own
    with slots.held("a") as again:
        assert again  # given back when the sends ended
    assert not slots._held  # nothing kept for tenants with nothing in flight
