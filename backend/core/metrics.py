"""Prometheus metrics of Herald's parts, each part in a registry of its own.

A part's ``/metrics`` exports its registry only: the API does not show the gateway's socket
gauge (always 0 there), nor a worker the API's counters. Code shared by several parts (a
render, a fallback step) counts into the registry of the part that runs it; a metric two
parts both count (render fallbacks: a worker's sends, the API's edits) is in both.

A worker runs its tasks in a pool of processes: there the counters live in files
(``PROMETHEUS_MULTIPROC_DIR``, set by ``herald worker`` before anything is imported) and the
worker's parent exports their sums (``tasks.metrics_server``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

API = CollectorRegistry(auto_describe=True)
GATEWAY = CollectorRegistry(auto_describe=True)
WORKER = CollectorRegistry(auto_describe=True)

# The notification priorities (``lifecycle.Priority``; core imports nothing of ours): each
# counter by priority starts at 0 for all three, so a graph has a line before the first one.
PRIORITIES = ("high", "normal", "low")
# From 5 ms to a minute: a live push takes milliseconds, one behind a backlog seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

M = TypeVar("M", bound=MetricWrapperBase)


def _in(metric: M, *parts: CollectorRegistry, **zeros: Iterable[str]) -> M:
    """``metric`` exported by ``parts``; a series at 0 for each of ``zeros``' values."""
    for part in parts:
        part.register(metric)
    for label, values in zeros.items():
        for value in values:
            metric.labels(**{label: value})
    return metric


# The API ------------------------------------------------------------------------------------
ACCEPTED = _in(Counter(
    "herald_notifications_accepted_total", "Notifications accepted by the API (answered 202)",
    ["priority"], registry=None), API, priority=PRIORITIES)

# A worker -----------------------------------------------------------------------------------
STORED = _in(Counter(
    "herald_notifications_stored_total", "Notifications a worker stored (newly or again)",
    ["priority"], registry=None), WORKER, priority=PRIORITIES)
PUSHES = _in(Counter(
    "herald_pushes_total", "In-app pushes by outcome: delivered (a socket took it), offline "
    "(no socket: a retry or the next channel follows), failed (the gateway refused or could "
    "not be reached)", ["outcome"], registry=None), WORKER,
    outcome=("delivered", "offline", "failed"))
IN_APP_RETRIES = _in(Counter(
    "herald_in_app_retries_total", "In-app retries scheduled with backoff for absent readers",
    ["priority"], registry=None), WORKER, priority=PRIORITIES)
FALLBACKS = _in(Counter(
    "herald_fallbacks_total", "Fallback sends by channel and outcome (sent, error: retried, "
    "failed, skipped: no address or held back)", ["channel", "outcome"], registry=None), WORKER)
FAILED = _in(Counter(
    "herald_notifications_failed_total", "Notifications no channel could deliver",
    ["priority"], registry=None), WORKER, priority=PRIORITIES)
WAITED_FOR_EARLIER = _in(Counter(
    "herald_entries_waited_total",
    "Stream entries a worker put back for 50 ms: their reader's earlier one was not stored yet",
    registry=None), WORKER)
DEAD_LETTERS = _in(Counter(
    "herald_dead_letters_total", "Stream entries a worker could not store, kept as dead letters",
    registry=None), WORKER)
WEBHOOK_EVENTS = _in(Counter(
    "herald_webhook_events_total", "Delivery-webhook posts by outcome (delivered, retried, "
    "failed: given up at once)", ["outcome"], registry=None), WORKER,
    outcome=("delivered", "retried", "failed"))
BATCH_STAGES = _in(Histogram(
    "herald_batch_stage_seconds", "Time of each stage of a delivery batch (persist: store "
    "and render; push: offer to the gateway; record: attempts and retries)", ["stage"],
    buckets=LATENCY_BUCKETS, registry=None), WORKER, stage=("persist", "push", "record"))
RENDER_FALLBACKS = _in(Counter(
    "herald_render_fallbacks_total",
    "Texts shown as their plain words because their render failed or was skipped", ["reason"],
    registry=None), WORKER, API)

# A gateway node -----------------------------------------------------------------------------
GATEWAY_SOCKETS = _in(Gauge(
    "herald_gateway_sockets", "Open reader sockets on this gateway node", registry=None),
    GATEWAY)
GATEWAY_PUSHED = _in(Counter(
    "herald_gateway_push_total", "Notification frames offered by the push API", ["taken"],
    registry=None), GATEWAY, taken=("true", "false"))
GATEWAY_CLOSED_SLOW = _in(Counter(
    "herald_gateway_slow_closes_total", "Sockets closed 4408 because they stopped reading",
    registry=None), GATEWAY)
DELIVERED = _in(Counter(
    "herald_delivered_total", "Notification frames written to a reader's socket: live (pushed "
    "while it was open) or replay (stored while it was away)", ["path", "priority"],
    registry=None), GATEWAY)
DELIVERY_SECONDS = _in(Histogram(
    "herald_delivery_seconds", "From the API's 202 to the frame written to a socket",
    ["path", "priority"], buckets=LATENCY_BUCKETS, registry=None), GATEWAY)
for _path in ("live", "replay"):
    for _priority in PRIORITIES:
        DELIVERED.labels(path=_path, priority=_priority)
        DELIVERY_SECONDS.labels(path=_path, priority=_priority)

for _process_part in (API, GATEWAY):
    for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        _process_part.register(_collector)


def observe_many(histogram: Any, values: Sequence[float]) -> None:
    """``histogram.observe`` of each value (a labelled child, no exemplars): one lock per
    bucket touched instead of two per value. Per frame, a gateway fanning out spent a fifth
    of its time in the delivery histogram's locks (py-spy, ``bench.sockets``)."""
    bounds = getattr(histogram, "_upper_bounds", None)
    if bounds is None:  # prometheus_client changed its insides: the documented way
        for value in values:
            histogram.observe(value)
        return
    histogram._sum.inc(sum(values))
    for bucket, count in Tally(bisect_left(bounds, value) for value in values).items():
        histogram._buckets[bucket].inc(count)


def names(registry: CollectorRegistry) -> set[str]:
    """The metric families ``registry`` exports (counters without ``_total``)."""
    return {family.name for family in registry.collect()}


class OwnFromFiles(Collector):
    """The sums over a worker's pool processes (their files), of the worker's metrics only:
    the files hold every metric those processes made, other parts' included."""

    def __init__(self, path: str, own: CollectorRegistry) -> None:
        self.files = MultiProcessCollector(None, path)
        self.own = names(own)

    def collect(self) -> Iterator[object]:  # type: ignore[override]
        return (family for family in self.files.collect() if family.name in self.own)
