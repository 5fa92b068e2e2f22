"""The federation's impact over a period, per agency or per region: the overview's charts and
the monthly report. Figures come from each feature's store (read-only), never from its tables.

Who counts where:
- a person counts for the agency of their profile (members without one: "no agency");
- an active member did something the bot recorded in the period: answered an event, said
  "Bien reçu" to an announcement, rated a FAQ answer, was introduced to someone, or answered
  "did you meet?";
- an event counts for its organising agency, in the period it starts in; registrations are the
  "going" answers, attendance is those answers against the seats of events that have a limit;
- an announcement counts in the period it was confirmed in, for each agency it was sent to;
- a FAQ ask is counted for the whole federation (the ask log names no channel); an unanswered
  question for the agency of the channel it was first asked in;
- an introduction counts for the agency of each person introduced, once per agency.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import Translator
from bot.services import Services
from bot.storage.agencies import Agency
from commands.announce.store.reports import AgencyReach, AnnounceReports
from commands.dashboard.charts import Chart, Series
from commands.dashboard.period import Period
from commands.events.store.events import EventRepo
from commands.events.store.reports import AgencyEvents
from commands.faq.store.reports import ChannelQuestions, FaqReports
from commands.match.store.reports import Introduction, MatchReports
from commands.profile.store.reports import ProfileReports

GROUPS = ("agency", "region")
# Queries in flight at once: within the connection pool (5 kept; an overflow connection is
# opened, tuned and closed for each query, which costs more than waiting for a kept one).
READS_AT_ONCE = 4


@dataclass(frozen=True, slots=True)
class Totals:
    active_members: int = 0
    events: int = 0
    registrations: int = 0
    fill_rate: float | None = None
    announcements_reached: int = 0
    ack_rate: float | None = None
    asks: int = 0
    answered_rate: float | None = None
    introductions: int = 0
    meetings: int = 0


@dataclass(frozen=True, slots=True)
class Impact:
    period: Period
    group: str
    totals: Totals
    charts: tuple[Chart, ...] = field(default=())

    def chart(self, key: str) -> Chart | None:
        return next((c for c in self.charts if c.key == key), None)


class _Grouping:
    """Agency ids -> the rows of a chart: agencies by region then name, or regions."""

    def __init__(self, agencies: Iterable[Agency], group: str, t: Translator) -> None:
        self.by_id = {a.id: a for a in agencies}
        self.group = group
        self.none_label = t("dashboard.impact.no_agency")

    def key(self, agency_id: int | None) -> str:
        agency = self.by_id.get(agency_id) if agency_id is not None else None
        if agency is None:
            return self.none_label
        return agency.region if self.group == "region" else agency.name

    def labels(self, *counters: Mapping[str, float]) -> tuple[str, ...]:
        """Every agency (or region), then "no agency" when something belongs to none."""
        if self.group == "region":
            known = sorted({a.region for a in self.by_id.values()})
        else:
            ordered = sorted(self.by_id.values(), key=lambda a: (a.region, a.name.casefold()))
            known = [a.name for a in ordered]
        extra = any(c.get(self.none_label) for c in counters)
        return (*known, self.none_label) if extra else tuple(known)

    def count(self, pairs: Iterable[tuple[int | None, float]]) -> Counter[str]:
        by_id: dict[int | None, float] = defaultdict(float)
        for agency_id, value in pairs:
            by_id[agency_id] += value
        return self.per_agency(by_id)

    def per_agency(self, by_id: Mapping[int | None, float]) -> Counter[str]:
        """Figures by agency id -> by row of the chart (agency or region)."""
        found: Counter[str] = Counter()
        for agency_id, value in by_id.items():
            found[self.key(agency_id)] += value
        return found


def _bars(
    key: str,
    title: str,
    grouping: _Grouping,
    series: Mapping[str, Mapping[str, float]],
    **kw: Any,
) -> Chart:
    labels = grouping.labels(*series.values())
    return Chart(
        key,
        title,
        labels,
        tuple(
            Series(name, tuple(float(c.get(lb, 0)) for lb in labels)) for name, c in series.items()
        ),
        **kw,
    )


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class _Read:
    """Everything the figures are made of, read at once."""

    agencies: list[Agency]
    agency_of: dict[int, int]
    profiles: dict[int | None, int]
    events: list[AgencyEvents]
    reach: list[AgencyReach]
    intros: list[Introduction]
    meetings: list[tuple[int, int]]
    active: set[int]
    unanswered: list[ChannelQuestions]
    verdicts: list[dict[str, int]]  # per bucket of the period (weeks or months)
    channels: dict[str, int]


async def _read(services: Services, period: Period) -> _Read:
    """The stores' queries run concurrently: each is short, and a page waits for the last."""
    since, until = period.since, period.until
    edges = [since for _, since, _ in period.buckets()] + [until]
    events = services.get(EventRepo).reports
    announce, faq = services.get(AnnounceReports), services.get(FaqReports)
    match, profiles = services.get(MatchReports), services.get(ProfileReports)
    gate = asyncio.Semaphore(READS_AT_ONCE)

    async def one(read: Awaitable[Any]) -> Any:
        async with gate:
            return await read

    found = await asyncio.gather(
        *map(
            one,
            (
                services.agencies.list(),
                profiles.member_agencies(),
                profiles.members_per_agency(),
                events.by_agency(since, until),
                announce.reach_by_agency(since, until),
                match.introductions(since, until),
                match.meetings(since, until),
                events.answering_members(since, until),
                announce.acking_members(since, until),
                faq.voting_members(since, until),
                match.answering_members(since, until),
                faq.unanswered_by_channel(since, until),
                faq.verdicts(edges),
                services.agencies.channels(),
            ),
        )
    )
    (agencies, agency_of, per_agency, by_agency, reach, intros, meetings,
     answered, acked, voted, replied, unanswered, verdicts, channels) = found  # fmt: skip
    introduced = {m for i in intros for m in (i.member_a, i.member_b)}
    return _Read(
        agencies,
        agency_of,
        per_agency,
        by_agency,
        reach,
        intros,
        meetings,
        answered | acked | voted | replied | introduced,
        unanswered,
        verdicts,
        {str(c.ref): c.agency_id for c in channels},
    )


