"""``make bench``'s verdict (``bench.table.verdict``): every figure with a target judged
against it, in the one run, and the missed ones named."""

from __future__ import annotations

import copy
from typing import Any

from bench.table import NODE, verdict, verdict_line

GATEWAY = {"kib_per_socket": 13.5, "opens_per_second": 1549, "one_to_all_seconds": 0.24,
           "fanout_frames_per_second": 112_825}
RUN: dict[str, Any] = {
    "sizes": {"sockets": 10_000},
    "online": {"readers": 1000, "delivered_per_second": 6193, "accepted_per_second": 16_397,
               "latency_ms": {"p50": 2932, "p95": 4858, "p99": 5019}, "gaps": 0,
               "duplicates": 0},
    "acks_by_ids": {"over_seq": 0.99, "delivered_per_second": 6139},
    "latency_by_rate": [{"offered_per_second": 506, "p99": 30.0},
                        {"offered_per_second": 1011, "p99": 45.2}],
    "offline": {"stored_per_second": 6275},
    "ceilings": {"xadd_per_second": 125_675, "copy_rows_per_second": 148_322,
                 "insert_rows_per_second": 20_095},
    "ratios": {"batch_100_over_1": 22.25, "batch_100": 2225, "batch_1": 100,
               "workers_2_over_1": 0.96, "workers_2": 3171, "workers_1": 3303},
    "priority": {"high": 100, "backlog_low": 20_000, "p99": 83.5},
    "topic": {"subscribers": 100_000, "online": 500, "last_online_socket_seconds": 0.17,
              "all_stored_seconds": 15.5},
    "neighbours": {"p99_ratio": 1.93, "flood": {"p99": 193}, "quiet": {"p99": 100}},
    "storm": {"readers": 5000, "missed_each": 10, "seconds": 7.14, "gaps": 0,
              "duplicates": 0, "not_caught_up": 0},
    "gateway": GATEWAY,
    "peers": {NODE: {**GATEWAY, "fanout_frames_per_second": 62_291}},
}


def _with(**changes: Any) -> dict[str, Any]:
    """The run above with ``part__figure=value`` changed."""
    run = copy.deepcopy(RUN)
    for path, value in changes.items():
        part, figure = path.split("__")
        run[part][figure] = value
    return run


def test_a_run_meeting_every_target_says_so() -> None:
    judged = verdict(RUN)
    assert judged == {"met": 15, "of": 15, "missed": []}
    assert verdict_line(judged) == "every target met in this run (15 of 15)"


def test_a_figure_past_its_target_is_named() -> None:
    judged = verdict(_with(online__delivered_per_second=5999, neighbours__p99_ratio=2.01))
    assert judged["met"] == 13
    assert judged["missed"] == ["end to end, 1,000 readers online: delivered/s",
                                "tenant B p99 while A floods ÷ B quiet"]
    assert verdict_line(judged).startswith("targets met: 13 of 15; missed: end to end")


def test_bounds_are_met_on_the_bound_itself() -> None:
    assert verdict(_with(online__delivered_per_second=6000, priority__p99=100))["missed"] == []


def test_a_gap_or_a_duplicate_misses_its_target() -> None:
    assert verdict(_with(storm__duplicates=1))["missed"] == [
        "storm: gaps / duplicates / not caught up"]
    assert verdict(_with(online__gaps=2))["missed"] == ["gaps / duplicates seen by readers"]


def test_fan_out_is_judged_against_node_only_when_node_ran() -> None:
    slower = _with(gateway__fanout_frames_per_second=60_000)
    assert verdict(slower)["missed"] == ["fan-out, frames per second"]
    without_peers = {k: v for k, v in slower.items() if k != "peers"}
    assert verdict(without_peers) == {"met": 14, "of": 14, "missed": []}
