"""Matching at the size of the largest network: 26,000 members, ~6 interests each.

Interests follow a Zipf-like law over ~300 tags (a few tags held by thousands, a long tail held
by a handful), members belong to ~80 agencies of very unequal size. Measures the index build,
`match` latency over 1,000 random callers (excluding whom they met in earlier rounds), `match
topic:` latency and full rounds, with and without history: first the pure core, then the same
through the real bot (dispatcher, SQLite, repositories: bench/match_bot.py). Run from the repo
root: `python bench/match.py [--quick]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from match_bot import measure_bot
from measure import peak_rss_mib, percentile, report

from commands.match.ranking import Candidate, MatchPool, members_on_topic, rank_partners
from commands.match.rounds import RoundGroup, pair_round
from commands.profile.tags import CANONICAL_TAGS
from fedbot.cli import run_async

NOW = datetime(2025, 6, 1, tzinfo=UTC)
TAG_COUNT = 300
AGENCY_COUNT = 80
ZIPF_EXPONENT = 1.0
T = TypeVar("T")
Row = tuple[str, str, str, bool]


def zipf_weights(count: int, exponent: float) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, count + 1)]


def tag_names() -> list[str]:
    names = [tag.slug for tag in CANONICAL_TAGS]
    return names + [f"sujet-{i:03d}" for i in range(TAG_COUNT - len(names))]


def generate(count: int, rng: random.Random) -> list[Candidate]:
    tags = tag_names()
    rng.shuffle(tags)  # popularity should not follow the table's order
    tag_cum = _cumulative(zipf_weights(len(tags), ZIPF_EXPONENT))
    agencies = [f"agence-{i:02d}" for i in range(AGENCY_COUNT)]
    agency_cum = _cumulative(zipf_weights(AGENCY_COUNT, 1.0))
    members = []
    for i in range(count):
        wanted = max(1, min(15, round(rng.gauss(6, 2))))
        chosen: set[str] = set()
        while len(chosen) < wanted:
            chosen.update(rng.choices(tags, cum_weights=tag_cum, k=wanted - len(chosen)))
        agency = rng.choices(agencies, cum_weights=agency_cum)[0]
        members.append(Candidate(f"slack:T1:U{i:06d}", agency, frozenset(chosen), True))
    return members


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def timed(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def partners_of(groups: Iterable[Collection[str]]) -> dict[str, set[str]]:
    partners: dict[str, set[str]] = {}
    for group in groups:
        for key in group:
            partners.setdefault(key, set()).update(k for k in group if k != key)
    return partners


def random_pairs(members: list[Candidate], rng: random.Random) -> list[RoundGroup]:
    """The baseline a coffee-chat app without interests would give, to judge the pairing."""
    shuffled = rng.sample(members, len(members))
    return [
        RoundGroup((a.key, b.key), tuple(sorted(a.tags & b.tags)))
        for a, b in zip(shuffled[::2], shuffled[1::2], strict=False)
    ]


def measure_rounds(members: list[Candidate], pool: MatchPool) -> list[Row]:
    first_s, first = timed(lambda: pair_round(members, (), seed=1, now=NOW))
    history = [frozenset(g.members) for g in first]
    for seed in (2, 3):
        history += [frozenset(g.members) for g in pair_round(members, history, seed=seed, now=NOW)]
    fourth_s, fourth = timed(lambda: pair_round(members, history, seed=4, now=NOW))
    describe_round("random pairing (baseline)", random_pairs(members, random.Random(0)), pool)
    describe_round("round 1 (no history)", first, pool)
    describe_round(f"round 4 ({len(history):,} past groups)", fourth, pool)
    return [
        ("round, no history", f"{first_s:.2f} s", "< 10 s", first_s < 10),
        ("round, 3 past rounds", f"{fourth_s:.2f} s", "< 10 s", fourth_s < 10),
    ]


def measure_matches(
    members: list[Candidate], pool: MatchPool, callers: int, rng: random.Random
) -> list[Row]:
    # Callers exclude whom they met in two earlier rounds, as `match` does by default.
    met = partners_of(g.members for s in (1, 2) for g in pair_round(members, (), seed=s, now=NOW))
    sample = rng.sample(members, min(callers, len(members)))
    match_s = [timed(lambda m=m: rank_partners(m, pool, exclude=met[m.key]))[0] for m in sample]
    topics = [rng.choice(sorted(m.tags)) for m in sample]
    topic_s = [
        timed(lambda m=m, t=t: rank_partners(m, pool, topic=t))[0]
        for m, t in zip(sample, topics, strict=True)
    ]
    list_s = [timed(lambda t=t: members_on_topic(pool, t))[0] for t in topics[:200]]
    ms = 1e3
    p99, topic_p99 = percentile(match_s, 99) * ms, percentile(topic_s, 99) * ms
    return [
        ("match p50", f"{percentile(match_s, 50) * ms:.2f} ms", "", True),
        ("match p99", f"{p99:.2f} ms", "< 50 ms", p99 < 50),
        ("match max", f"{max(match_s) * ms:.2f} ms", "", True),
        ("match topic:<tag> p99", f"{topic_p99:.2f} ms", "< 50 ms", topic_p99 < 50),
        ("members_on_topic p99", f"{percentile(list_s, 99) * ms:.2f} ms", "", True),
    ]


def main(count: int, callers: int) -> None:
    rng = random.Random(2025)
    gen_s, members = timed(lambda: generate(count, rng))
    build_s, pool = timed(lambda: MatchPool(members))
    print(
        f"{count:,} members, {len(pool.tags())} tags, {AGENCY_COUNT} agencies, "
        f"{statistics.mean(len(m.tags) for m in members):.1f} interests each "
        f"(generated in {gen_s:.1f} s)"
    )
    rows: list[Row] = [("index build", f"{build_s * 1e3:.0f} ms", "", True)]
    rows += measure_matches(members, pool, callers, rng)
    rows += measure_rounds(members, pool)
    rows += run_async(measure_bot(members, callers, rng))
    rows.append(("peak RSS", f"{peak_rss_mib():.0f} MiB", "", True))
    report(rows)


def describe_round(label: str, groups: list[RoundGroup], pool: MatchPool) -> None:
    trios = sum(len(g.members) == 3 for g in groups)
    with_shared = sum(bool(g.shared) for g in groups) / len(groups)
    repeats = sum(g.repeat for g in groups)
    mean_shared = statistics.mean(len(g.shared) for g in groups)
    rarest = statistics.mean(max(map(pool.idf, g.shared), default=0.0) for g in groups)
    crossing = sum(len({_agency(pool, k) for k in g.members}) > 1 for g in groups) / len(groups)
    print(
        f"{label}: {len(groups):,} groups ({trios} trio), {with_shared:.1%} share an interest, "
        f"{mean_shared:.2f} shared tags, rarest shared idf {rarest:.2f}, "
        f"{crossing:.1%} cross agencies, {repeats} repeats"
    )


def _agency(pool: MatchPool, key: str) -> str | None:
    member = pool.get(key)
    return member.agency if member else None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,600 members, 200 callers")
    args = parser.parse_args()
    main(*((2_600, 200) if args.quick else (26_000, 1_000)))