async def gather(services: Services, period: Period, group: str, t: Translator) -> Impact:
    read = await _read(services, period)
    grouping = _Grouping(read.agencies, group, t)
    agency_of = read.agency_of
    events, reach, intros, meetings, active = (
        read.events, read.reach, read.intros, read.meetings, read.active
    )  # fmt: skip
    profiles_per_agency, verdicts = read.profiles, read.verdicts

    def of_member(member_id: int) -> int | None:
        return agency_of.get(member_id)

    ev = {
        name: grouping.count((e.agency_id, getattr(e, attr)) for e in events)
        for name, attr in (("events", "events"), ("going", "going"), ("seats", "seats"),
                           ("capped", "going_on_capped"))
    }  # fmt: skip
    fill = {
        label: _ratio(ev["capped"][label], seats) or 0.0 for label, seats in ev["seats"].items()
    }
    reached = grouping.count((r.agency_id, r.reached) for r in reach)
    acked = grouping.count((r.agency_id, r.acknowledged) for r in reach)
    intro_counts, across = _introductions(intros, of_member, grouping)
    met = grouping.per_agency(Counter(agency_of.get(m) for _, m in meetings))
    unanswered = _unanswered(read, grouping)

    charts = (
        _bars(
            "members",
            t("dashboard.chart.members"),
            grouping,
            {
                t("dashboard.series.active"): grouping.per_agency(
                    Counter(map(agency_of.get, active))
                ),
                t("dashboard.series.profiles"): grouping.count(profiles_per_agency.items()),
            },
        ),
        _bars(
            "events",
            t("dashboard.chart.events"),
            grouping,
            {t("dashboard.series.events"): ev["events"], t("dashboard.series.going"): ev["going"]},
        ),
        _bars(
            "attendance",
            t("dashboard.chart.attendance"),
            grouping,
            {t("dashboard.series.fill"): fill},
            percent=True,
            note=t("dashboard.chart.attendance_note"),
        ),
        _bars(
            "announcements",
            t("dashboard.chart.announcements"),
            grouping,
            {t("dashboard.series.reached"): reached, t("dashboard.series.acked"): acked},
        ),
        _faq_lines(verdicts, period, t),
        _bars(
            "unanswered",
            t("dashboard.chart.unanswered"),
            grouping,
            {
                t("dashboard.series.questions"): unanswered[0],
                t("dashboard.series.asks"): unanswered[1],
            },
        ),
        _bars(
            "introductions",
            t("dashboard.chart.introductions"),
            grouping,
            {
                t("dashboard.series.introductions"): intro_counts,
                t("dashboard.series.across"): across,
                t("dashboard.series.met"): met,
            },
        ),
    )
    answered = sum(b.get("answer", 0) for b in verdicts)
    asks = sum(sum(b.values()) for b in verdicts)
    totals = Totals(
        active_members=len(active),
        events=sum(e.events for e in events),
        registrations=sum(e.going for e in events),
        fill_rate=_ratio(sum(e.going_on_capped for e in events), sum(e.seats for e in events)),
        announcements_reached=sum(r.reached for r in reach),
        ack_rate=_ratio(sum(r.acknowledged for r in reach), sum(r.reached for r in reach)),
        asks=asks,
        answered_rate=_ratio(answered, asks),
        introductions=len(intros),
        meetings=len({g for g, _ in meetings}),
    )
    return Impact(period, group, totals, charts)


def _introductions(
    intros: Iterable[Any], of_member: Callable[[int], int | None], grouping: _Grouping
) -> tuple[Counter[str], Counter[str]]:
    """Per group: introductions involving its people, and those between two agencies."""
    made: Counter[str] = Counter()
    across: Counter[str] = Counter()
    for intro in intros:
        a, b = of_member(intro.member_a), of_member(intro.member_b)
        keys = {grouping.key(a), grouping.key(b)}
        for key in keys:
            made[key] += 1
            if a is not None and b is not None and a != b:
                across[key] += 1
    return made, across


def _unanswered(read: _Read, grouping: _Grouping) -> tuple[Counter[str], Counter[str]]:
    questions: Counter[str] = Counter()
    asks: Counter[str] = Counter()
    for row in read.unanswered:
        key = grouping.key(read.channels.get(row.channel or ""))
        questions[key] += row.questions
        asks[key] += row.asks
    return questions, asks


def _faq_lines(verdicts: list[dict[str, int]], period: Period, t: Translator) -> Chart:
    buckets = period.buckets()
    fmt = ("d MMM" if t.lang == "fr" else "MMM d") if period.weekly else "MMM y"
    labels = tuple(t.date(since, fmt) for _, since, _ in buckets)
    names = (("answer", "answered"), ("suggest", "suggested"), ("unknown", "unknown"))
    series = tuple(
        Series(t(f"dashboard.series.{name}"), tuple(float(b.get(verdict, 0)) for b in verdicts))
        for verdict, name in names
    )
    title = t("dashboard.chart.faq_weekly" if period.weekly else "dashboard.chart.faq_monthly")
    return Chart("faq", title, labels, series, kind="lines", note=t("dashboard.chart.faq_note"))
