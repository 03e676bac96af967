"""py-spy profiles of a part while a bench runs, and their top frames."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

OUR_CODE = re.compile(r"\((backend|tasks|gateway)/")


def record(pid: int, seconds: int, folded: Path) -> subprocess.Popen[bytes]:
    py_spy = Path(sys.executable).with_name("py-spy")
    folded.parent.mkdir(exist_ok=True)
    # --gil: samples of threads holding the GIL, i.e. where the CPU goes (not database waits)
    return subprocess.Popen([str(py_spy), "record", "--gil", "--subprocesses", "--pid",
                             str(pid),
                             "--duration", str(seconds), "--rate", "200", "--format", "raw",
                             "--output", str(folded),
                             "--nonblocking"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def top_frames(folded: Path, n: int = 15) -> dict[str, list[tuple[str, float]]]:
    """From py-spy's raw output: the functions the samples were in (self) and our own
    functions that were on the stack (inclusive), as shares of the samples."""
    own: dict[str, int] = {}
    ours: dict[str, int] = {}
    samples = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        samples += int(count)
        own[frames[-1]] = own.get(frames[-1], 0) + int(count)
        for name in {f for f in frames if OUR_CODE.search(f)}:
            ours[name] = ours.get(name, 0) + int(count)

    def ranked(totals: dict[str, int]) -> list[tuple[str, float]]:
        best = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:n]
        return [(name, round(100 * hits / samples, 1)) for name, hits in best]

    return {"self": ranked(own), "ours_inclusive": ranked(ours)}


def report(folded: Path, part: str) -> dict[str, list[tuple[str, float]]]:
    """Print the top frames of a profile and return them."""
    frames = top_frames(folded)
    for kind, ranked in frames.items():
        print(f"  {part} profile, {kind}:")
        for name, share in ranked:
            print(f"    {share:5.1f}%  {name}")
    return frames
