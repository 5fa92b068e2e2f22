"""Digests: build one with 26,000 members and 10,000 events, and run 500 due the same minute.

A file SQLite database holds the size of the largest network: 80 agencies with 500 channels,
26,000 members (joined over six months) with profiles and interests, 10,000 events over the
next year, 50,000 registrations, 30 announcements, 300 FAQ entries and 500 unanswered
questions. Measured:
- building one digest with every section (scope: the channel's region), first build (which
  includes the profiles snapshot shared with matching) and then p50/p99 over repeated builds;
- 500 digests due at the same minute, as their 500 jobs fire: claimed in the run ledger, built,
  rendered to Block Kit by a recording Slack sender at the platform seam, finished.
Run from the repo root: `python bench/digest.py [--quick]`.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from measure import peak_rss_mib, percentile, report

from adapters.slack.render import render_message
from bot.app import BotApp
from bot.clock import FixedClock
from bot.config import parse_config
from bot.identity import ChannelRef
from bot.messages import Message
from bot.outbound import Posted
from bot.storage.members import members
from commands.announce.store.announcements import AnnouncementRepo, Destination, Draft
from commands.digest.build import Built, build_digest
from commands.digest.runner import next_run, run_due
from commands.digest.sections import SECTION_NAMES
from commands.digest.store.digests import DigestConfig, DigestFields, DigestRepo
from commands.events.store.tables import GOING, event_rsvps, events
from commands.faq.store.tables import faq_entries, faq_unanswered
from commands.profile.store.profiles import profile_tags, profiles
from fedbot.assembly import make_app
from fedbot.cli import run_async

MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Paris
AGENCIES, CHANNELS, TAGS = 80, 500, 300
Row = tuple[str, str, str, bool]


class SlackRecorder:
    """The Sender protocol at the platform seam: renders to Block Kit, records, answers."""

    platform = "slack"
    buckets = ()  # pacing is not what this bench measures

    def __init__(self) -> None:
        self.sent: list[ChannelRef] = []
        self.max_blocks = 0

    async def send(
        self,
        channel: ChannelRef,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        rendered = render_message(message)
        self.max_blocks = max(self.max_blocks, max(len(m.blocks) for m in rendered))
        self.sent.append(channel)
        return Posted(channel, str(len(self.sent)))

    async def send_dm(
        self,
        workspace: str,
        user_id: str,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        raise NotImplementedError

    async def delete(self, posted: Posted) -> None:
        return None

    async def edit(self, posted: Posted, message: Message) -> None:
        return None


def channel(i: int) -> ChannelRef:
    return ChannelRef("slack", "T1", f"C{i:04d}")


async def populate(app: BotApp, n_members: int, n_events: int, rng: random.Random) -> None:
    """Bulk rows straight into the tables (the commands would take minutes to build this)."""
    now = app.clock.now()
    ids = []
    for i in range(AGENCIES):
        agency, _ = await app.services.agencies.add(f"Agence {i}", f"Région {i % 13}", now)
        ids.append(agency.id)
    for i in range(CHANNELS):
        await app.services.agencies.attach_channel(ids[i % AGENCIES], channel(i), (), now)
    async with app.db.write() as conn:
        await conn.execute(members.insert(), _members(n_members, now, rng))
        await conn.execute(profiles.insert(), _profiles(n_members, ids, now, rng))
        await conn.execute(profile_tags.insert(), _tags(n_members, rng))
        await conn.execute(events.insert(), _events(n_events, ids, now, rng))
        await conn.execute(event_rsvps.insert(), _rsvps(n_events, n_members, now, rng))
        await conn.execute(faq_entries.insert(), _faq(now, rng))
        await conn.execute(faq_unanswered.insert(), _unanswered(now, rng))
    await _announcements(app, now, ids)


def _members(n: int, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    return [
        {"id": i, "platform": "slack", "workspace": "T1", "user_id": f"U{i}",
         "display_name": f"Membre {i}", "locale": "fr",
         "created_at": now - timedelta(minutes=rng.randrange(180 * 24 * 60))}
        for i in range(1, n + 1)
    ]  # fmt: skip


def _profiles(n: int, ids: list[int], now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    return [
        {"member_id": i, "agency_id": rng.choice(ids), "opt_in": rng.random() < 0.7,
         "visible": rng.random() < 0.5, "updated_at": now}
        for i in range(1, n + 1)
    ]  # fmt: skip


def _tags(n: int, rng: random.Random) -> list[dict[str, Any]]:
    weights = [1 / rank for rank in range(1, TAGS + 1)]  # a few popular tags, a long tail
    rows = []
    for i in range(1, n + 1):
        for tag in set(rng.choices(range(TAGS), weights, k=6)):
            rows.append({"member_id": i, "slug": f"sujet-{tag}", "display": f"Sujet {tag}"})
    return rows


def _events(n: int, ids: list[int], now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in range(1, n + 1):
        start = now + timedelta(minutes=rng.randrange(60, 365 * 24 * 60))
        created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
        rows.append(
            {"id": i, "uid": f"bench-{i}@fedbot", "title": f"Événement {i}",
             "agency_id": rng.choice(ids), "starts_at": start, "ends_at": None,
             "finishes_at": start, "created_at": created, "updated_at": created}
        )  # fmt: skip
    return rows


def _rsvps(n_events: int, n_members: int, now: datetime, rng: random.Random) -> list[dict]:
    pairs = {
        (rng.randrange(1, n_events + 1), rng.randrange(1, n_members + 1)) for _ in range(50_000)
    }
    return [
        {"event_id": e, "member_id": m, "status": GOING,
         "answered_at": now - timedelta(minutes=rng.randrange(90 * 24 * 60))}
        for e, m in sorted(pairs)
    ]  # fmt: skip


def _faq(now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """300 FAQ entries written over the last year."""
    rows = []
    for i in range(1, 301):
        at = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
        rows.append(
            {"id": i, "lang": "fr", "question": f"Question fréquente {i} ?", "answer": "Réponse.",
             "variants": [], "tags": [], "created_at": at, "updated_at": at}
        )  # fmt: skip
    return rows


def _unanswered(now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """500 questions the FAQ could not answer, a few asked often."""
    rows = []
    for i in range(1, 501):
        last = now - timedelta(minutes=rng.randrange(60 * 24 * 60))
        rows.append(
            {"id": i, "normalised": f"question {i}", "text": f"Question sans réponse {i} ?",
             "lang": "fr", "count": 1 + int(rng.paretovariate(1.5)),
             "first_asked_at": last - timedelta(days=30), "last_asked_at": last}
        )  # fmt: skip
    return rows


async def _announcements(app: BotApp, now: datetime, ids: list[int]) -> None:
    repo = app.services.get(AnnouncementRepo)
    origin = ChannelRef("slack", "T1", "STAFF")
    everyone = [
        Destination(ids[i % AGENCIES], f"Agence {i % AGENCIES}", channel(i))
        for i in range(CHANNELS)
    ]
    for i in range(30):
        at = now - timedelta(days=2 * i + 1)
        draft = Draft(f"Annonce {i}", "Texte de l'annonce", None, "all", "", "fr", origin, None)
        number = await repo.create_draft(draft, 1, at)
        await repo.confirm(number, everyone, 1, origin, at)


def fields(i: int, sections: tuple[str, ...] = SECTION_NAMES) -> DigestFields:
    return DigestFields(channel(i), "weekly monday 09:00", "fr", sections, 14, "region", False)


async def timed_build(app: BotApp, digest: DigestConfig) -> tuple[float, Built]:
    following = next_run(app.services, digest, MONDAY)
    t0 = time.perf_counter()
    built = await build_digest(app.services, digest, MONDAY, following)
    return time.perf_counter() - t0, built


async def measure_build(app: BotApp, samples: int) -> list[Row]:
    """First builds (cold caches), then repeated builds of the same digest."""
    repo, since = app.services.get(DigestRepo), MONDAY - timedelta(days=7)
    plain = await repo.create(
        fields(0, tuple(s for s in SECTION_NAMES if s != "matches")), None, since
    )
    full = await repo.create(fields(0), None, since)
    cold_plain, _ = await timed_build(app, plain)
    cold_full, built = await timed_build(app, full)  # builds the matching index (profiles)
    timings = [(await timed_build(app, full))[0] for _ in range(samples)]
    p50, p99 = percentile(timings, 50) * 1e3, percentile(timings, 99) * 1e3
    for digest in (plain, full):
        await repo.delete(digest.id)
    sections = ", ".join(s.name for s in built.sections)
    return [
        (
            "one digest, first build, without matches",
            f"{cold_plain * 1e3:.0f} ms",
            "< 200 ms",
            cold_plain < 0.2,
        ),
        ("one digest, first build + matching index", f"{cold_full * 1e3:.0f} ms", "", True),
        (f"one digest: build p50 ({sections})", f"{p50:.1f} ms", "", True),
        ("one digest: build p99", f"{p99:.1f} ms", "< 200 ms", p99 < 200),
    ]


async def measure_due(app: BotApp, n_digests: int) -> list[Row]:
    services = app.services
    for i in range(n_digests):
        await services.get(DigestRepo).create(
            fields(i % CHANNELS), None, MONDAY - timedelta(days=7)
        )
    sender = SlackRecorder()
    app.outbound.register(sender)
    t0 = time.perf_counter()
    outcomes = await run_due(services, MONDAY)
    total = time.perf_counter() - t0
    sent = sum(o == "sent" for o in outcomes.values())
    assert sent == n_digests == len(sender.sent), (sent, len(sender.sent))
    again = await run_due(services, MONDAY + timedelta(seconds=30))  # a second process, say
    assert set(again.values()) == {"taken"} and len(sender.sent) == n_digests
    return [
        (f"{n_digests} digests due the same minute", f"{total:.2f} s", "< 60 s", total < 60),
        ("throughput", f"{n_digests / total:.0f} /s", "", True),
        (
            "largest digest (Block Kit blocks)",
            f"{sender.max_blocks}",
            "<= 50",
            sender.max_blocks <= 50,
        ),
    ]


async def run(quick: bool) -> list[Row]:
    n_members, n_events, n_digests = (2_600, 1_000, 50) if quick else (26_000, 10_000, 500)
    rng = random.Random(8)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        config = parse_config(
            {
                "federation": {"slack_teams": ["T1"]},
            },
            {},
        )
        config = replace(config, bot=replace(config.bot, database_url=url))
        clock = FixedClock(MONDAY)
        async with make_app(config, clock=clock, start_scheduler=False) as app:
            t0 = time.perf_counter()
            await populate(app, n_members, n_events, rng)
            setup = time.perf_counter() - t0
            rows: list[Row] = [
                (f"setup: {n_members:,} members, {n_events:,} events", f"{setup:.1f} s", "", True)
            ]
            rows += await measure_build(app, 20 if quick else 100)
            rows += await measure_due(app, n_digests)
    return [*rows, ("peak RSS", f"{peak_rss_mib():.0f} MiB", "", True)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    report(run_async(run(parser.parse_args().quick)))  # the bot's own loop (uvloop)
