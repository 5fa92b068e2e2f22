"""The sections of a digest: one small provider each, independent and testable alone.

A provider takes (services, digest, window, t) and returns a `Section`, or None when it has
nothing to say for that window, so a quiet section simply does not appear. Each reads what it
shows through that feature's repository (events, profiles and matching, FAQ, announcements),
or commands/digest/store/sources.py for the figures that span features, so one can be tested,
changed or dropped alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import Translator
from bot.options import fold
from bot.services import Services
from bot.storage.agencies import Agency
from commands.announce.store.announcements import Announcement, AnnouncementRepo, State
from commands.digest.store.digests import DigestConfig
from commands.digest.store.sources import DigestSources
from commands.events.store.events import EventQuery, EventRepo
from commands.faq.store.entries import FaqRepo
from commands.match.pool import pool_of
from commands.match.ranking import Suggestion, rank_partners
from commands.profile.store.profiles import ProfileRepo

LINE_MAX = 160  # characters of one item: titles and names are cut with "…"
MAX_SUGGESTIONS = 3  # "a few" people worth meeting
NEWCOMERS_MATCHED = 20  # newcomers looked at for suggestions (the latest first)
PARTNERS_TRIED = 5  # per newcomer: the best partners, until one has a visible profile
UNANSWERED_LOOKED_AT = 50  # the most asked unanswered questions, among which recent ones
MIN_ASKERS = 2  # an unanswered question shown in a channel was asked by this many people
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
    listed = await services.get(EventRepo).page(query, limit=n + 1)
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
                when=t.datetime(event.starts_at, "short"),
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
    cards = await services.get(ProfileRepo).cards(p.member_id for p in people if p.visible)
    lines = []
    for person in people:
        card = cards.get(person.member_id) if person.visible else None
        tags = [tag.display for tag in card.tags] if card else []
        key = "digest.section.members.line_tags" if tags else "digest.section.members.line"
        lines.append(t(key, name=shorten(person.name, 60), tags=shorten(", ".join(tags), 90)))
    more = t.plural("digest.section.members.more", total - n) if total > n else ""
    heading = t.plural("digest.section.members.heading", total)
    return Section("members", heading, tuple(lines), more)


async def announcements(
    services: Services, digest: DigestConfig, window: Window, t: Translator
) -> Section | None:
    """Broadcasts confirmed in the window that went to everyone or to this very channel."""
    recent = await services.get(AnnouncementRepo).recent(RECENT_ANNOUNCEMENTS)
    shown: list[Announcement] = []
    for ann in recent:
        if ann.state not in (State.ACTIVE, State.DONE) or ann.confirmed_at is None:
            continue
        if not window.since < ann.confirmed_at <= window.until:
            continue
        outbox = services.get(AnnouncementRepo).outbox
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
    snapshot = await services.get(ProfileRepo).snapshot()
    pool = pool_of(snapshot)
    sources = DigestSources(services.db)
    _, people = await sources.newcomers(
        window.since, window.until, NEWCOMERS_MATCHED, window.agency_ids
    )
    found: list[tuple[int, list[Suggestion]]] = []
    for person in people:
        me = pool.get(str(person.member_id)) if person.visible else None
        if me is not None:
            found.append((person.member_id, rank_partners(me, pool, limit=PARTNERS_TRIED)))
        if len(found) == 2 * MAX_SUGGESTIONS:  # enough, even if some partners are hidden
            break
    # One query tells who, among all the candidates, may be shown (and their names).
    ids = [newcomer for newcomer, _ in found] + [int(s.key) for _, f in found for s in f]
    names = await sources.visible_people(ids)
    pairs: dict[frozenset[int], tuple[int, int, tuple[str, ...]]] = {}
    for newcomer, partners in found:
        partner = next((int(s.key) for s in partners if int(s.key) in names), None)
        if newcomer in names and partner is not None:
            shared = next(s.shared for s in partners if int(s.key) == partner)
            pairs.setdefault(frozenset((newcomer, partner)), (newcomer, partner, shared))
    if not pairs:
        return None
    lines = [
        t(
            "digest.section.matches.line",
            first=shorten(names[a], 50),
            second=shorten(names[b], 50),
            tags=shorten(", ".join(snapshot.spellings.get(tag, tag) for tag in shared[:3]), 80),
        )
        for a, b, shared in list(pairs.values())[: min(window.max_items, MAX_SUGGESTIONS)]
    ]
    return Section("matches", t("digest.section.matches.heading"), tuple(lines))


async def new_faq_entries(
    services: Services, digest: DigestConfig, window: Window, t: Translator
) -> Section | None:
    """FAQ entries added in the window, newest first, in the digest's language if translated."""
    entries = [
        e for e in await services.get(FaqRepo).all() if window.since < e.created_at <= window.until
    ]
    if not entries:
        return None
    entries.sort(key=lambda e: (e.created_at, e.id), reverse=True)
    lang = digest.fields.lang
    lines = []
    for entry in entries[: window.max_items]:
        question = entry.draft.question
        if entry.draft.lang != lang and lang in entry.draft.translations:
            question = entry.draft.translations[lang][0]
        lines.append(t("digest.section.faq.line", question=shorten(question, 120), id=entry.id))
    return _section("faq", t, lines, len(entries), window.max_items)


async def unanswered_questions(
    services: Services, digest: DigestConfig, window: Window, t: Translator
) -> Section | None:
    """The most asked questions the FAQ could not answer, still asked during the window.
    Only those several distinct people asked: a channel reads them, and a question many
    people ask is the community's, where a one-off (even repeated) may be personal, or one
    member's way of putting words in the digest."""
    asked, _ = await services.get(FaqRepo).activity.unanswered(limit=UNANSWERED_LOOKED_AT)
    shown = [q for q in asked if q.askers >= MIN_ASKERS and q.last_asked_at > window.since]
    if not shown:
        return None
    lines = [
        t.plural("digest.section.unanswered.line", q.count, question=shorten(q.text, 120))
        for q in shown[: window.max_items]
    ]
    return _section("unanswered", t, lines, len(shown), window.max_items)


# In the order a digest shows them.
PROVIDERS: Mapping[str, Build] = {
    "events": upcoming_events,
    "members": newcomers,
    "faq": new_faq_entries,
    "unanswered": unanswered_questions,
    "announcements": announcements,
    "matches": suggestions,
    "activity": activity,
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
