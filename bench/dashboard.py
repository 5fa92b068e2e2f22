"""The dashboard's pages under load: the overview and the FAQ queue, on a federation of 80
agencies, 26,000 members, 10,000 events (with their answers), 500 announcements (with a copy
per agency channel and their acknowledgements), 60,000 FAQ asks and 2,000 unanswered
questions (tests/dashboard/dataset.py, one SQLite file).

Server time is measured by a middleware around the handler (what the page costs the bot:
queries, figures, SVG, template), from a staff session over loopback HTTP; beside it, the CPU
time the process spent meanwhile (steadier than wall time on a busy machine) and the client's
round trip. Run from the repo root: `python bench/dashboard.py [--quick] [--postgres URL]`; with
`--postgres postgresql+asyncpg://me@127.0.0.1:5432/postgres`, the same on a fresh PostgreSQL
database made (and dropped) on that server.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from measure import BENCH_FEDERATION, peak_rss_mib, percentile, report

from bot.clock import FixedClock
from bot.config import parse_config
from bot.spec import Role
from commands.dashboard.store.sessions import Identity, SessionStore
from commands.faq.store.entries import FaqRepo
from fedbot.assembly import make_app
from fedbot.cli import run_async
from tests.dashboard.dataset import BENCH, Sizes, populate
from tests.postgres import postgres_database

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TARGET_MS = 300.0
PAGES = {
    "overview, this month": "/admin/",
    "overview, last 3 months": "/admin/?from=2026-09-01&to=2026-11-26",
    "overview, last 12 months by region": "/admin/?from=2025-11-27&to=2026-11-26&group=region",
    "FAQ queue, page 1": "/admin/faq",
    "FAQ queue, page 40": "/admin/faq?page=40",
}
TARGETED = ("overview", "FAQ queue")  # the pages the issue sets a target for

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
server_times: dict[str, list[float]] = defaultdict(list)
cpu_times: dict[str, list[float]] = defaultdict(list)


@web.middleware
async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Wall time of the handler, and the CPU time of the whole process meanwhile (the event
    loop and the database threads: what the page costs, whatever else the machine does)."""
    t0, c0 = time.perf_counter(), time.process_time()
    response = await handler(request)
    server_times[request.path_qs].append(time.perf_counter() - t0)
    cpu_times[request.path_qs].append(time.process_time() - c0)
    return response


@asynccontextmanager
async def database(postgres: str | None) -> AsyncIterator[str]:
    if postgres:
        async with postgres_database(postgres) as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"


async def main(quick: bool, postgres: str | None) -> None:
    sizes = Sizes(agencies=80, members=5_000, events=2_000, announcements=100) if quick else BENCH
    rounds = 10 if quick else 60
    async with database(postgres) as url:
        raw = {
            "federation": BENCH_FEDERATION,
            "http": {"enabled": True, "port": 0},
            "throttle": {"enabled": False},
        }
        config = parse_config(raw, {})
        config = replace(config, bot=replace(config.bot, database_url=url))
        async with make_app(config, clock=FixedClock(NOW), start_scheduler=False) as app:
            t0 = time.perf_counter()
            await populate(app, NOW, sizes)
            await app.services.get(FaqRepo).load()
            built = time.perf_counter() - t0
            app.web.app.middlewares.append(timed)
            await app.web.start()
            base = f"http://127.0.0.1:{app.web.port}"
            who = Identity("console", "local", "bench", assumed_role=Role.STAFF)
            token = await app.services.get(SessionStore).create_link(who, NOW)
            jar = aiohttp.CookieJar(unsafe=True)
            client: dict[str, list[float]] = defaultdict(list)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                async with http.post(f"{base}/admin/link/{token}") as r:
                    assert r.status == 200, r.status
                for path in PAGES.values():  # warm: the FAQ index, statement caches
                    async with http.get(base + path) as r:
                        assert r.status == 200, (path, r.status)
                server_times.clear()
                cpu_times.clear()
                for _ in range(rounds):
                    for name, path in PAGES.items():
                        t1 = time.perf_counter()
                        async with http.get(base + path) as r:
                            await r.read()
                        client[name].append(time.perf_counter() - t1)
    rows = [
        ("database", "PostgreSQL" if postgres else "SQLite file", "", True),
        ("data set", f"{sizes.members:,} members", "", True),
        ("", f"{sizes.events:,} events", "", True),
        ("", f"{sizes.announcements:,} announcements", "", True),
        ("built in", f"{built:.1f} s", "", True),
    ]
    for name, path in PAGES.items():
        server = server_times[path]
        p99 = percentile(server, 99) * 1e3
        targeted = name.startswith(TARGETED)
        rows.append((f"{name}: server p50", f"{percentile(server, 50) * 1e3:.0f} ms", "", True))
        rows.append(
            (
                f"{name}: server p99",
                f"{p99:.0f} ms",
                f"< {TARGET_MS:.0f} ms" if targeted else "",
                p99 < TARGET_MS or not targeted,
            )
        )
        cpu = percentile(cpu_times[path], 50) * 1e3
        rows.append((f"{name}: process CPU p50", f"{cpu:.0f} ms", "", True))
        rows.append(
            (f"{name}: client p99", f"{percentile(client[name], 99) * 1e3:.0f} ms", "", True)
        )
    rows.append(("peak RSS", f"{peak_rss_mib():.0f} MiB", "", True))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows.append(("machine load (1, 5, 15 min)", load, f"< {os.cpu_count()} cores", True))
    report(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller data set, fewer rounds")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to measure on")
    args = parser.parse_args()
    run_async(main(args.quick, args.postgres))  # the bot's own event loop (uvloop)
