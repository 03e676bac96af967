"""The PNG ``make bench`` writes: latency from the API's 202 to the reader's socket
(p50, p95, p99) against the offered rate."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def latency_plot(by_rate: list[dict[str, Any]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no screen
    from matplotlib import pyplot as plt

    rates = [r["offered_per_second"] for r in by_rate]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for key in ("p50", "p95", "p99"):
        axes.plot(rates, [r[key] for r in by_rate], marker="o", label=key)
    axes.axhline(250, color="grey", linestyle="--", linewidth=1, label="p99 target at 1,000/s")
    axes.set_xlabel("offered notifications per second")
    axes.set_ylabel("202 → socket, ms")
    axes.set_yscale("log")
    axes.set_title("Herald: latency against offered rate (readers online)")
    axes.legend()
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out
