"""Sockets still authenticating, counted per client address: one address cannot hold
thousands of sockets that never send credentials."""

from __future__ import annotations

from collections import Counter


class Pending:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._by_address: Counter[str] = Counter()

    def enter(self, address: str) -> bool:
        """Count one more socket from ``address``; False (not counted) past the limit."""
        if self._by_address[address] >= self.limit:
            return False
        self._by_address[address] += 1
        return True

    def leave(self, address: str) -> None:
        self._by_address[address] -= 1
        if self._by_address[address] <= 0:
            del self._by_address[address]
