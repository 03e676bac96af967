"""Python's cyclic garbage collector, set for a part that runs for days.

A full collection walks every object the process holds. CPython starts one whenever the
objects kept since the last grew by a quarter, and, with its default thresholds, looks as
often as every 70,000 allocations: a gateway opening thousands of sockets (a few hundred
objects each) walked all of them again and again, with the frameworks' import-time objects
besides, a third of its CPU while sockets opened; a worker spent a tenth of its CPU so.
"""

from __future__ import annotations

import gc

from backend.core.config import Settings


def settle(settings: Settings) -> None:
    """Call once a part has loaded what it keeps for its life: that is frozen out of every
    later collection, and collections follow ``HERALD_GC_THRESHOLDS``. Cyclic garbage is
    still collected; a part's own objects are still walked, less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*settings.gc_thresholds)
