"""Shared measuring helpers for the bench scripts: percentiles, peak RSS, a target table."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# The workspace the benches' callers come from: a federation workspace, so commands do real work.
BENCH_FEDERATION = {"slack_teams": ["T1"]}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(rows: list[tuple[str, str, str, bool]]) -> None:
    """Print figure, target and verdict side by side."""
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'figure':>14}  {'target':>14}  ok")
    for name, figure, target, ok in rows:
        print(f"{name:<{width}}  {figure:>14}  {target:>14}  {'yes' if ok else 'NO'}")
