"""``make bench``'s table: each figure beside its target, and the gateway's beside its peers'
with Herald ÷ peer (for memory, lower is better: a ratio under 1 is Herald ahead); then the
verdict: every target met in this run, or which were missed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

NODE = "socket.io (Node.js)"


def _n(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


class Target(NamedTuple):
    text: str
    met: bool | None  # None: not measured in this run (the peers left out)


def at_least(value: float, bound: float) -> Target:
    return Target(f"≥ {_n(bound)}", value >= bound)


def at_most(value: float, bound: float) -> Target:
    return Target(f"≤ {_n(bound)}", value <= bound)


def none_of(*counts: int) -> Target:
    return Target(" / ".join("0" for _ in counts), not any(counts))


def _beside_node(ours: float, out: dict[str, Any]) -> Target:
    theirs = out.get("peers", {}).get(NODE, {}).get("fanout_frames_per_second")
    return Target("≥ 1 × socket.io", None if not theirs else ours >= theirs)


Row = tuple[str, str, Target | None]
PEER_FIGURES: tuple[tuple[str, str, Callable[[float, dict[str, Any]], Target]], ...] = (
    ("kib_per_socket", "memory per idle socket, KiB", lambda v, _out: at_most(v, 30)),
    ("opens_per_second", "sockets opened per second", lambda v, _out: at_least(v, 1000)),
    ("one_to_all_seconds", "one message to every socket, s", lambda v, _out: at_most(v, 1)),
    ("fanout_frames_per_second", "fan-out, frames per second", _beside_node))


def _pipeline_rows(out: dict[str, Any]) -> list[Row]:
    online, ceiling, ratios = out["online"], out["ceilings"], out["ratios"]
    at_1000 = min(out["latency_by_rate"], key=lambda r: abs(r["offered_per_second"] - 1000))
    latency = online["latency_ms"]
    return [
        (f"end to end, {online['readers']:,} readers online: delivered/s",
         _n(online["delivered_per_second"]), at_least(online["delivered_per_second"], 6000)),
        ("accepted by the API (/batch)/s", _n(online["accepted_per_second"]), None),
        *([("readers acking by ids ÷ by seq, delivered/s",
            f"{out['acks_by_ids']['over_seq']} "
            f"({_n(out['acks_by_ids']['delivered_per_second'])})",
            at_least(out["acks_by_ids"]["over_seq"], 0.9))]
          if "acks_by_ids" in out else []),
        ("latency 202 → socket at full speed, ms (p50/p95/p99)",
         f"{_n(latency['p50'])} / {_n(latency['p95'])} / {_n(latency['p99'])}", None),
        (f"p99 202 → socket at {_n(at_1000['offered_per_second'])}/s offered, ms",
         _n(at_1000["p99"]), at_most(at_1000["p99"], 250)),
        ("gaps / duplicates seen by readers", f"{online['gaps']} / {online['duplicates']}",
         none_of(online["gaps"], online["duplicates"])),
        ("readers away: stored (+ retry scheduled)/s", _n(out["offline"]["stored_per_second"]),
         at_least(out["offline"]["stored_per_second"], 5000)),
        ("ceiling: XADD of the same entries/s", _n(ceiling["xadd_per_second"]), None),
        ("ceiling: COPY / multi-row INSERT of the same rows/s",
         f"{_n(ceiling['copy_rows_per_second'])} / {_n(ceiling['insert_rows_per_second'])}",
         None),
        ("delivered ÷ XADD ceiling",
         f"{online['delivered_per_second'] / ceiling['xadd_per_second']:.3f}", None),
        ("stored ÷ COPY ceiling",
         f"{out['offline']['stored_per_second'] / ceiling['copy_rows_per_second']:.3f}", None),
        ("batch size 100 ÷ 1 (stored/s)",
         f"{ratios['batch_100_over_1']} ({_n(ratios['batch_100'])} / {_n(ratios['batch_1'])})",
         None),
        ("2 worker processes ÷ 1 (stored/s)",
         f"{ratios['workers_2_over_1']} ({_n(ratios['workers_2'])} / "
         f"{_n(ratios['workers_1'])})", None),
        (f"priority: p99 of {out['priority']['high']} high after "
         f"{out['priority']['backlog_low']:,} low, ms", _n(out["priority"]["p99"]),
         at_most(out["priority"]["p99"], 100)),
        *([(f"topic of {out['topic']['subscribers']:,} ({out['topic']['online']} online): "
             "last online socket, s", _n(out["topic"]["last_online_socket_seconds"]),
            at_most(out["topic"]["last_online_socket_seconds"], 1)),
           (f"topic of {out['topic']['subscribers']:,}: all stored, s",
            _n(out["topic"]["all_stored_seconds"]),
            at_most(out["topic"]["all_stored_seconds"], 30))]
          if "topic" in out else []),
        *([("tenant B p99 while A floods ÷ B quiet",
            f"{out['neighbours']['p99_ratio']} ({_n(out['neighbours']['flood']['p99'])} / "
            f"{_n(out['neighbours']['quiet']['p99'])} ms)",
            at_most(out["neighbours"]["p99_ratio"], 2))]
          if "neighbours" in out else []),
        (f"reconnect storm: {out['storm']['readers']:,} readers × "
         f"{out['storm']['missed_each']} missed, s", _n(out["storm"]["seconds"]),
         at_most(out["storm"]["seconds"], 10)),
        ("storm: gaps / duplicates / not caught up",
         f"{out['storm']['gaps']} / {out['storm']['duplicates']} / "
         f"{out['storm']['not_caught_up']}",
         none_of(out["storm"]["gaps"], out["storm"]["duplicates"], out["storm"]["not_caught_up"])),
    ]


def _gateway_targets(out: dict[str, Any]) -> list[tuple[str, Target]]:
    return [(label, target(out["gateway"][key], out)) for key, label, target in PEER_FIGURES]


def _gateway_rows(out: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    names = list(out.get("peers", {}))
    header = ["gateway, one process", "Herald", "target", *names,
              *(f"Herald ÷ {n}" for n in names)]
    rows = []
    for (key, label, _target), (_, target) in zip(PEER_FIGURES, _gateway_targets(out),
                                                  strict=True):
        ours = out["gateway"][key]
        theirs = [out["peers"][n][key] for n in names]
        rows.append([label, _n(ours), target.text, *map(_n, theirs),
                     *(f"{ours / t:.2f}" if t else "–" for t in theirs)])
    return header, rows


def _markdown(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def table(out: dict[str, Any]) -> list[str]:
    lines = _markdown(["pipeline", "Herald", "target"],
                      [[label, shown, target.text if target else ""]
                       for label, shown, target in _pipeline_rows(out)])
    header, rows = _gateway_rows(out)
    sockets = out["sizes"]["sockets"]
    return [*lines, "", f"({sockets:,} sockets each)", *_markdown(header, rows)]


def verdict(out: dict[str, Any]) -> dict[str, Any]:
    """How many targets this run met, of how many it measured, and the labels of those missed."""
    targets = [(label, target) for label, _shown, target in _pipeline_rows(out)
               if target is not None] + _gateway_targets(out)
    judged = [(label, target.met) for label, target in targets if target.met is not None]
    return {"met": sum(met for _label, met in judged), "of": len(judged),
            "missed": [label for label, met in judged if not met]}


def verdict_line(judged: dict[str, Any]) -> str:
    if not judged["missed"]:
        return f"every target met in this run ({judged['met']} of {judged['of']})"
    return (f"targets met: {judged['met']} of {judged['of']}; missed: "
            + "; ".join(judged["missed"]))


def print_table(out: dict[str, Any]) -> None:
    print()
    print("\n".join(table(out)))
    print(f"\n{verdict_line(out['targets'])}")
    print(f"({out['minutes']} minutes)")
