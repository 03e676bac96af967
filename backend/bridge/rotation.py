"""Deficit round robin over tenants: who publishes the next batch of one queue.

Each tenant with entries waiting takes a turn; a turn is worth ``batch_size x weight``
entries (weights per tenant, 1 by default), handed out in batches of at most
``batch_size``. What a tenant does not use it keeps only while it has entries waiting, so a
tenant back from quiet starts level with the others rather than ahead of them. A tenant's
entries leave in the order they came: a reader's order is kept.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Rotation(Generic[T]):
    batch_size: int
    weights: Mapping[str, float] = field(default_factory=dict)
    # Tenants with entries waiting, the one whose turn it is first.
    _waiting: OrderedDict[str, deque[T]] = field(default_factory=OrderedDict)
    _deficit: dict[str, float] = field(default_factory=dict)
    _count: int = 0

    def add(self, tenant: str, item: T) -> None:
        self._waiting.setdefault(tenant, deque()).append(item)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[T]:
        for items in self._waiting.values():
            yield from items

    def next_batch(self, limit: int | None = None) -> list[T]:
        """The entries of the next turn (one tenant's, at most ``limit`` of them, a batch by
        default), or ``[]`` when nothing waits."""
        while self._waiting:
            tenant, items = next(iter(self._waiting.items()))
            if self._deficit.get(tenant, 0.0) < 1:
                self._deficit[tenant] = self._deficit.get(tenant, 0.0) + self._quantum(tenant)
                if self._deficit[tenant] < 1:  # a small weight: it gathers over turns
                    self._waiting.move_to_end(tenant)
                    continue
            size = min(len(items), limit or self.batch_size, int(self._deficit[tenant]))
            batch = [items.popleft() for _ in range(size)]
            self._deficit[tenant] -= size
            self._count -= size
            if not items:
                del self._waiting[tenant]
                del self._deficit[tenant]
            elif self._deficit[tenant] < 1:
                self._waiting.move_to_end(tenant)
            return batch
        return []

    def fill(self, size: int) -> list[T]:
        """Up to ``size`` entries, turn after turn: many small tenants still make one batch."""
        batch: list[T] = []
        while len(batch) < size and (turn := self.next_batch(size - len(batch))):
            batch += turn
        return batch

    def waiting_of(self, tenant: str) -> int:
        return len(self._waiting.get(tenant, ()))

    def take_light(self, most: int, size: int, besides: Container[str] = ()) -> list[T]:
        """Every entry of the tenants with at most ``most`` waiting, up to ``size`` (whole
        tenants, in turn order), ``besides`` those: tenants not flooding, whose few entries
        need no turn."""
        batch: list[T] = []
        for tenant in [t for t, items in self._waiting.items()
                       if len(items) <= most and t not in besides]:
            if len(batch) + len(self._waiting[tenant]) > size:
                break
            items = self._waiting.pop(tenant)
            self._deficit.pop(tenant, None)
            self._count -= len(items)
            batch += items
        return batch

    def clear(self) -> None:
        self._waiting.clear()
        self._deficit.clear()
        self._count = 0

    def _quantum(self, tenant: str) -> float:
        return self.batch_size * self.weights.get(tenant, 1.0)
