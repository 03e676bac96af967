"""The Grafana dashboard (docs/grafana-dashboard.json), made from the metrics Herald's parts
export (``backend/core/metrics.py``). Import it in Grafana (Dashboards, New, Import) and pick
the Prometheus that scrapes the API, the gateway nodes and the workers.

    python -m docs.dashboard          # rewrite docs/grafana-dashboard.json
    python -m docs.dashboard --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FILE = Path(__file__).resolve().parent / "grafana-dashboard.json"
SOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
RATE = "[5m]"


def rate(metric: str, by: str = "") -> str:
    grouped = f"sum by ({by}) " if by else "sum "
    return f"{grouped}(rate({metric}{RATE}))"


def quantile(q: float, metric: str, where: str = "", by: str = "") -> str:
    labels = ", ".join(filter(None, ["le", by]))
    return (f"histogram_quantile({q}, sum by ({labels}) "
            f"(rate({metric}_bucket{{{where}}}{RATE})))")


# (title, unit, [(query, legend)]), in rows of three.
PANELS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("Accepted by the API", "reqps",
     [(rate("herald_notifications_accepted_total", "priority"), "{{priority}}")]),
    ("Stored by workers", "reqps",
     [(rate("herald_notifications_stored_total", "priority"), "{{priority}}")]),
    ("Written to sockets", "reqps",
     [(rate("herald_delivered_total", "path"), "{{path}}")]),
    ("202 to socket, live", "s",
     [(quantile(0.5, "herald_delivery_seconds", 'path="live"'), "p50"),
      (quantile(0.99, "herald_delivery_seconds", 'path="live"'), "p99"),
      (quantile(0.99, "herald_delivery_seconds", 'path="live"', "priority"),
       "p99 {{priority}}")]),
    ("Batch stages, p99", "s",
     [(quantile(0.99, "herald_batch_stage_seconds", by="stage"), "{{stage}}")]),
    ("In-app pushes", "reqps",
     [(rate("herald_pushes_total", "outcome"), "{{outcome}}")]),
    ("In-app retries scheduled", "reqps",
     [(rate("herald_in_app_retries_total", "priority"), "{{priority}}")]),
    ("Fallback sends", "reqps",
     [(rate("herald_fallbacks_total", "channel, outcome"), "{{channel}} {{outcome}}")]),
    ("Failed and dead-lettered", "reqps",
     [(rate("herald_notifications_failed_total", "priority"), "failed {{priority}}"),
      (rate("herald_dead_letters_total"), "dead letters")]),
    ("Delivery webhooks", "reqps",
     [(rate("herald_webhook_events_total", "outcome"), "{{outcome}}")]),
    ("Open sockets", "short",
     [("sum(herald_gateway_sockets)", "sockets"),
      (rate("herald_gateway_slow_closes_total"), "closed: too slow (per s)")]),
    ("Plain-text fallbacks of renders", "reqps",
     [(rate("herald_render_fallbacks_total", "reason"), "{{reason}}")]),
]


def panel(index: int, title: str, unit: str, queries: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "id": index + 1, "type": "timeseries", "title": title, "datasource": SOURCE,
        "gridPos": {"h": 8, "w": 8, "x": (index % 3) * 8, "y": (index // 3) * 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": chr(ord("A") + n), "datasource": SOURCE, "expr": expr,
                     "legendFormat": legend} for n, (expr, legend) in enumerate(queries)],
    }


def dashboard() -> dict[str, Any]:
    return {
        "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource",
                      "pluginId": "prometheus", "pluginName": "Prometheus"}],
        "title": "Herald", "uid": "herald", "tags": ["herald"], "schemaVersion": 39,
        "time": {"from": "now-1h", "to": "now"}, "refresh": "30s",
        "panels": [panel(i, *spec) for i, spec in enumerate(PANELS)],
    }


def text() -> str:
    return json.dumps(dashboard(), indent=2) + "\n"


def queries(board: dict[str, Any]) -> list[str]:
    return [target["expr"] for p in board["panels"] for target in p["targets"]]


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if FILE.read_text() == text() else 1)
    FILE.write_text(text())
    print(f"wrote {FILE}")
