"""A socket's sequence (``gateway.sequence``): its life cycle, and the promise itself: any
interleaving of stores, live pushes (late, early, repeated), full send queues, acks and
reconnects gives the client each seq once, in order, with no gap."""

from __future__ import annotations

import asyncio
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.connection import Resync
from gateway.sequence import Full, IllegalMove, Phase, Sequence


def test_a_socket_lives_opening_catching_up_live_closing():
    seq = Sequence()
    assert seq.phase is Phase.OPENING
    seq.replay_started()  # registered before the welcome: pushes wait for the replay
    seq.welcome(5)
    assert (seq.phase, seq.next_seq) == (Phase.CATCHING_UP, 6)
    assert seq.replay_ended() is None
    assert seq.phase is Phase.LIVE
    seq.replay_started()
    assert seq.phase is Phase.CATCHING_UP
    seq.replay_ended()
    seq.close()
    assert seq.closing and not seq.due(6)
    with pytest.raises(IllegalMove):
        seq.welcome(1)


def test_illegal_moves_raise():
    with pytest.raises(IllegalMove):
        Sequence().sent(1, None)  # nothing is sent before the welcome
    with pytest.raises(IllegalMove):
        Sequence().replay_ended()
    seq = Sequence()
    seq.welcome(0)
    with pytest.raises(IllegalMove):
        seq.welcome(0)
    seq.close()
    with pytest.raises(IllegalMove):
        seq.sent(1, None)


def test_a_full_queue_drops_repeats_defers_during_replays_and_overflows_live():
    seq = Sequence()
    seq.replay_started()
    seq.welcome(3)
    assert seq.when_full(2) is Full.DUPLICATE
    assert seq.when_full(9) is Full.LATER
    assert seq.replay_ended() == (3, 9)  # read from storage once the replay is done
    assert seq.when_full(10) is Full.OVERFLOW and seq.closing


def test_a_push_ahead_replays_the_gap_first_and_acks_apply_from_the_last_one():
    seq = Sequence()
    seq.welcome(0)
    assert seq.gap_before(3) == (0, 2)
    seq.sent(1, "2026-01-01T00:00:01")
    seq.sent(2, "2026-01-01T00:00:00")
    assert seq.ack(1) == (0, 1, "2026-01-01T00:00:00")
    assert seq.oldest_unacked is not None  # seq 2 is still out
    assert seq.ack(2) == (1, 2, "2026-01-01T00:00:00")
    assert seq.oldest_unacked is None


class Store:
    def __init__(self) -> None:
        self.last = 0

    def add(self) -> int:
        self.last += 1
        return self.last

    async def page(self, since: int, until: int | None) -> list[int]:
        await asyncio.sleep(0)  # a database read: pushes arrive meanwhile
        end = self.last if until is None else min(until, self.last)
        return list(range(since + 1, min(end, since + 3) + 1))  # pages of 3


class Socket:
    """``gateway.connection.Connection``'s use of the sequence, with a list for a socket."""

    def __init__(self, store: Store, queue_size: int) -> None:
        self.store, self.size = store, queue_size
        self.sequence = Sequence()
        self.outbox: deque[int | Resync] = deque()
        self.written: list[int | Resync] = []  # frames, and where a resync rewound
        self.offered: list[int] = []  # seqs pushed to it
        self.closed = False

    async def open(self, since: int) -> None:
        self.sequence.replay_started()  # registered first, as ``_serve_reader`` does
        try:
            self.sequence.welcome(since)
            await self.replay(since, self.store.last)
        finally:
            missed = self.sequence.replay_ended()
        if missed is not None:
            await self.replay(*missed)

    async def replay(self, since: int, until: int | None = None) -> None:
        self.sequence.replay_started()
        try:
            while (until is None or since < until) and (
                    frames := await self.store.page(since, until)):
                for seq in frames:
                    await self.send(seq)
                since = frames[-1]
        finally:
            missed = self.sequence.replay_ended()
        if missed is not None:
            await self.replay(*missed)

    async def send(self, seq: int) -> None:
        if (gap := self.sequence.gap_before(seq)) is not None:
            await self.replay(*gap)
        if self.sequence.due(seq):
            self.written.append(seq)
            self.sequence.sent(seq, f"t{seq:06d}")

    def offer(self, item: int | Resync) -> None:
        if self.sequence.closing:
            return
        if isinstance(item, int):
            self.offered.append(item)
        if len(self.outbox) < self.size:
            self.outbox.append(item)
            return
        if self.sequence.when_full(item if isinstance(item, int) else None) is Full.OVERFLOW:
            self.closed = True

    async def pump(self, items: int) -> None:
        for _ in range(items):
            if not self.outbox or self.closed:
                return
            item = self.outbox.popleft()
            if isinstance(item, Resync):
                self.written.append(item)
                self.sequence.rewind(item.since)
                await self.replay(item.since)
            else:
                await self.send(item)


