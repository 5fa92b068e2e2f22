"""Demo digests (`fedbot run --demo`): a weekly digest on a console agency channel, so
`/digest list` and `/digest preview 1` show something at once. A digest is recognised by its
channel and title, so loading twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from bot.demo import demo_file
from bot.identity import ChannelRef
from bot.services import Services
from commands.digest.runner import schedule_digest
from commands.digest.settings import DEFAULT_DAYS, parse_sections, schedule_text
from commands.digest.store.digests import DigestFields, DigestRepo


async def load_demo_digests(services: Services, items: Iterable[Mapping[str, Any]]) -> None:
    now = services.clock.now()
    tz = ZoneInfo(services.config.bot.timezone)
    for item in items:
        channel = ChannelRef.parse(item["channel"])
        existing = await services.get(DigestRepo).in_channels([channel])
        if any(d.fields.title == item["title"] for d in existing):
            continue
        fields = DigestFields(
            channel=channel,
            schedule=schedule_text(item["schedule"], "fr", now, tz),
            lang=item.get("lang", "fr"),
            sections=parse_sections(",".join(item["sections"])),
            days=item.get("days", DEFAULT_DAYS),
            scope=item.get("scope", "agency"),
            skip_empty=item.get("skip_empty", True),
            title=item["title"],
        )
        # The demo loads after the feature's start hook: its job is placed here.
        schedule_digest(services, await services.get(DigestRepo).create(fields, None, now))


async def load_demo(services: Services) -> None:
    """This feature's part of the demo data set (`demo.toml` beside this module)."""
    await load_demo_digests(services, demo_file("commands.digest").get("digests", []))
