"""The Grafana dashboard in docs/ asks only for series Herald's parts export."""

from __future__ import annotations

import json
import re

from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from backend.core import metrics
from backend.notifications.lifecycle import Priority
from docs.dashboard import FILE, queries, text

SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"),
            "gauge": ("",)}
METRIC = re.compile(r"\bherald_[a-z_]+")
GROUPED = re.compile(r"by \(([^)]*)\) \(rate\((herald_[a-z_]+)")


def exported(*parts: CollectorRegistry) -> set[str]:
    """Each series name the parts export."""
    return {family.name + suffix for part in parts for family in part.collect()
            for suffix in SUFFIXES.get(family.type, ("",))}


def labels_of() -> dict[str, set[str]]:
    """Each of Herald's metrics (counters without ``_total``) with its label names."""
    return {m._name.removesuffix("_total"): set(m._labelnames)
            for m in vars(metrics).values() if isinstance(m, MetricWrapperBase)}


def test_the_dashboard_file_is_made_from_its_script():
    assert FILE.read_text() == text(), "run: python -m docs.dashboard"


def test_every_query_names_an_exported_series_and_groups_by_its_labels():
    series = exported(metrics.API, metrics.GATEWAY, metrics.WORKER)
    labels = labels_of()
    exprs = queries(json.loads(FILE.read_text()))
    assert exprs
    for expr in exprs:
        named = METRIC.findall(expr)
        assert named, expr
        for name in named:
            assert name in series, f"{name} in {expr!r} is exported by no part"
        for by, name in GROUPED.findall(expr):
            base = re.sub(r"_(total|bucket)$", "", name)
            wanted = {label.strip() for label in by.split(",")} - {"le"}
            assert wanted <= labels[base], f"{expr!r} groups by labels {name} lacks"


def test_counters_by_priority_name_every_priority():
    assert set(metrics.PRIORITIES) == {p.value for p in Priority}


def test_every_metric_is_documented():
    page = (FILE.parent / "METRICS.md").read_text()
    for name in labels_of():
        assert f"`{name}" in page, f"{name} is not in docs/METRICS.md"
