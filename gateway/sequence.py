"""One socket's sequence: the promise "no gap on reconnect, no duplicate" (DESIGN invariant
4) as a pure state machine, no I/O and no asyncio. ``Connection`` owns the socket, the send
queue and the timers, and asks this what to do with each frame, replay and ack.

A socket moves ``opening`` (until the welcome) → ``catching_up`` (a replay from storage
is running) ⇄ ``live`` → ``closing``; any other move is a bug and raises, as the
notification lifecycle does.
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    OPENING = "opening"
    CATCHING_UP = "catching_up"
    LIVE = "live"
    CLOSING = "closing"


MOVES: dict[Phase, frozenset[Phase]] = {
    Phase.OPENING: frozenset({Phase.CATCHING_UP, Phase.LIVE, Phase.CLOSING}),
    Phase.CATCHING_UP: frozenset({Phase.LIVE, Phase.CLOSING}),
    Phase.LIVE: frozenset({Phase.CATCHING_UP, Phase.CLOSING}),
    Phase.CLOSING: frozenset(),
}


class IllegalMove(RuntimeError):
    """A socket asked to go where its life cycle does not lead."""


class Full(StrEnum):
    """What to do with a notification that found the send queue full."""

    DUPLICATE = "duplicate"  # a repeat of one the client holds: drop it
    LATER = "later"  # stored before it was pushed: read once the running replay is done
    OVERFLOW = "overflow"  # the client stopped reading: close the socket


class Sequence:
    __slots__ = ("phase", "next_seq", "acked", "oldest_unacked", "_replaying", "_catch_up")

    def __init__(self) -> None:
        self.phase = Phase.OPENING
        self.next_seq = 1  # the seq the client must see next; set at welcome
        self.acked = 0  # the highest seq this socket acknowledged
        self.oldest_unacked: str | None = None  # created_at of the oldest frame not acked
        self._replaying = 0  # how deep in replays (a replay may look into a gap within one)
        self._catch_up = 0  # the highest seq of pushes dropped while replaying (stored)

    # The life cycle --------------------------------------------------------------------
    def _move(self, new: Phase) -> None:
        if new is not self.phase and new not in MOVES[self.phase]:
            raise IllegalMove(f"a socket cannot go from {self.phase} to {new}")
        self.phase = new

    def _settle(self) -> None:
        if self.phase in (Phase.CATCHING_UP, Phase.LIVE):
            self._move(Phase.CATCHING_UP if self._replaying else Phase.LIVE)

    def welcome(self, last_held: int) -> None:
        """The client holds every seq up to ``last_held`` (or is told to start after it)."""
        if self.phase is not Phase.OPENING:
            raise IllegalMove(f"a socket is welcomed once, not when {self.phase}")
        self.next_seq = last_held + 1
        self._move(Phase.CATCHING_UP if self._replaying else Phase.LIVE)

    def close(self) -> None:
        self._move(Phase.CLOSING)

    @property
    def closing(self) -> bool:
        return self.phase is Phase.CLOSING

    # Replays ---------------------------------------------------------------------------
    def replay_started(self) -> None:
        self._replaying += 1
        self._settle()

    def replay_ended(self) -> tuple[int, int] | None:
        """The seqs to read from storage now, ``(after, through)``: pushes that found the
        queue full while replaying; None when there are none."""
        if self._replaying <= 0:
            raise IllegalMove("a replay ended that never started")
        self._replaying -= 1
        self._settle()
        if self._replaying or self._catch_up < self.next_seq or self.closing:
            return None
        through, self._catch_up = self._catch_up, 0
        return self.next_seq - 1, through

    def rewind(self, since: int) -> None:
        """The client saw a hole after ``since``: send again from there."""
        self.next_seq = min(self.next_seq, since + 1)

    # Frames ----------------------------------------------------------------------------
    def when_full(self, seq: int | None) -> Full:
        """A frame (a notification's ``seq``, or None) found the send queue full."""
        if seq is not None and seq < self.next_seq:
            return Full.DUPLICATE  # a retry due while it was away, say
        if seq is not None and self._replaying:
            self._catch_up = max(self._catch_up, seq)
            return Full.LATER
        self.close()
        return Full.OVERFLOW

    def gap_before(self, seq: int) -> tuple[int, int] | None:
        """Seqs to replay from storage before ``seq`` may go, ``(after, through)``: a push
        ahead of an earlier one (the earlier ones are stored already)."""
        if seq > self.next_seq and not self.closing:
            return self.next_seq - 1, seq - 1
        return None

    def due(self, seq: int) -> bool:
        """``seq`` goes to the client now: not a repeat, and the socket is not closing."""
        return seq >= self.next_seq and not self.closing

    def sent(self, seq: int, created_at: str | None) -> None:
        if self.phase not in (Phase.CATCHING_UP, Phase.LIVE):
            raise IllegalMove(f"a notification sent on a socket {self.phase}")
        self.next_seq = seq + 1
        # A retraction's frame has no created_at: nothing to acknowledge.
        if created_at and (self.oldest_unacked is None or created_at < self.oldest_unacked):
            self.oldest_unacked = created_at

    # Acknowledgements ------------------------------------------------------------------
    def ack(self, seq: int) -> tuple[int, int, str | None]:
        """The client holds everything up to ``seq``: ``(after, through, oldest)`` to apply
        (``gateway.acks``), from what this socket acknowledged before."""
        noted = self.acked, seq, self.oldest_unacked
        self.acked = max(self.acked, seq)
        if self.acked >= self.next_seq - 1:
            self.oldest_unacked = None  # every frame sent is acknowledged
        return noted
