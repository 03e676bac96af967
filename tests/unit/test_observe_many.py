"""``metrics.observe_many`` leaves a histogram exactly as observing each value would."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram

from backend.core.metrics import LATENCY_BUCKETS, observe_many


def _samples(histogram: Histogram) -> list[tuple[str, dict[str, str], float]]:
    return [(s.name, s.labels, round(s.value, 9))
            for family in histogram.collect() for s in family.samples
            if not s.name.endswith("_created")]


def test_many_values_at_once_make_the_same_buckets_count_and_sum():
    # on a bound, between bounds, below the first, past the last (+Inf), and negative
    values = [0.005, 0.0051, 0.001, 0.25, 0.3, 61.0, 1e9, 0.0, -1.0, 2.5, 2.5]
    one_by_one, together = (Histogram("h", "h", ["path"], buckets=LATENCY_BUCKETS,
                                      registry=CollectorRegistry()) for _ in range(2))
    for value in values:
        one_by_one.labels(path="live").observe(value)
    observe_many(together.labels(path="live"), values)
    assert _samples(together) == _samples(one_by_one)
    assert ("h_count", {"path": "live"}, len(values)) in _samples(together)


def test_no_values_change_nothing():
    histogram = Histogram("h", "h", buckets=LATENCY_BUCKETS, registry=CollectorRegistry())
    before = _samples(histogram)
    observe_many(histogram, [])
    assert _samples(histogram) == before
