"""A digest configuration and a moment -> one neutral `Message`, in the digest's language.

Building gathers the sections (each provider runs its own query, concurrently); rendering is a
pure function of what they returned. The message keeps to sizes every platform shows whole:
a title, one short intro, one field per section of at most `max_items` lines of at most
`LINE_MAX` characters. The adapters' renderers still split it when a platform needs it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_interval

from bot.i18n import Translator, translator
from bot.messages import Field, Message
from bot.schedules import next_runs, parse_schedule
from bot.services import Services
from commands.digest.sections import PROVIDERS, Section, Window, shorten
from commands.digest.store.digests import DigestConfig

# A first digest (or one after a long pause) looks back one period of its schedule, never more.
MAX_LOOKBACK = timedelta(days=92)
FIELD_MAX = 1000  # under Discord's 1024 per embed field: a section is never cut in two
WHEN = "full"  # "lundi 7 décembre 2026 à 9 h", "Monday, December 7, 2026 at 9:00 AM"


@dataclass(frozen=True, slots=True)
class Built:
    message: Message
    sections: tuple[Section, ...]

    @property
    def empty(self) -> bool:
        return not self.sections


def digest_translator(services: Services, digest: DigestConfig) -> Translator:
    return translator(digest.fields.lang, services.config.bot.timezone)


def period(digest: DigestConfig, at: datetime, tz: ZoneInfo) -> timedelta:
    """The time between two runs around `at` (a month for a monthly digest)."""
    schedule = parse_schedule(digest.fields.schedule)
    runs = next_runs(schedule, at - timedelta(seconds=1), tz, count=2)
    return min(runs[1] - runs[0], MAX_LOOKBACK) if len(runs) == 2 else MAX_LOOKBACK


def window_start(digest: DigestConfig, at: datetime, tz: ZoneInfo) -> datetime:
    """News since the channel's last digest. A first digest covers one period of its
    schedule, or more when its first runs were missed (the bot was down): since the digest
    became active. Never more than MAX_LOOKBACK."""
    floor = at - MAX_LOOKBACK
    if digest.last_run_at is not None and digest.last_run_at < at:
        return max(digest.last_run_at, floor)
    return max(min(at - period(digest, at, tz), digest.active_since), floor)


async def make_window(services: Services, digest: DigestConfig, at: datetime) -> Window:
    tz = ZoneInfo(services.config.bot.timezone)
    agency = await services.agencies.agency_of(digest.channel)
    scope = digest.fields.scope
    agency_ids: tuple[int, ...] | None = None
    if agency is not None and scope == "agency":
        agency_ids = (agency.id,)
    elif agency is not None and scope == "region":
        agency_ids = tuple(a.id for a in await services.agencies.list(agency.region))
    return Window(
        since=window_start(digest, at, tz),
        until=at,
        agency=agency,
        agency_ids=agency_ids,
        max_items=services.config.digest.max_items,
    )


async def build_digest(
    services: Services, digest: DigestConfig, at: datetime, next_run: datetime | None = None
) -> Built:
    """The digest as it stands at `at`; `next_run` is announced in the footer."""
    t = digest_translator(services, digest)
    window = await make_window(services, digest, at)
    providers = [PROVIDERS[name] for name in digest.fields.sections if name in PROVIDERS]
    found = await asyncio.gather(*(build(services, digest, window, t) for build in providers))
    sections = tuple(s for s in found if s is not None)
    return Built(render(digest, sections, window, t, next_run), sections)


def render(
    digest: DigestConfig,
    sections: tuple[Section, ...],
    window: Window,
    t: Translator,
    next_run: datetime | None,
) -> Message:
    title = digest.fields.title or t("digest.default_title")
    if window.agency is not None and not digest.fields.title:
        title = t("digest.agency_title", agency=shorten(window.agency.name, 100))
    intro = t("digest.intro", period=period_text(window, t))
    if not sections:
        intro += "\n" + t("digest.nothing_new")
    footer = t("digest.footer", id=digest.id)
    if next_run is not None:
        footer = t("digest.footer_next", id=digest.id, next=t.datetime(next_run, WHEN))
    return Message(
        title=shorten(title, 150),
        text=intro,
        fields=tuple(_field(s) for s in sections),
        footer=footer,
    )


def period_text(window: Window, t: Translator) -> str:
    """ "19–26 nov. 2026", "29 oct. – 26 nov. 2026": the days the digest covers."""
    since, until = (moment.astimezone(t.tz).date() for moment in (window.since, window.until))
    return format_interval(since, until, "yMMMMd", locale=t.locale)


def _field(section: Section) -> Field:
    value = "\n".join((*section.lines, section.more) if section.more else section.lines)
    return Field(section.heading, shorten_block(value, FIELD_MAX), inline=False)


def shorten_block(text: str, limit: int) -> str:
    """Whole lines while they fit, then "…" (a line is never cut in its middle)."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for line in text.split("\n"):
        if size + len(line) + 1 > limit - 2:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join([*kept, "…"])
