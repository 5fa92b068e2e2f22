"""Demo announcements (`fedbot run --demo`): broadcasts already delivered to every agency's
console channel, some acknowledged, so `/announce list` and `/announce status 1` show
something at once. Keyed by title: loading twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from bot.demo import demo_file
from bot.identity import Caller, ChannelRef
from bot.services import Services
from commands.announce.audience import resolve
from commands.announce.store.announcements import AnnouncementRepo, Draft

ORIGIN = ChannelRef("console", "local", "general")


async def load_demo_announcements(services: Services, items: Iterable[Mapping[str, Any]]) -> None:
    repo = services.get(AnnouncementRepo)
    known = {a.title for a in await repo.recent(limit=100)}
    for item in items:
        if item["title"] in known:
            continue
        when = services.clock.now() - timedelta(days=item["sent_days_ago"])
        author = await _member(services, item["author"], when)
        draft = Draft(item["title"], item["text"], item.get("link"), "all", "", "fr", ORIGIN, None)
        ann_id = await repo.create_draft(draft, author, when)
        everyone = await resolve(services.agencies, "all", "")
        await repo.confirm(ann_id, everyone, author, ORIGIN, when)
        rows = await repo.outbox.reserve(ann_id, when, ["console"], limit=1000)
        for index, row in enumerate(rows):
            await repo.outbox.claim(row)
            await repo.outbox.mark_sent(row, f"demo-{index + 1}", when)
        await repo.settle(ann_id, when)
        for ack in item.get("acked_by", []):
            agency = await services.agencies.find(ack["agency"])
            rows = await repo.outbox.in_states(ann_id, ["sent"])
            row = next(r for r in rows if agency is not None and r.agency_id == agency.id)
            member = await _member(services, ack["member"], when)
            await repo.ack(row, member, when + timedelta(hours=ack.get("after_hours", 1)))


async def _member(services: Services, user: str, when: Any) -> int:
    return (await services.members.ensure(Caller("console", "local", user, user), when)).id


async def load_demo(services: Services) -> None:
    """This feature's part of the demo data set (`demo.toml` beside this module)."""
    await load_demo_announcements(services, demo_file("commands.announce").get("announcements", []))
