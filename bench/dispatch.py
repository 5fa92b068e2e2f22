"""Commands per second and latency through the core (parse, role, throttle, handler, reply).

Two commands: `help` (no I/O) and `agency list` (reads a file SQLite database). Run from the
repo root: `python bench/dispatch.py [--quick]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from measure import peak_rss_mib, percentile, report

from bot.app import BotApp
from bot.config import parse_config
from bot.identity import Caller, ChannelRef, Place
from fedbot.assembly import make_app
from fedbot.cli import run_async


async def measure(app: BotApp, line: str, count: int) -> tuple[float, list[float]]:
    # A chat user (throttled path) with a bucket large enough never to be refused: the
    # throttle's bookkeeping is measured, its refusals are not.
    caller = Caller("slack", "T1", "U1", "Bench", "fr")
    place = Place(ChannelRef("slack", "T1", "C1"))
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


async def main(quick: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
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
            n_help, n_db = (2_000, 300) if quick else (50_000, 5_000)
            help_rate, help_s = await measure(app, "/help", n_help)
            db_rate, db_s = await measure(app, '/agency list region:"Région 3"', n_db)
    us = 1e6
    report(
        [
            ("help: commands/s", f"{help_rate:,.0f}", ">= 15,000", help_rate >= 15_000),
            ("help: p50 latency", f"{percentile(help_s, 50) * us:.0f} µs", "", True),
            (
                "help: p99 latency",
                f"{percentile(help_s, 99) * us:.0f} µs",
                "< 200 µs",
                percentile(help_s, 99) * us < 200,
            ),
            ("agency list (SQLite): commands/s", f"{db_rate:,.0f}", ">= 3,000", db_rate >= 3_000),
            ("agency list: p50 latency", f"{percentile(db_s, 50) * 1e3:.2f} ms", "", True),
            (
                "agency list: p99 latency",
                f"{percentile(db_s, 99) * 1e3:.2f} ms",
                "< 5 ms",
                percentile(db_s, 99) * 1e3 < 5,
            ),
            ("peak RSS", f"{peak_rss_mib():.0f} MiB", "", True),
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    run_async(main(parser.parse_args().quick))  # the bot's own event loop (uvloop)
