"""Each tenant's share of an outbound worker: at most ``per_tenant`` of its sends in flight at
once among the worker's threads, so that one tenant's slow endpoints hold its own share of
them, never all."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator


class Slots:
    def __init__(self, per_tenant: int) -> None:
        self.per_tenant = per_tenant
        self._lock = threading.Lock()
        self._held: Counter[str] = Counter()

    @contextlib.contextmanager
    def held(self, tenant_id: str) -> Iterator[bool]:
        """Whether the tenant had a free slot (held until the block ends): without one, the
        caller puts the send off instead of waiting in a thread others need."""
        with self._lock:
            free = self._held[tenant_id] < self.per_tenant
            if free:
                self._held[tenant_id] += 1
        try:
            yield free
        finally:
            if free:
                with self._lock:
                    self._held[tenant_id] -= 1
                    if not self._held[tenant_id]:
                        del self._held[tenant_id]
