"""Commands per second and latency through the core (parse, role, throttle, handler, reply).

Two commands: `help` (no I/O) and `agency list` (one query: on a SQLite file, one thread hop
through the reader threads; on PostgreSQL, asyncpg). PostgreSQL is measured beside SQLite when
`--db` or `$FEDBOT_TEST_POSTGRES_URL` names a server. Run from the repo root:
`python bench/dispatch.py [--quick] [--db postgresql+asyncpg://…]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from measure import peak_rss_mib, percentile, report

from bot.app import BotApp
from bot.config import parse_config
from bot.identity import Caller, ChannelRef, Place
from fedbot.assembly import make_app
from fedbot.cli import run_async
from tests.postgres import postgres_database

CONCURRENT = 8  # commands in flight at once, as when several members type at the same time


def _caller() -> tuple[Caller, Place]:
    # A chat user (throttled path) with a bucket large enough never to be refused: the
    # throttle's bookkeeping is measured, its refusals are not.
    return Caller("slack", "T1", "U1", "Bench", "fr"), Place(ChannelRef("slack", "T1", "C1"))


async def measure(app: BotApp, line: str, count: int) -> tuple[float, list[float]]:
    """One command after the other: the latency of each, and the rate that follows."""
    caller, place = _caller()
    handle = app.dispatcher.handle_text
    first = await handle(caller, place, line)
    assert first is not None and not first.is_error, first  # measure the real work
    for _ in range(min(200, count)):
        await handle(caller, place, line)
    samples: list[float] = []
    start = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        await handle(caller, place, line)
        samples.append(time.perf_counter() - t0)
    return count / (time.perf_counter() - start), samples


async def concurrent_rate(app: BotApp, line: str, count: int) -> float:
    """`CONCURRENT` commands in flight: the event loop works while queries run elsewhere."""
    caller, place = _caller()
    handle = app.dispatcher.handle_text

    async def member(n: int) -> None:
        for _ in range(n):
            await handle(caller, place, line)

    start = time.perf_counter()
    await asyncio.gather(*(member(count // CONCURRENT) for _ in range(CONCURRENT)))
    return count // CONCURRENT * CONCURRENT / (time.perf_counter() - start)


@dataclass
class Figures:
    engine: str
    rate: float
    samples: list[float]
    concurrent: float


async def database_figures(url: str, engine: str, quick: bool) -> Figures:
    config = parse_config(
        {
            "federation": {"slack_teams": ["T1"]},
            "throttle": {"burst": 10**9, "rate_per_minute": 10**9},
        },
        {},
    )
    config = replace(config, bot=replace(config.bot, database_url=url))
    async with make_app(config) as app:
        for i in range(80):
            agency, _ = await app.services.agencies.add(
                f"Agence {i}", f"Région {i % 13}", app.clock.now()
            )
            await app.services.agencies.attach_channel(
                agency.id, ChannelRef("slack", "T1", f"C{i}"), (), app.clock.now()
            )
        n = 300 if quick else 5_000
        rate, samples = await measure(app, LIST, n)
        concurrent = await concurrent_rate(app, LIST, n)
    return Figures(engine, rate, samples, concurrent)


LIST = '/agency list region:"Région 3"'


async def main(quick: bool, pg_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config({"federation": {"slack_teams": ["T1"]}}, {})
        config = replace(
            config, bot=replace(config.bot, database_url=f"sqlite+aiosqlite:///{tmp}/h.db")
        )
        async with make_app(config) as app:
            help_rate, help_s = await measure(app, "/help", 2_000 if quick else 50_000)
        figures = [
            await database_figures(f"sqlite+aiosqlite:///{Path(tmp) / 'b.db'}", "SQLite", quick)
        ]
    if pg_url:
        async with postgres_database(pg_url) as url:
            figures.append(await database_figures(url, "PostgreSQL", quick))
    us = 1e6
    rows = [
        ("help: commands/s", f"{help_rate:,.0f}", ">= 15,000", help_rate >= 15_000),
        ("help: p50 latency", f"{percentile(help_s, 50) * us:.0f} µs", "", True),
        (
            "help: p99 latency",
            f"{percentile(help_s, 99) * us:.0f} µs",
            "< 200 µs",
            percentile(help_s, 99) * us < 200,
        ),
    ]
    for f in figures:
        target = 5_000 if f.engine == "SQLite" else 0
        p99 = percentile(f.samples, 99) * 1e3
        rows += [
            (
                f"agency list ({f.engine}), {CONCURRENT} in flight: commands/s",
                f"{f.concurrent:,.0f}",
                f">= {target:,}" if target else "",
                f.concurrent >= target,
            ),
            (f"agency list ({f.engine}), one at a time: commands/s", f"{f.rate:,.0f}", "", True),
            (
                f"agency list ({f.engine}): p50 latency",
                f"{percentile(f.samples, 50) * 1e3:.2f} ms",
                "",
                True,
            ),
            (f"agency list ({f.engine}): p99 latency", f"{p99:.2f} ms", "< 5 ms", p99 < 5),
        ]
    rows.append(("peak RSS", f"{peak_rss_mib():.0f} MiB", "", True))
    report(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument(
        "--db",
        default=os.environ.get("FEDBOT_TEST_POSTGRES_URL"),
        help="a PostgreSQL server (a scratch database is made and dropped) for its figures",
    )
    args = parser.parse_args()
    run_async(main(args.quick, args.db))  # the bot's own event loop (uvloop)
