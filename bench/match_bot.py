"""`match` and rounds through the real bot: dispatcher, SQLite file, repositories, in-memory index.

The members of bench/match.py are imported into a database (the CSV importer's storage path),
then: the index rebuild from the database (what the first `match` after a profile change
pays), `/match find` and `/match topic` typed by 1,000 random Slack users, a full round
(population query, pairing, one transaction for groups and history) with and without history,
and the delivery of its introductions through a Sender that accepts everything (our own cost
per DM, the platforms' rate limits aside). Run by `python bench/match.py`.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from measure import percentile

from bot.app import BotApp
from bot.clock import FixedClock
from bot.config import parse_config
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Message
from bot.outbound import Posted
from commands.match.ranking import Candidate
from commands.match.round_delivery import deliver_introductions
from commands.match.round_runner import run_round
from commands.match.store.matching import MatchingRepo
from commands.profile.store.imports import ImportedMember, import_members
from commands.profile.store.profiles import ProfileRepo, Tag
from fedbot.assembly import make_app

Row = tuple[str, str, str, bool]
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CHANNEL = ChannelRef("slack", "T1", "C-ROUNDS")


class AcceptingSender:
    """A platform that accepts every message at once: measures our side of a delivery."""

    platform = "slack"
    buckets = ()  # pacing is not what this bench measures

    def __init__(self) -> None:
        self.count = 0

    async def send(
        self,
        channel: ChannelRef,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        self.count += 1
        return Posted(channel, str(self.count))

    async def send_dm(
        self,
        workspace: str,
        user_id: str,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        self.count += 1
        return Posted(ChannelRef("slack", workspace, f"D{user_id}"), str(self.count))

    async def delete(self, posted: Posted) -> None:
        return None

    async def edit(self, posted: Posted, message: Message) -> None:
        return None


async def _load(app: BotApp, members: list[Candidate]) -> tuple[float, dict[str, int]]:
    agencies: dict[str, int] = {}
    for name in sorted({m.agency for m in members if m.agency}):
        agency, _ = await app.services.agencies.add(name, "Région", NOW)
        agencies[name] = agency.id
    rows = [
        ImportedMember(
            "slack",
            "T1",
            m.key.rsplit(":", 1)[1],
            f"Membre {i}",
            agencies[m.agency] if m.agency else None,
            True,
            tuple(Tag(t, t) for t in sorted(m.tags)),
        )
        for i, m in enumerate(members)
    ]
    start = time.perf_counter()
    await import_members(app.services.get(ProfileRepo), rows, NOW)
    return time.perf_counter() - start, agencies


async def _typed(app: BotApp, lines: list[tuple[str, str]]) -> list[float]:
    place = Place(CHANNEL)
    samples = []
    for user, line in lines:
        caller = Caller("slack", "T1", user, user, "fr")
        start = time.perf_counter()
        reply = await app.dispatcher.handle_text(caller, place, line)
        samples.append(time.perf_counter() - start)
        assert reply is not None and not reply.is_error, (line, reply)
    return samples


async def _round(app: BotApp, clock: FixedClock, at: datetime) -> tuple[float, float, int]:
    """A full round at `at`: (build seconds, delivery seconds, introductions sent)."""
    matching = app.services.get(MatchingRepo)
    config = await matching.enable(CHANNEL, "weekly monday 09:00", at, NOW)
    clock.set(at)
    start = time.perf_counter()
    assert await run_round(app.services, config, at) == 1
    built = time.perf_counter() - start
    start = time.perf_counter()
    sent = await deliver_introductions(app.services)
    return built, time.perf_counter() - start, sent


async def measure_bot(members: list[Candidate], callers: int, rng: random.Random) -> list[Row]:
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
        clock = FixedClock(NOW)
        async with make_app(config, clock=clock, start_scheduler=False) as app:
            app.outbound.register(AcceptingSender())
            import_s, _ = await _load(app, members)
            start = time.perf_counter()
            await app.dispatcher.handle_text(
                Caller("slack", "T1", "U000000", "x"), Place(CHANNEL), "/match find"
            )
            rebuild_s = time.perf_counter() - start
            sample = rng.sample(members, min(callers, len(members)))
            users = [m.key.rsplit(":", 1)[1] for m in sample]
            find_s = await _typed(app, [(u, "/match find") for u in users])
            topics = [rng.choice(sorted(m.tags)) for m in sample]
            topic_s = await _typed(
                app, [(u, f"/match topic {t}") for u, t in zip(users, topics, strict=True)]
            )
            first = await _round(app, clock, NOW + timedelta(days=4, hours=-1))
            second = await _round(app, clock, NOW + timedelta(days=11, hours=-1))
    return _rows(import_s, rebuild_s, find_s, topic_s, first, second, len(members))


def _rows(
    import_s: float,
    rebuild_s: float,
    find_s: list[float],
    topic_s: list[float],
    first: tuple[float, float, int],
    second: tuple[float, float, int],
    count: int,
) -> list[Row]:
    ms = 1e3
    p99, topic_p99 = percentile(find_s, 99) * ms, percentile(topic_s, 99) * ms
    return [
        (f"bot: import {count:,} members (1 transaction)", f"{import_s:.1f} s", "", True),
        ("bot: index rebuild from DB (1st match)", f"{rebuild_s * ms:.0f} ms", "", True),
        ("bot: /match find p50", f"{percentile(find_s, 50) * ms:.2f} ms", "", True),
        ("bot: /match find p99", f"{p99:.2f} ms", "< 50 ms", p99 < 50),
        ("bot: /match topic p99", f"{topic_p99:.2f} ms", "< 50 ms", topic_p99 < 50),
        ("bot: round, no history", f"{first[0]:.2f} s", "< 10 s", first[0] < 10),
        ("bot: round, 1 past round", f"{second[0]:.2f} s", "< 10 s", second[0] < 10),
        (
            f"bot: deliver {first[2]:,} introductions",
            f"{first[1]:.1f} s",
            "",
            first[2] == count,
        ),
    ]