def received(held: int, sock: Socket) -> int:
    """The highest seq the client holds after one socket that started after ``held``: each
    frame follows the one before with no gap and no repeat, except where the client asked
    for a resend (a resync rewinds to what it says it holds)."""
    position = held
    for item in sock.written:
        if isinstance(item, Resync):
            position = item.since
            continue
        assert item == position + 1, (held, sock.written)
        position = item
        held = max(held, item)
    return held


Step = st.one_of(
    st.tuples(st.just("store"), st.booleans()),  # stored; pushed at once or not (away)
    st.tuples(st.just("push"), st.integers(0, 50)),  # a stored one pushed (again, late)
    st.tuples(st.just("pump"), st.integers(1, 4)),  # the send loop runs a while
    st.tuples(st.just("ack"), st.integers(0, 50)),
    st.tuples(st.just("resync"), st.integers(0, 50)),  # the client saw a hole
    st.tuples(st.just("reconnect"), st.just(0)),
)


async def run(steps: list[tuple[str, int]], queue_size: int) -> tuple[int, int]:
    """The last seq stored and the last the client holds after ``steps`` and one more
    reconnect once all is quiet."""
    store, held = Store(), 0
    sock = Socket(store, queue_size)
    await sock.open(held)
    for kind, arg in steps:
        if kind == "store":
            seq = store.add()
            if arg:
                sock.offer(seq)
        elif kind == "push" and store.last:
            sock.offer(1 + arg % store.last)
        elif kind == "pump":
            await sock.pump(arg)
        elif kind == "ack":
            after, through, _ = sock.sequence.ack(min(arg, sock.sequence.next_seq - 1))
            assert after <= sock.sequence.acked and through <= sock.sequence.acked
        elif kind == "resync":
            sock.offer(Resync(min(arg, sock.sequence.next_seq - 1)))
        if kind == "reconnect" or sock.closed:
            held = received(held, sock)
            sock = Socket(store, queue_size)
            await sock.open(held)
    await sock.pump(len(sock.outbox))
    held = received(held, sock)
    if not sock.closed:  # live: every push this socket took has reached the client
        assert held >= max(sock.offered, default=0), (held, sock.offered)
    last = Socket(store, queue_size)  # the client comes back once all is quiet
    await last.open(held)
    return store.last, received(held, last)


async def test_a_resync_sends_again_from_where_the_client_says_it_is():
    store = Store()
    sock = Socket(store, 4)
    await sock.open(0)
    for _ in range(3):
        sock.offer(store.add())
    sock.offer(Resync(1))
    await sock.pump(4)
    assert sock.written == [1, 2, 3, Resync(1), 2, 3]


async def test_pushes_that_find_the_queue_full_during_a_replay_follow_it():
    store = Store()
    for _ in range(5):
        store.add()
    sock = Socket(store, 1)
    opening = asyncio.ensure_future(sock.open(0))  # replays 1..5, a page at a time
    await asyncio.sleep(0)
    for _ in range(3):
        sock.offer(store.add())  # 6 is queued; 7 and 8 find the queue full
    await opening
    await sock.pump(1)
    assert sock.written == list(range(1, 9)) and not sock.closed


@settings(max_examples=400, deadline=None)
@given(st.lists(Step, max_size=60), st.integers(1, 6))
def test_any_interleaving_gives_each_seq_once_in_order_with_no_gap(steps, queue_size):
    stored, held = asyncio.run(run(steps, queue_size))
    assert held == stored
