"""The sections of a digest: one small provider each, independent and testable alone.

A provider takes (services, digest, window, t) and returns a `Section`, or None when it has
nothing to say for that window, so a quiet section simply does not appear. A provider whose
data source is not part of this bot yet (the FAQ storage arrives with its own issue) declares
the `Services` field it needs and yields nothing until it exists: choosing such a section is
allowed, it fills in once the feature is installed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import Translator
from bot.options import fold
from bot.services import Services
from bot.storage.agencies import Agency
from bot.storage.announcements import Announcement, State
from bot.storage.digest_sources import DigestSources
from bot.storage.digests import DigestConfig
from bot.storage.events import EventQuery
from commands.match.pool import pool_of
from commands.match.ranking import rank_partners

LINE_MAX = 160  # characters of one item: titles and names are cut with "…"
MAX_SUGGESTIONS = 3  # "a few" people worth meeting
NEWCOMERS_MATCHED = 20  # newcomers looked at for suggestions (the latest first)
PARTNERS_TRIED = 5  # per newcomer: the best partners, until one has a visible profile
RECENT_ANNOUNCEMENTS = 30  # looked at per digest; more than a week of broadcasts


@dataclass(frozen=True, slots=True)
class Window:
    """What a digest covers: news in (since, until], events in (until, until + days]."""

    since: datetime
    until: datetime
    agency: Agency | None  # the channel's agency, if the channel belongs to one
    agency_ids: tuple[int, ...] | None  # the events' scope; None = the whole federation
    max_items: int


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    heading: str
    lines: tuple[str, ...]
    more: str = ""  # "…and 4 more", when not everything fits


Build = Callable[[Services, DigestConfig, Window, Translator], Awaitable[Section | None]]


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    build: Build
    needs: str | None = None  # the Services field the section reads, when optional

    def available(self, services: Services) -> bool:
        return self.needs is None or getattr(services, self.needs, None) is not None


def shorten(text: str, limit: int = LINE_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _section(name: str, t: Translator, lines: list[str], total: int, n: int) -> Section:
    more = t.plural(f"digest.section.{name}.more", total - n) if total > n else ""
    return Section(name, t(f"digest.section.{name}.heading"), tuple(lines[:n]), more)


async def upcoming_events(
    services: Services, digest: DigestConfig, window: Window, t: Translator
) -> Section | None:
    n = window.max_items
    query = EventQuery(
        since=window.until,
        until=window.until + timedelta(days=digest.fields.days),
        agency_ids=window.agency_ids,
    )
    listed = await services.events.page(query, limit=n + 1)
    if not listed:
        return None
    lines = []
    for item in listed[:n]:
        event = item.event
        # In an agency's own digest, its name on every line would be noise.
        named = event.agency_name and digest.fields.scope != "agency"
        where = f" · {shorten(event.agency_name or '', 70)}" if named else ""
        lines.append(
            t(
                "digest.section.events.line",
                when=t.datetime(event.starts_at, "EEE d MMM, HH:mm"),
                title=shorten(event.title, 90),
                where=where,
                id=event.id,
            )
        )
    heading = t.plural("digest.section.events.heading", digest.fields.days)
    more = t("digest.section.events.more") if len(listed) > n else ""
    return Section("events", heading, tuple(lines), more)


async def newcomers(
    services: Services, digest: DigestConfig, window: Window, t: Translator
) -> Section | None:
    """Who joined (in the digest's scope), with their interests when their profile is visible."""
    n = window.max_items
    total, people = await DigestSources(services.db).newcomers(
        window.since, window.until, n, window.agency_ids
    )
    if not total:
        return None
    cards = await services.profiles.cards(p.member_id for p in people if p.visible)
    lines = []
    for person in people:
        tags = [tag.display for tag in cards[person.member_id].tags] if person.visible else []
        key = "digest.section.members.line_tags" if tags else "digest.section.members.line"
        lines.append(t(key, name=shorten(person.name, 60), tags=shorten(", ".join(tags), 90)))
    more = t.plural("digest.section.members.more", total - n) if total > n else ""
    heading = t.plural("digest.section.members.heading", total)
    return Section("members", heading, tuple(lines), more)


async def announcements(
    services: Services, digest: DigestConfig, window: Window, t: Translator
) -> Section | None:
    """Broadcasts confirmed in the window that went to everyone or to this very channel."""
    recent = await services.announcements.recent(RECENT_ANNOUNCEMENTS)
    shown: list[Announcement] = []
    for ann in recent:
        if ann.state not in (State.ACTIVE, State.DONE) or ann.confirmed_at is None:
            continue
        if not window.since < ann.confirmed_at <= window.until:
            continue
        outbox = services.announcements.outbox
        if ann.audience == "all" or await outbox.find(ann.id, digest.channel) is not None:
            shown.append(ann)
    if not shown:
        return None
    lines = [
        t(
            "digest.section.announcements.line",
            date=t.date(ann.confirmed_at or window.until, "medium"),
            title=shorten(ann.title or ann.body, 120),
        )
        for ann in shown[: window.max_items]
    ]
    return _section("announcements", t, lines, len(shown), window.max_items)


async def activity(
    services: Services, digest: DigestConfig, window: Window, t: Translator
) -> Section | None:
    figures = await DigestSources(services.db).activity(window.since, window.until)
    if figures.empty:
        return None
    counts = (
        ("members", figures.new_members),
        ("events", figures.events_created),
        ("rsvps", figures.rsvps),
        ("announcements", figures.announcements),
    )
    lines = [t.plural(f"digest.section.activity.{key}", n) for key, n in counts if n]
    return Section("activity", t("digest.section.activity.heading"), tuple(lines))


async def suggestions(
    services: Services, digest: DigestConfig, window: Window, t: Translator
) -> Section | None:
    """A few people worth meeting: each newcomer (in scope) with the member who shares their
    rarest interests. Both must have opted in to matching (only they are in the pool) and
    made their profile visible: a digest is read by a whole channel."""
    pool = pool_of(await services.profiles.snapshot())
    _, people = await DigestSources(services.db).newcomers(
        window.since, window.until, NEWCOMERS_MATCHED, window.agency_ids
    )
    pairs: list[tuple[int, int, tuple[str, ...]]] = []
    for person in people:
        me = pool.get(str(person.member_id)) if person.visible else None
        if me is None:
            continue
        for found in rank_partners(me, pool, limit=PARTNERS_TRIED):
            partner = await services.profiles.get(int(found.key))
            if partner is not None and partner.visible:
                pairs.append((person.member_id, partner.member_id, found.shared))
                break
        if len(pairs) == min(window.max_items, MAX_SUGGESTIONS):
            break
    if not pairs:
        return None
    return Section(
        "matches", t("digest.section.matches.heading"), tuple(await _pair_lines(services, pairs, t))
    )


async def _pair_lines(
    services: Services, pairs: list[tuple[int, int, tuple[str, ...]]], t: Translator
) -> list[str]:
    cards = await services.profiles.cards(i for a, b, _ in pairs for i in (a, b))
    spellings = (await services.profiles.snapshot()).spellings
    return [
        t(
            "digest.section.matches.line",
            first=shorten(cards[a].display_name, 50),
            second=shorten(cards[b].display_name, 50),
            tags=shorten(", ".join(spellings.get(tag, tag) for tag in shared[:3]), 80),
        )
        for a, b, shared in pairs
        if a in cards and b in cards
    ]


async def not_installed(
    services: Services, digest: DigestConfig, window: Window, t: Translator
) -> Section | None:
    """The FAQ storage is not part of the bot yet (see the module's docstring)."""
    return None


PROVIDERS: Mapping[str, Provider] = {
    p.name: p
    for p in (
        Provider("events", upcoming_events),
        Provider("members", newcomers),
        Provider("faq", not_installed, needs="faq"),
        Provider("unanswered", not_installed, needs="faq"),
        Provider("announcements", announcements),
        Provider("matches", suggestions),
        Provider("activity", activity),
    )
}
SECTION_NAMES = tuple(PROVIDERS)

# What people may type for each section (French or English, accents optional).
_ALIASES: Mapping[str, str] = {
    alias: name
    for name, words in {
        "events": "events event evenements evenement agenda",
        "members": "members newcomers membres nouveaux arrivees",
        "faq": "faq questions",
        "unanswered": "unanswered sans-reponse sans_reponse",
        "announcements": "announcements annonces",
        "matches": "matches matching rencontres suggestions",
        "activity": "activity figures activite chiffres",
    }.items()
    for alias in words.split()
}


def section_name(word: str) -> str | None:
    return _ALIASES.get(fold(word.strip()))
