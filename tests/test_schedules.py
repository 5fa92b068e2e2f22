"""Recurring schedules: parsing (fr/en), descriptions, DST-correct runs, APScheduler triggers."""

from __future__ import annotations

import pickle
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.i18n import translator
from bot.schedules import (
    LAST,
    Schedule,
    WallClockTrigger,
    describe,
    next_runs,
    parse_schedule,
    pin,
    to_trigger,
)

PARIS = ZoneInfo("Europe/Paris")
LOCALES = Path(__file__).parent.parent / "bot" / "i18n" / "locales"
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def paris(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def daily(hour: int = 9, minute: int = 0) -> Schedule:
    return Schedule("daily", hour, minute)


def weekly(weekday: int, hour: int = 9, minute: int = 0) -> Schedule:
    return Schedule("weekly", hour, minute, weekday=weekday)


def monthly(day: int, hour: int = 9, minute: int = 0) -> Schedule:
    return Schedule("monthly", hour, minute, day_of_month=day)


def nth(n: int, weekday: int, hour: int = 9, minute: int = 0) -> Schedule:
    return Schedule("monthly", hour, minute, weekday=weekday, nth=n)


def cron(expr: str) -> Schedule:
    return Schedule("cron", cron=expr)


# --------------------------------------------------------------------------- parsing

PARSED = [
    # daily
    ("daily 09:00", daily()),
    ("Daily 9am", daily()),
    ("every day at 6:30pm", daily(18, 30)),
    ("quotidien 9h", daily()),
    ("QUOTIDIENNE 7h45", daily(7, 45)),
    ("tous les jours à 9h", daily()),
    ("tous les jours a 9h", daily()),
    ("chaque jour à midi", daily(12)),
    ("daily", daily()),  # time omitted: 09:00
    # weekly
    ("weekly monday 09:00", weekly(MON)),
    ("every monday at 9am", weekly(MON)),
    ("Every Monday at 9 AM", weekly(MON)),
    ("every fri 5pm", weekly(FRI, 17)),
    ("hebdo lundi 9h", weekly(MON)),
    ("hebdomadaire mercredi 14h30", weekly(WED, 14, 30)),
    ("chaque lundi 9h", weekly(MON)),
    ("Tous les Lundis à 9 h 30", weekly(MON, 9, 30)),
    ("tous les lundis a 9h30", weekly(MON, 9, 30)),
    ("le mardi à 18h", weekly(TUE, 18)),
    ("chaque dimanche", weekly(SUN)),
    # monthly, on a day
    ("monthly 1 09:00", monthly(1)),
    ("monthly on the 15th at 8pm", monthly(15, 20)),
    ("mensuel 1 9h", monthly(1)),
    ("le 1er du mois à 9h", monthly(1)),
    ("le premier du mois a 9h", monthly(1)),
    ("le 31 de chaque mois", monthly(31)),
    ("tous les mois le 10 à 8h", monthly(10, 8)),
    # monthly, on the nth weekday
    ("monthly first monday 9:00", nth(1, MON)),
    ("first monday of the month at 9am", nth(1, MON)),
    ("premier lundi du mois 9h", nth(1, MON)),
    ("le 2e jeudi du mois", nth(2, THU)),
    ("le deuxième jeudi du mois", nth(2, THU)),
    ("le dernier vendredi du mois à 17h30", nth(LAST, FRI, 17, 30)),
    ("monthly last friday 17:30", nth(LAST, FRI, 17, 30)),
    # every 2 / 4 weeks
    ("every 2 weeks friday 14:00", Schedule("biweekly", 14, weekday=FRI)),
    ("every other friday at 2pm", Schedule("biweekly", 14, weekday=FRI)),
    ("biweekly friday 14:00", Schedule("biweekly", 14, weekday=FRI)),
    ("toutes les 2 semaines vendredi 14h", Schedule("biweekly", 14, weekday=FRI)),
    ("toutes les deux semaines, le vendredi à 14h", Schedule("biweekly", 14, weekday=FRI)),
    ("un vendredi sur deux à 14h", Schedule("biweekly", 14, weekday=FRI)),
    ("une semaine sur deux le lundi", Schedule("biweekly", weekday=MON)),
    ("every 4 weeks monday 10:00", Schedule("every4weeks", 10, weekday=MON)),
    ("toutes les 4 semaines lundi 10h", Schedule("every4weeks", 10, weekday=MON)),
    ("toutes les quatre semaines lundi 10h", Schedule("every4weeks", 10, weekday=MON)),
    # a start date fixes the parity; it moves to the first run on the weekday
    (
        "every 2 weeks friday 14:00 from 2026-01-07",
        Schedule("biweekly", 14, weekday=FRI, anchor=date(2026, 1, 9)),
    ),
    (
        "un vendredi sur deux à 14h à partir du 2026-01-09",
        Schedule("biweekly", 14, weekday=FRI, anchor=date(2026, 1, 9)),
    ),
    # cron, normalised (case, spaces) but otherwise kept as typed
    ("0 9 * * 1", cron("0 9 * * 1")),
    ("30 8 1 * *", cron("30 8 1 * *")),
    ("0 9 * * mon-fri", cron("0 9 * * mon-fri")),
    ("  0  9 * *   MON-FRI ", cron("0 9 * * mon-fri")),
    ("cron 0 9 * * 1-5", cron("0 9 * * 1-5")),
    ("0 * * * *", cron("0 * * * *")),  # hourly is the most frequent allowed
]


@pytest.mark.parametrize(("text", "expected"), PARSED, ids=[t for t, _ in PARSED])
def test_parse(text: str, expected: Schedule) -> None:
    assert parse_schedule(text) == expected
    assert parse_schedule(text, lang="en") == expected  # both vocabularies in either language


@pytest.mark.parametrize(("text", "expected"), PARSED, ids=[t for t, _ in PARSED])
def test_round_trip(text: str, expected: Schedule) -> None:
    assert parse_schedule(expected.to_text()) == expected


def test_canonical_text() -> None:
    assert daily().to_text() == "daily 09:00"
    assert weekly(MON).to_text() == "weekly monday 09:00"
    assert monthly(1, 8, 30).to_text() == "monthly 1 08:30"
    assert nth(LAST, FRI).to_text() == "monthly last friday 09:00"
    assert Schedule("every4weeks", weekday=TUE).to_text() == "every 4 weeks tuesday 09:00"
    pinned = Schedule("biweekly", 14, weekday=FRI, anchor=date(2026, 1, 9))
    assert pinned.to_text() == "every 2 weeks friday 14:00 from 2026-01-09"
    assert cron("0 9 * * 1-5").to_text() == "0 9 * * 1-5"


INVALID = [
    "",
    "   ",
    "n'importe quoi",
    "weekly 9h",  # which day?
    "monthly 9h",  # which day of the month?
    "le 15 à 9h",  # "du mois" missing: the 15th of what?
    "daily monday",
    "lundi mardi 9h",
    "lundi 9h 10h",
    "every 3 weeks monday",  # only 1, 2 or 4 weeks
    "daily 25h",
    "daily 9h60",
    "daily 13pm",
    "le 32 du mois",
    "le 5e lundi du mois",  # first to fourth, or last
    "le dernier du mois",
    "la dernière semaine",
    "every 2 weeks friday from 2026-02-30",
    "weekly monday from 2026-01-05",  # a start date only for every 2/4 weeks
    "lnudi 9h",  # typo: refused rather than guessed
    "#T0900 lundi",
    "x" * 500,
    # cron: strict standard syntax, and it has to fire some day
    "cron 0 9",
    "0 9 * *",
    "0 0 9 * * *",  # 6 fields (seconds) is not crontab
    "60 9 * * *",
    "0 24 * * *",
    "0 9 0 * *",
    "0 9 * 13 *",
    "0 9 * * 8",
    "0 9 * * fri-mon",
    "0 9 5/10 * *",
    "0 9 */0 * *",
    "0 9 L * *",
    "0 9 last * *",
    "0 9 * * 1#2",
    "0 9 ? * 1",
    "0 9 30 2 *",  # 30 February never comes
    "0 9 31 4,6 *",
]


@pytest.mark.parametrize("text", INVALID)
def test_invalid(text: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_schedule(text)
    assert caught.value.key == "schedules.invalid"
    assert caught.value.kwargs == {"value": text.strip()}


@pytest.mark.parametrize(
    "text", ["* * * * *", "*/5 * * * *", "0,30 9 * * *", "*/15 9-17 * * 1-5", "0-1 9 * * *"]
)
def test_too_frequent(text: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_schedule(text)
    assert caught.value.key == "schedules.too_frequent"
    assert caught.value.kwargs == {"value": text}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("key", ["schedules.invalid", "schedules.too_frequent"])
def test_error_messages_render_with_examples(lang: str, key: str) -> None:
    message = translator(lang)(key, value="tous les 36 du mois")
    assert "tous les 36 du mois" in message
    assert "0 9 * * 1-5" in message  # an example of what to type instead


def test_schedule_rejects_inconsistent_fields() -> None:
    with pytest.raises(ValueError):
        Schedule("weekly")  # no weekday
    with pytest.raises(ValueError):
        Schedule("daily", weekday=MON)
    with pytest.raises(ValueError):
        Schedule("daily", 24)
    with pytest.raises(ValueError):
        Schedule("biweekly", weekday=FRI, anchor=date(2026, 1, 8))  # a Thursday
    with pytest.raises(ValueError):
        Schedule("monthly", weekday=MON, nth=5)
    with pytest.raises(ValueError):
        Schedule("cron", 10, cron="0 9 * * *")  # the time lives in the expression
    with pytest.raises(ValueError):
        Schedule("cron", cron="0 9 * * MON")  # not normalised: would differ from "0 9 * * mon"
    with pytest.raises(ValueError):
        Schedule("cron", cron="0 9 * * 8")


# --------------------------------------------------------------------------- describing

NBSP = "\u00a0"
DESCRIBED = [
    (daily(), "tous les jours à 9 h", "every day at 9:00 AM"),
    (weekly(MON), "tous les lundis à 9 h", "every Monday at 9:00 AM"),
    (
        Schedule("biweekly", 14, weekday=FRI),
        "un vendredi sur deux à 14 h",
        "every other Friday at 2:00 PM",
    ),
    (
        Schedule("every4weeks", 10, weekday=MON),
        "toutes les 4 semaines, le lundi à 10 h",
        "every 4 weeks on Monday at 10:00 AM",
    ),
    (monthly(1), "le 1er de chaque mois à 9 h", "on the 1st of every month at 9:00 AM"),
    (
        monthly(22, 18, 30),
        "le 22 de chaque mois à 18 h 30",
        "on the 22nd of every month at 6:30 PM",
    ),
    (
        monthly(31),
        "le 31 de chaque mois (ou le dernier jour des mois plus courts) à 9 h",
        "on the 31st of every month (or the last day of shorter months) at 9:00 AM",
    ),
    (nth(1, MON), "le premier lundi du mois à 9 h", "on the first Monday of the month at 9:00 AM"),
    (
        nth(LAST, FRI, 17),
        "le dernier vendredi du mois à 17 h",
        "on the last Friday of the month at 5:00 PM",
    ),
    # cron in words where feasible: the same words as the equivalent preset
    (cron("0 9 * * 1-5"), "du lundi au vendredi à 9 h", "Monday to Friday at 9:00 AM"),
    (cron("0 9 * * mon-fri"), "du lundi au vendredi à 9 h", "Monday to Friday at 9:00 AM"),
    (cron("0 9 * * 1"), "tous les lundis à 9 h", "every Monday at 9:00 AM"),
    (cron("0 9 * * *"), "tous les jours à 9 h", "every day at 9:00 AM"),
    (cron("0 9 * * 0-6"), "tous les jours à 9 h", "every day at 9:00 AM"),
    (cron("30 8 1 * *"), "le 1er de chaque mois à 8 h 30", "on the 1st of every month at 8:30 AM"),
    (
        cron("0 9 1,15 * *"),
        "les 1er et 15 de chaque mois à 9 h",
        "on the 1st and 15th of every month at 9:00 AM",
    ),
    (
        cron("0 10 * * sat,sun"),
        "tous les samedis et dimanches à 10 h",
        "every Saturday and Sunday at 10:00 AM",
    ),
    (
        cron("0 9,17 * * 1,3,5"),
        "tous les lundis, mercredis et vendredis à 9 h et 17 h",
        "every Monday, Wednesday, and Friday at 9:00 AM and 5:00 PM",
    ),
    # else the expression itself
    (cron("0 */2 * * *"), f"cron «{NBSP}0 */2 * * *{NBSP}»", "cron “0 */2 * * *”"),
    (cron("0 8 1 1,4,7,10 *"), f"cron «{NBSP}0 8 1 1,4,7,10 *{NBSP}»", "cron “0 8 1 1,4,7,10 *”"),
    (cron("0 9 1 * 1"), f"cron «{NBSP}0 9 1 * 1{NBSP}»", "cron “0 9 1 * 1”"),  # 1st OR Mondays
]


@pytest.mark.parametrize(
    ("schedule", "fr", "en"), DESCRIBED, ids=[s.to_text() for s, *_ in DESCRIBED]
)
def test_describe(schedule: Schedule, fr: str, en: str) -> None:
    assert describe(schedule, "fr") == fr
    assert describe(schedule, "en") == en


def test_describe_unknown_language_is_french() -> None:
    assert describe(weekly(MON), "de") == "tous les lundis à 9 h"


def _placeholders(value: object) -> set[str]:
    texts = value.values() if isinstance(value, dict) else [value]
    return {name for text in texts for name in re.findall(r"\{(\w+)\}", str(text))}


def _flat(table: dict[str, object], prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in table.items():
        is_plural = isinstance(value, dict) and "other" in value
        if isinstance(value, dict) and not is_plural:
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_catalogues_match() -> None:
    fr, en = (
        _flat(tomllib.loads((LOCALES / lang / "schedules.toml").read_text("utf-8")))
        for lang in ("fr", "en")
    )
    assert fr.keys() == en.keys()
    for key in fr:
        assert _placeholders(fr[key]) == _placeholders(en[key]), key


# --------------------------------------------------------------------------- DST


def test_daily_stays_at_nine_across_spring_forward() -> None:
    runs = next_runs(daily(), paris(2027, 3, 26, 12), PARIS, count=4)
    assert [(r.day, r.hour, r.minute) for r in runs] == [
        (27, 9, 0),
        (28, 9, 0),
        (29, 9, 0),
        (30, 9, 0),
    ]
    assert [r.utcoffset() for r in runs] == [timedelta(hours=h) for h in (1, 2, 2, 2)]


def test_daily_stays_at_nine_across_fall_back() -> None:
    runs = next_runs(daily(), paris(2026, 10, 23, 12), PARIS, count=4)
    assert [(r.day, r.hour, r.minute) for r in runs] == [
        (24, 9, 0),
        (25, 9, 0),
        (26, 9, 0),
        (27, 9, 0),
    ]
    assert [r.utcoffset() for r in runs] == [timedelta(hours=h) for h in (2, 1, 1, 1)]


def test_time_skipped_by_spring_forward_runs_an_hour_later() -> None:
    """02:30 does not exist on 2027-03-28 (02:00 -> 03:00). APScheduler's CronTrigger reads the
    missing 02:30 with the winter offset: 01:30 UTC, i.e. 03:30 summer time. That day's run is
    neither skipped nor doubled; it comes 24 h after the previous one."""
    runs = next_runs(daily(2, 30), paris(2027, 3, 26, 12), PARIS, count=3)
    assert [r.isoformat() for r in runs] == [
        "2027-03-27T02:30:00+01:00",
        "2027-03-28T03:30:00+02:00",
        "2027-03-29T02:30:00+02:00",
    ]
    # elapsed time (same-zone subtraction would compare wall clocks)
    assert runs[1].astimezone(UTC) - runs[0].astimezone(UTC) == timedelta(hours=24)
    assert runs[1].astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_time_repeated_by_fall_back_runs_once() -> None:
    """02:30 happens twice on 2026-10-25; APScheduler alone fires at both, we keep the first."""
    runs = next_runs(daily(2, 30), paris(2026, 10, 24, 12), PARIS, count=3)
    assert [r.isoformat() for r in runs] == [
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T02:30:00+01:00",
        "2026-10-27T02:30:00+01:00",
    ]
    # the same for a cron expression with a fixed hour, as cron itself does
    assert next_runs(cron("30 2 * * *"), paris(2026, 10, 24, 12), PARIS, count=3) == runs


def test_hourly_cron_keeps_both_passes_through_a_repeated_hour() -> None:
    runs = next_runs(cron("30 * * * *"), paris(2026, 10, 25, 1, 0), PARIS, count=4)
    assert [r.isoformat() for r in runs] == [
        "2026-10-25T01:30:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:30:00+01:00",
    ]


def test_weekly_and_monthly_keep_local_time_across_dst() -> None:
    runs = next_runs(weekly(SUN, 10), paris(2027, 3, 20), PARIS, count=3)
    assert [(r.date(), r.hour) for r in runs] == [
        (date(2027, 3, 21), 10),
        (date(2027, 3, 28), 10),
        (date(2027, 4, 4), 10),
    ]
    runs = next_runs(monthly(20, 18), paris(2026, 9, 1), PARIS, count=3)
    assert {r.hour for r in runs} == {18}
    assert [r.utcoffset() for r in runs] == [timedelta(hours=h) for h in (2, 2, 1)]


def test_next_runs_are_strictly_after() -> None:
    assert next_runs(daily(), paris(2026, 1, 5, 9), PARIS) == [paris(2026, 1, 6, 9)]
    assert next_runs(daily(), paris(2026, 1, 5, 8, 59, 59), PARIS) == [paris(2026, 1, 5, 9)]
    as_utc = datetime(2026, 1, 5, 7, 59, tzinfo=UTC)  # any aware datetime will do
    assert next_runs(daily(), as_utc, PARIS) == [paris(2026, 1, 5, 9)]


def test_next_runs_needs_an_aware_datetime() -> None:
    with pytest.raises(ValueError):
        next_runs(daily(), datetime(2026, 1, 5), PARIS)


# --------------------------------------------------------------------------- every n weeks


def test_pin_makes_the_first_run_the_next_matching_weekday() -> None:
    created = paris(2026, 1, 5, 10)  # a Monday
    pinned = pin(Schedule("biweekly", 14, weekday=FRI), created, PARIS)
    assert pinned.anchor == date(2026, 1, 9)
    assert parse_schedule(pinned.to_text()) == pinned  # the parity is stored with the schedule
    assert pin(pinned, paris(2026, 3, 1), PARIS) == pinned  # pinning twice changes nothing
    assert pin(weekly(FRI), created, PARIS) == weekly(FRI)


def test_biweekly_parity() -> None:
    schedule = Schedule("biweekly", 14, weekday=FRI, anchor=date(2026, 1, 9))
    runs = next_runs(schedule, paris(2026, 1, 1), PARIS, count=4)
    assert [r.date() for r in runs] == [date(2026, 1, d) for d in (9, 23)] + [
        date(2026, 2, 6),
        date(2026, 2, 20),
    ]
    # asked from any later moment, the same weeks come out
    later = next_runs(schedule, paris(2026, 1, 24), PARIS, count=2)
    assert later == runs[2:]
    assert {r.hour for r in runs} == {14}


def test_biweekly_crosses_year_end_and_dst_fourteen_days_apart() -> None:
    """2026 has 53 ISO weeks: an odd/even ISO week rule would give two runs in a row."""
    schedule = Schedule("biweekly", 14, weekday=MON, anchor=date(2026, 1, 12))  # ISO week 3
    runs = next_runs(schedule, paris(2026, 10, 1), PARIS, count=12)
    assert {b.date() - a.date() for a, b in zip(runs, runs[1:], strict=False)} == {timedelta(14)}
    assert {r.hour for r in runs} == {14}  # wall-clock 14:00 on both sides of 25 October
    # ISO week 53 then week 2: an "odd ISO weeks" rule would also fire on 4 January (week 1)
    assert {date(2026, 12, 28), date(2027, 1, 11)} <= {r.date() for r in runs}


def test_every_four_weeks() -> None:
    schedule = Schedule("every4weeks", 10, weekday=MON, anchor=date(2026, 1, 5))
    runs = next_runs(schedule, paris(2026, 1, 1), PARIS, count=4)
    assert [r.date() for r in runs] == [date(2026, 1, 5) + timedelta(weeks=4 * i) for i in range(4)]


def test_anchor_is_also_a_start_date() -> None:
    schedule = parse_schedule("toutes les 2 semaines vendredi 14h à partir du 2026-03-06")
    assert next_runs(schedule, paris(2026, 1, 1), PARIS)[0] == paris(2026, 3, 6, 14)


def test_to_trigger_anchor_pins_unpinned_schedules_only() -> None:
    unpinned = Schedule("biweekly", 14, weekday=FRI)
    created = paris(2026, 1, 12, 9)  # Monday: first run Friday 16th
    trigger = to_trigger(unpinned, PARIS, anchor=created)
    assert trigger.get_next_fire_time(None, created) == paris(2026, 1, 16, 14)
    assert next_runs(unpinned, created, PARIS, count=2, anchor=created) == [
        paris(2026, 1, 16, 14),
        paris(2026, 1, 30, 14),
    ]
    # a pinned schedule keeps its own parity, whatever moment a restart passes
    pinned = Schedule("biweekly", 14, weekday=FRI, anchor=date(2026, 1, 9))
    assert next_runs(pinned, created, PARIS, anchor=created) == [paris(2026, 1, 23, 14)]


def test_unpinned_parity_is_deterministic() -> None:
    schedule = Schedule("biweekly", 14, weekday=FRI)
    first = next_runs(schedule, paris(2026, 1, 1), PARIS, count=3)
    assert next_runs(schedule, paris(2026, 1, 1), PARIS, count=3) == first
    assert next_runs(schedule, first[0], PARIS, count=2) == first[1:]


# --------------------------------------------------------------------------- monthly


def test_monthly_31st_clamps_to_the_last_day_of_shorter_months() -> None:
    runs = next_runs(monthly(31), paris(2027, 1, 1), PARIS, count=7)
    assert [r.date() for r in runs] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
        date(2027, 6, 30),
        date(2027, 7, 31),
    ]


def test_monthly_29th_and_30th_in_a_leap_february() -> None:
    for day in (29, 30):
        runs = next_runs(monthly(day), paris(2028, 1, 31), PARIS, count=2)
        assert [r.date() for r in runs] == [date(2028, 2, 29), date(2028, 3, day)]  # once
    runs = next_runs(monthly(29), paris(2027, 1, 31), PARIS, count=2)
    assert [r.date() for r in runs] == [date(2027, 2, 28), date(2027, 3, 29)]


def test_cron_31st_skips_short_months_like_cron() -> None:
    runs = next_runs(cron("0 9 31 * *"), paris(2027, 1, 1), PARIS, count=3)
    assert [r.date() for r in runs] == [date(2027, 1, 31), date(2027, 3, 31), date(2027, 5, 31)]


def test_nth_weekday_of_the_month() -> None:
    runs = next_runs(nth(1, MON), paris(2026, 1, 1), PARIS, count=3)
    assert [r.date() for r in runs] == [date(2026, 1, 5), date(2026, 2, 2), date(2026, 3, 2)]
    runs = next_runs(nth(LAST, FRI, 17), paris(2026, 1, 1), PARIS, count=2)
    assert [r.date() for r in runs] == [date(2026, 1, 30), date(2026, 2, 27)]


# --------------------------------------------------------------------------- cron meaning


@pytest.mark.parametrize(
    ("expr", "weekdays"),
    [
        ("0 9 * * 1", {MON}),  # APScheduler 3's from_crontab alone would say Tuesday
        ("0 9 * * 0", {SUN}),
        ("0 9 * * 7", {SUN}),
        ("0 9 * * 1-5", {MON, TUE, WED, THU, FRI}),
        ("0 9 * * mon-fri", {MON, TUE, WED, THU, FRI}),
        ("0 9 * * 5-7", {FRI, SAT, SUN}),
        ("0 9 * * sun,sat", {SAT, SUN}),
        ("0 9 * * */2", {SUN, TUE, THU, SAT}),  # 0, 2, 4, 6
    ],
)
def test_cron_weekdays_have_crontab_meaning(expr: str, weekdays: set[int]) -> None:
    runs = next_runs(cron(expr), paris(2026, 1, 4), PARIS, count=14)
    assert {r.weekday() for r in runs} == weekdays
    assert {(r.hour, r.minute) for r in runs} == {(9, 0)}


def test_cron_day_and_weekday_either_matches() -> None:
    """Standard cron: with both fields restricted, the 1st OR any Monday (APScheduler: AND)."""
    runs = next_runs(cron("0 9 1 * 1"), paris(2026, 1, 1), PARIS, count=4)
    assert [r.date() for r in runs] == [date(2026, 1, d) for d in (1, 5, 12, 19)]


def test_cron_day_starting_with_star_means_both() -> None:
    """…but if either field starts with '*', both must match (odd days that are Mondays)."""
    runs = next_runs(cron("0 9 */2 * 1"), paris(2026, 1, 1), PARIS, count=3)
    assert all(r.weekday() == MON and r.day % 2 == 1 for r in runs)


# --------------------------------------------------------------------------- triggers


def test_trigger_is_the_one_next_runs_uses() -> None:
    schedule = parse_schedule("chaque lundi 9h")
    trigger = to_trigger(schedule, PARIS)
    assert isinstance(trigger, WallClockTrigger)
    now = paris(2026, 1, 1)
    assert trigger.get_next_fire_time(None, now) == next_runs(schedule, now, PARIS)[0]


@pytest.mark.parametrize(
    "schedule",
    [
        daily(),
        monthly(31),
        cron("0 9 1 * 1"),
        Schedule("biweekly", 14, weekday=FRI, anchor=date(2026, 1, 9)),
    ],
    ids=str,
)
def test_trigger_pickles(schedule: Schedule) -> None:
    """Persistent job stores pickle triggers."""
    trigger = to_trigger(schedule, PARIS)
    copy = pickle.loads(pickle.dumps(trigger))
    now = paris(2026, 1, 1)
    assert copy.get_next_fire_time(None, now) == trigger.get_next_fire_time(None, now)


def test_trigger_with_previous_fire_time_as_the_scheduler_calls_it() -> None:
    trigger = to_trigger(Schedule("biweekly", 14, weekday=FRI, anchor=date(2026, 1, 9)), PARIS)
    first = trigger.get_next_fire_time(None, paris(2026, 1, 1))
    # the scheduler asks again after the run, a little later
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=2))
    assert (first, second) == (paris(2026, 1, 9, 14), paris(2026, 1, 23, 14))


# --------------------------------------------------------------------------- properties

times = st.tuples(st.integers(0, 23), st.integers(0, 59))
weekdays = st.integers(0, 6)
anchors = st.none() | st.dates(date(2020, 1, 1), date(2100, 12, 31))


def _multi_week(kind: str, at: tuple[int, int], weekday: int, anchor: date | None) -> Schedule:
    if anchor is not None:
        anchor += timedelta(days=(weekday - anchor.weekday()) % 7)
    return Schedule(kind, *at, weekday=weekday, anchor=anchor)  # type: ignore[arg-type]


VALID_CRON = [
    "0 9 * * 1-5",
    "15 7 1,15 * *",
    "0 0 * * 0",
    "45 23 31 12 *",
    "0 8,12,18 * * mon,wed,fri",
    "0 */3 * jan-jun *",
    "5 4 29 2 *",
    "0 9 13 * 5",
]
schedules = st.one_of(
    times.map(lambda at: Schedule("daily", *at)),
    st.builds(lambda at, w: Schedule("weekly", *at, weekday=w), times, weekdays),
    st.builds(_multi_week, st.sampled_from(["biweekly", "every4weeks"]), times, weekdays, anchors),
    st.builds(lambda at, d: Schedule("monthly", *at, day_of_month=d), times, st.integers(1, 31)),
    st.builds(
        lambda at, w, n: Schedule("monthly", *at, weekday=w, nth=n),
        times,
        weekdays,
        st.sampled_from([1, 2, 3, 4, LAST]),
    ),
    st.sampled_from(VALID_CRON).map(cron),
)


@given(schedules)
def test_property_round_trip_and_describe(schedule: Schedule) -> None:
    assert parse_schedule(schedule.to_text()) == schedule
    for lang in ("fr", "en"):
        words = describe(schedule, lang)
        assert words and "{" not in words


@settings(deadline=None)
@given(
    schedules, st.datetimes(datetime(2025, 1, 1), datetime(2035, 1, 1), timezones=st.just(PARIS))
)
def test_property_runs_are_ordered_and_at_the_wall_time(
    schedule: Schedule, after: datetime
) -> None:
    runs = next_runs(schedule, after, PARIS, count=3)
    assert len(runs) == 3
    assert after < runs[0] < runs[1] < runs[2]
    if schedule.kind != "cron":
        for run in runs:
            # The wall time, or the real moment a DST gap turned it into (02:30 -> 03:30).
            wall = run.replace(hour=schedule.hour, minute=schedule.minute, fold=0)
            assert run == wall.astimezone(UTC).astimezone(PARIS)


def _assert_parse_is_total(text: str) -> None:
    try:
        schedule = parse_schedule(text)
    except UserError as error:
        assert error.key in {"schedules.invalid", "schedules.too_frequent"}
    else:
        assert parse_schedule(schedule.to_text()) == schedule


@given(st.text(max_size=60))
def test_property_parse_raises_only_user_errors(text: str) -> None:
    _assert_parse_is_total(text)


WORDS = (
    "daily weekly monthly quotidien hebdo mensuel every each chaque tous toutes les le la du de "
    "mois jours jour semaine semaines sur deux quatre un une other first premier 1er dernier last "
    "lundi lundis monday friday vendredi dim sun à a at on the of 1 2 4 15 31 32 9h 9h30 14:00 "
    "2pm 12am 25h midi noon from 2026-01-09 à partir du cron * */5 1-5 mon-fri 0 9 , . - #"
).split()


@given(st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join))
def test_property_word_soup(text: str) -> None:
    _assert_parse_is_total(text)


cron_field = st.one_of(
    st.just("*"),
    st.integers(0, 60).map(str),
    st.builds("{}-{}".format, st.integers(0, 31), st.integers(0, 31)),
    st.builds("*/{}".format, st.integers(0, 61)),
    st.builds("{},{}".format, st.integers(0, 31), st.integers(0, 31)),
    st.sampled_from(["mon-fri", "jan", "sun", "last", "L", "?", "1#2", "5/10"]),
)


@settings(deadline=None)
@given(st.lists(cron_field, min_size=5, max_size=5).map(" ".join))
def test_property_random_cron(expr: str) -> None:
    try:
        schedule = parse_schedule(expr)
    except UserError as error:
        assert error.key in {"schedules.invalid", "schedules.too_frequent"}
        return
    # whatever is accepted fires, and at most once an hour
    runs = next_runs(schedule, paris(2026, 1, 1), PARIS, count=3)
    assert len(runs) == 3
    assert all(b - a >= timedelta(hours=1) for a, b in zip(runs, runs[1:], strict=False))
    describe(schedule, "fr")


async def test_asyncio_scheduler_runs_the_trigger() -> None:
    scheduler = AsyncIOScheduler(timezone=PARIS)
    scheduler.start(paused=True)
    try:
        schedule = Schedule("biweekly", 14, weekday=FRI, anchor=date(2026, 1, 9))
        job = scheduler.add_job(lambda: None, to_trigger(schedule, PARIS))
        assert job.next_run_time == next_runs(schedule, datetime.now(PARIS), PARIS)[0]
    finally:
        scheduler.shutdown(wait=False)
