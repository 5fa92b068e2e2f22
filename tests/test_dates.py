"""Dates and durations typed in chat: what the user types → the moment the bot understands."""

from __future__ import annotations

import re
import string
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dates import ensure_future, parse_duration, parse_when, parse_when_detailed
from bot.errors import UserError
from bot.i18n import translator

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)  # a Thursday, 10:00
LOCALES = Path(__file__).parent.parent / "bot" / "i18n" / "locales"


def when(text: str, now: datetime = NOW, tz: ZoneInfo = PARIS) -> str:
    """The parsed moment as Paris wall time, the way a member would read it back."""
    return parse_when(text, now=now, tz=tz).astimezone(PARIS).strftime("%Y-%m-%d %H:%M %a")


def error_key(text: str, now: datetime = NOW) -> str:
    with pytest.raises(UserError) as info:
        parse_when(text, now=now, tz=PARIS)
    assert info.value.kwargs["value"] == text  # the user's own words, echoed back raw
    return info.value.key


FRENCH = [
    ("2026-12-04", "2026-12-04 09:00 Fri"),
    ("04/12/2026 18h00", "2026-12-04 18:00 Fri"),
    ("4/12 18h", "2026-12-04 18:00 Fri"),
    ("04.12.2026 18:30", "2026-12-04 18:30 Fri"),
    ("4-12-26 18h30", "2026-12-04 18:30 Fri"),
    ("4 déc. 18h", "2026-12-04 18:00 Fri"),
    ("4 décembre 2026 à 18h30", "2026-12-04 18:30 Fri"),
    ("le 4 décembre", "2026-12-04 09:00 Fri"),
    ("le 1er décembre à 18 heures", "2026-12-01 18:00 Tue"),
    ("vendredi 4 décembre 18h", "2026-12-04 18:00 Fri"),
    ("vendredi 14h30", "2026-11-27 14:30 Fri"),
    ("vendredi prochain 9h", "2026-11-27 09:00 Fri"),
    ("lundi", "2026-11-30 09:00 Mon"),
    ("lun 18h", "2026-11-30 18:00 Mon"),
    ("mar 18h", "2026-12-01 18:00 Tue"),  # mardi on its own…
    ("demain 9h", "2026-11-27 09:00 Fri"),
    ("demain soir", "2026-11-27 20:00 Fri"),
    ("demain matin", "2026-11-27 09:00 Fri"),
    ("après-demain", "2026-11-28 09:00 Sat"),
    ("après demain 8h15", "2026-11-28 08:15 Sat"),
    ("aujourd'hui 18h", "2026-11-26 18:00 Thu"),
    ("aujourd’hui à 18h", "2026-11-26 18:00 Thu"),
    ("ce soir 20h", "2026-11-26 20:00 Thu"),
    ("ce soir 8h", "2026-11-26 20:00 Thu"),  # nobody means 8 am by "ce soir"
    ("ce soir", "2026-11-26 20:00 Thu"),
    ("cet après-midi 3h", "2026-11-26 15:00 Thu"),
    ("dans 2 heures", "2026-11-26 12:00 Thu"),
    ("dans 1h30", "2026-11-26 11:30 Thu"),
    ("dans 3 jours", "2026-11-29 09:00 Sun"),
    ("dans 3 jours à 18h", "2026-11-29 18:00 Sun"),
    ("dans une semaine", "2026-12-03 09:00 Thu"),
    ("midi", "2026-11-26 12:00 Thu"),
    ("minuit", "2026-11-27 00:00 Fri"),
    ("demain midi", "2026-11-27 12:00 Fri"),
    ("18H30", "2026-11-26 18:30 Thu"),
    ("vers 18h", "2026-11-26 18:00 Thu"),
    ("demain9h", "2026-11-27 09:00 Fri"),
    # without accents, chat casing, chat punctuation
    ("4 dec 18h", "2026-12-04 18:00 Fri"),
    ("Apres-demain", "2026-11-28 09:00 Sat"),
    ("aujourdhui", "2026-11-26 09:00 Thu"),
    ("DEMAIN 9H", "2026-11-27 09:00 Fri"),
    ("Vendredi 14h30 !", "2026-11-27 14:30 Fri"),
    ("« demain 9h »", "2026-11-27 09:00 Fri"),
    ("4 fev 18h", "2027-02-04 18:00 Thu"),
    ("4 juil.", "2027-07-04 09:00 Sun"),
    ("12 sept 2027 9h", "2027-09-12 09:00 Sun"),
]

ENGLISH = [
    ("December 4 6pm", "2026-12-04 18:00 Fri"),
    ("Dec 4, 2026 18:00", "2026-12-04 18:00 Fri"),
    ("4 Dec 6:30pm", "2026-12-04 18:30 Fri"),
    ("December 4th at 6 p.m.", "2026-12-04 18:00 Fri"),
    ("the 4th of December", "2026-12-04 09:00 Fri"),
    ("mar 4", "2027-03-04 09:00 Thu"),  # …but March next to a day number
    ("tomorrow 9am", "2026-11-27 09:00 Fri"),
    ("friday 2:30pm", "2026-11-27 14:30 Fri"),
    ("Fri 2:30 PM", "2026-11-27 14:30 Fri"),
    ("next monday 10:00", "2026-11-30 10:00 Mon"),
    ("today 18:00", "2026-11-26 18:00 Thu"),
    ("tonight 8pm", "2026-11-26 20:00 Thu"),
    ("tonight at 8pm", "2026-11-26 20:00 Thu"),
    ("this afternoon", "2026-11-26 14:00 Thu"),
    ("the day after tomorrow", "2026-11-28 09:00 Sat"),
    ("noon", "2026-11-26 12:00 Thu"),
    ("midnight", "2026-11-27 00:00 Fri"),
    ("12am", "2026-11-27 00:00 Fri"),
    ("12pm", "2026-11-26 12:00 Thu"),
    ("in 2 hours", "2026-11-26 12:00 Thu"),
    ("in 90 min", "2026-11-26 11:30 Thu"),
    ("in 3 days", "2026-11-29 09:00 Sun"),
    ("in a day at 6pm", "2026-11-27 18:00 Fri"),
    ("6:30 pm", "2026-11-26 18:30 Thu"),
    ("9am", "2026-11-27 09:00 Fri"),
]

ISO = [
    ("2026-12-04 18:00", "2026-12-04 18:00 Fri"),
    ("2026-12-04T18:00", "2026-12-04 18:00 Fri"),
    ("2026-12-04t18:00:00", "2026-12-04 18:00 Fri"),
    ("2026-12-04T18:00+01:00", "2026-12-04 18:00 Fri"),
    ("2026-12-04T17:00Z", "2026-12-04 18:00 Fri"),
    ("2026-12-04T17:00:00.000Z", "2026-12-04 18:00 Fri"),
    ("2026-12-04T12:00-05:00", "2026-12-04 18:00 Fri"),
]


@pytest.mark.parametrize(("text", "expected"), FRENCH + ENGLISH + ISO)
def test_what_people_type(text: str, expected: str) -> None:
    assert when(text) == expected


@pytest.mark.parametrize(("text", "expected"), FRENCH + ENGLISH + ISO)
def test_the_reader_language_does_not_change_the_meaning(text: str, expected: str) -> None:
    english = parse_when(text, now=NOW, tz=PARIS, lang="en")
    assert english == parse_when(text, now=NOW, tz=PARIS, lang="fr")


def test_result_is_aware_and_in_the_given_zone() -> None:
    value = parse_when("demain 9h", now=NOW, tz=PARIS)
    assert value.tzinfo is PARIS
    assert value.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "has_time"),
    [("demain 9h", True), ("demain", False), ("4/12", False), ("2026-12-04T09:00", True),
     ("midi", True), ("ce soir", False), ("dans 2 heures", True), ("dans 3 jours", False),
     ("dans 3 jours à 9h", True)],
)  # fmt: skip
def test_callers_know_whether_the_time_was_typed(text: str, has_time: bool) -> None:
    parsed = parse_when_detailed(text, now=NOW, tz=PARIS)
    assert parsed.has_time is has_time
    assert parsed.value == parse_when(text, now=NOW, tz=PARIS)


class TestNextOccurrence:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("26/11 11h", "2026-11-26 11:00 Thu"),  # today, still ahead
            ("26/11 9h", "2026-11-26 09:00 Thu"),  # today, gone: still today (see TestAhead)
            ("26/11", "2026-11-26 09:00 Thu"),  # 09:00 is gone too
            ("20/11", "2026-11-20 09:00 Fri"),  # just passed: this year's (a filter's from:)
            ("20/8", "2027-08-20 09:00 Fri"),  # passed long ago: next year's
            ("26/11/2026 9h", "2026-11-26 09:00 Thu"),  # an explicit year is kept (caller judges)
            ("1/1", "2027-01-01 09:00 Fri"),
            ("31/12 23h59", "2026-12-31 23:59 Thu"),
            ("29/02", "2028-02-29 09:00 Tue"),  # the next year that has one
            ("jeudi 11h", "2026-11-26 11:00 Thu"),  # today counts when the time is ahead
            ("jeudi 9h", "2026-12-03 09:00 Thu"),
            ("jeudi", "2026-12-03 09:00 Thu"),
            ("jeudi prochain 11h", "2026-12-03 11:00 Thu"),  # "prochain" never means today
            ("vendredi prochain", "2026-11-27 09:00 Fri"),  # … but tomorrow is fine
            ("next thursday", "2026-12-03 09:00 Thu"),
            ("11h", "2026-11-26 11:00 Thu"),  # a bare time: today if ahead
            ("9h", "2026-11-27 09:00 Fri"),  # … else tomorrow
            ("aujourd'hui 8h", "2026-11-26 08:00 Thu"),  # said explicitly: kept, even if past
        ],
    )
    def test_rules(self, text: str, expected: str) -> None:
        assert when(text) == expected

    def test_ensure_future_lets_callers_refuse_the_past(self) -> None:
        value = parse_when("aujourd'hui 8h", now=NOW, tz=PARIS)
        with pytest.raises(UserError) as info:
            ensure_future(value, NOW, text="aujourd'hui 8h")
        assert info.value.key == "dates.past"
        assert info.value.kwargs == {"value": "aujourd'hui 8h", "when": value}
        assert translator("fr")(info.value.key, **info.value.kwargs) == (
            "«\u00a0aujourd'hui 8h\u00a0» (jeudi 26 novembre 2026 à 8\u00a0h) est déjà passé. "
            "Indiquez une date à venir, par exemple demain 9h ou vendredi 14h30."
        )
        later = parse_when("demain 9h", now=NOW, tz=PARIS)
        assert ensure_future(later, NOW) == later
        with pytest.raises(UserError):
            ensure_future(NOW, NOW)  # "now" is not the future


class TestDaylightSaving:
    BEFORE_SPRING = datetime(2027, 3, 27, 10, 0, tzinfo=PARIS)  # Saturday before 2 → 3 am
    BEFORE_AUTUMN = datetime(2026, 10, 24, 10, 0, tzinfo=PARIS)  # Saturday before 3 → 2 am

    @pytest.mark.parametrize(
        "text", ["demain 2h30", "dimanche 2h", "28/03/2027 02:30", "2027-03-28T02:59", "28/03 2h30"]
    )
    def test_a_time_skipped_in_spring_is_refused(self, text: str) -> None:
        assert error_key(text, now=self.BEFORE_SPRING) == "dates.nonexistent"

    def test_the_gap_is_refused_however_far_ahead(self) -> None:
        assert error_key("28/03 02:30") == "dates.nonexistent"  # typed in November 2026

    def test_around_the_spring_gap(self) -> None:
        before, after = (
            parse_when(t, now=self.BEFORE_SPRING, tz=PARIS) for t in ("demain 1h59", "demain 3h")
        )
        assert (before.isoformat(), after.isoformat()) == (
            "2027-03-28T01:59:00+01:00",
            "2027-03-28T03:00:00+02:00",
        )
        # In UTC: Python subtracts same-zone datetimes by wall clock (that would say 61 min).
        assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(minutes=1)

    def test_an_explicit_offset_has_no_gap(self) -> None:
        value = parse_when("2027-03-28T02:30+01:00", now=self.BEFORE_SPRING, tz=PARIS)
        assert value.astimezone(PARIS).isoformat() == "2027-03-28T03:30:00+02:00"

    def test_a_repeated_autumn_time_is_the_first_one(self) -> None:
        value = parse_when("demain 2h30", now=self.BEFORE_AUTUMN, tz=PARIS)
        assert value.fold == 0
        assert value.isoformat() == "2026-10-25T02:30:00+02:00"  # still summer time
        assert value.astimezone(UTC).isoformat() == "2026-10-25T00:30:00+00:00"

    def test_an_event_typed_the_day_before_the_change(self) -> None:
        tomorrow = parse_when("demain 9h", now=self.BEFORE_AUTUMN, tz=PARIS)
        assert tomorrow.isoformat() == "2026-10-25T09:00:00+01:00"  # wall time kept…
        elapsed = tomorrow.astimezone(UTC) - self.BEFORE_AUTUMN.astimezone(UTC)
        assert elapsed == timedelta(hours=24)  # 10:00 → 09:00 wall, across a 25-hour day
        in_a_day = parse_when("dans 1 jour à 10h", now=self.BEFORE_AUTUMN, tz=PARIS)
        assert in_a_day.isoformat() == "2026-10-25T10:00:00+01:00"  # a calendar day
        in_24h = parse_when("dans 24 heures", now=self.BEFORE_AUTUMN, tz=PARIS)
        assert in_24h.isoformat() == "2026-10-25T09:00:00+01:00"  # elapsed time

    def test_next_weekday_across_the_change(self) -> None:
        value = parse_when("lundi 9h", now=self.BEFORE_AUTUMN, tz=PARIS)
        assert value.isoformat() == "2026-10-26T09:00:00+01:00"


class TestExplicitZone:
    def test_iana_zone_overrides_tz_and_ignores_case(self) -> None:
        value = parse_when("2026-12-04 18:00 Europe/London", now=NOW, tz=PARIS)
        assert value.tzinfo == ZoneInfo("Europe/London")
        assert when("4/12 18h europe/london") == "2026-12-04 19:00 Fri"

    @pytest.mark.parametrize(
        ("text", "offset"),
        [("demain 9h UTC", 0), ("demain 9h GMT", 0), ("demain 9h UTC+2", 2),
         ("2026-12-04T18:00+05:30", 5.5), ("2026-12-04 18:00 -03:00", -3),
         ("2026-12-04T18:00Z", 0)],
    )  # fmt: skip
    def test_offsets(self, text: str, offset: float) -> None:
        value = parse_when(text, now=NOW, tz=PARIS)
        assert value.utcoffset() == timedelta(hours=offset)

    def test_utc_today_is_utc_s_today(self) -> None:
        just_after_midnight = datetime(2026, 11, 26, 0, 30, tzinfo=PARIS)  # 25th, 23:30 UTC
        value = parse_when("today 18:00 UTC", now=just_after_midnight, tz=PARIS)
        assert value == datetime(2026, 11, 25, 18, 0, tzinfo=UTC)

    def test_heure_de_paris_is_ignored(self) -> None:
        for text in ("demain 9h heure de Paris", "demain 9h (heure de Paris)", "demain à 9h "):
            assert when(text) == "2026-11-27 09:00 Fri"

    def test_tz_is_used_when_nothing_is_typed(self) -> None:
        montreal = ZoneInfo("America/Montreal")
        value = parse_when("demain 9h", now=NOW, tz=montreal)
        assert value == datetime(2026, 11, 27, 9, 0, tzinfo=montreal)

    def test_a_fixed_offset_now_is_fine(self) -> None:
        now = datetime(2026, 11, 26, 9, 0, tzinfo=timezone(timedelta(hours=1)))  # not a ZoneInfo
        assert when("demain 9h", now=now) == "2026-11-27 09:00 Fri"


@pytest.mark.parametrize(
    "text",
    [
        "", "   ", "bientôt", "n'importe quand", "31/02", "31/02/2027", "30 février", "32/12",
        "4/13", "2026-13-01", "2026-02-30", "25h", "24h", "18h60", "13pm", "0am", "4 dec 18",
        "demain demain", "18h 19h", "vendredi 5 décembre", "prochain", "next", "next tomorrow",
        "dans", "in 2", "dans 0h00", "in 0 days", "dans 2 heures à 18h", "dans 99999 jours",
        "12/04/1800",
        "2026-12-04 18:00 Europe/Nowhere", "2026-12-04T18:00+25:00", "x" * 500, "4 jui",
        "demain 9h réunion", "⏰ demain", "١٢/١٢", "4/12/2026/1", "14h-16h",
        "le 4",  # a day number alone: which month? we ask rather than guess
    ],
)  # fmt: skip
def test_nonsense_is_refused_with_a_helpful_key(text: str) -> None:
    assert error_key(text) == "dates.invalid"


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError):
        parse_when("demain", now=datetime(2026, 11, 26, 10, 0), tz=PARIS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2h", timedelta(hours=2)), ("1h30", timedelta(minutes=90)), ("1 h 30", timedelta(minutes=90)),
     ("90 min", timedelta(minutes=90)), ("90min", timedelta(minutes=90)),
     ("45 minutes", timedelta(minutes=45)), ("30m", timedelta(minutes=30)),
     ("1 jour", timedelta(days=1)), ("2 days", timedelta(days=2)), ("2j", timedelta(days=2)),
     ("1 semaine", timedelta(weeks=1)), ("1 week", timedelta(weeks=1)),
     ("une heure", timedelta(hours=1)), ("an hour", timedelta(hours=1)),
     ("1,5 h", timedelta(minutes=90)), ("1.5 hours", timedelta(minutes=90)),
     ("2h 15min", timedelta(minutes=135)), ("1 semaine et 2 jours", timedelta(days=9)),
     ("1 day and 2 hours", timedelta(hours=26)), ("  2 H  ", timedelta(hours=2))],
)  # fmt: skip
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "0h", "0h00", "0 min", "abc", "1h75", "2 jours 2 jours", "-2h", "90", "1 an", "2 h h",
     "999999 weeks", "h", "1.5.5 h", "9" * 300 + " min"],
)  # fmt: skip
def test_bad_durations(text: str) -> None:
    with pytest.raises(UserError) as info:
        parse_duration(text)
    assert (info.value.key, info.value.kwargs) == ("dates.bad_duration", {"value": text})


# --- catalogue ----------------------------------------------------------------------------


def _catalogue(lang: str) -> dict[str, str]:
    return tomllib.loads((LOCALES / lang / "dates.toml").read_text("utf-8"))


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    fr, en = _catalogue("fr"), _catalogue("en")
    assert set(fr) == set(en)
    for key in fr:
        fields = [set(re.findall(r"\{(\w+)\}", c[key])) for c in (fr, en)]
        assert fields[0] == fields[1], key


def _examples(message: str) -> list[str]:
    body = re.split(r"Ex[ea]mples\s*:\s*", message)[1]
    items = body.split(", ")
    items[-1] = items[-1].split(". ")[0].rstrip(".")
    return items


def _refusal(text: str, now: datetime, lang: str, *, future: bool = False) -> str:
    with pytest.raises(UserError) as info:
        parse_when(text, now=now, tz=PARIS, lang=lang, future=future)
    return translator(lang)(info.value.key, **info.value.kwargs)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    "now", [NOW, datetime(2026, 12, 5, 13, 30, tzinfo=PARIS), datetime(2027, 12, 28, tzinfo=PARIS)]
)
def test_the_examples_we_suggest_work_and_are_ahead(lang: str, now: datetime) -> None:
    """Built from today: on 5 December, no example is 4 December (it would be refused)."""
    dates = _examples(_refusal("bientôt", now, lang))
    durations = _examples(translator(lang)("dates.bad_duration", value="?"))
    assert len(dates) >= 5 and len(durations) >= 4
    for example in dates:
        assert parse_when(example, now=now, tz=PARIS, future=True) > now
    for example in durations:
        parse_duration(example)


class TestAhead:
    """`future=True`: what an event, a scheduled send or a pause is asked for."""

    DEC_5 = datetime(2026, 12, 5, 13, 30, tzinfo=PARIS)

    @pytest.mark.parametrize("text", ["4 déc. 18h", "04/12 18h", "1 déc."])
    def test_a_date_without_a_year_just_passed_is_refused_with_the_year_to_add(
        self, text: str
    ) -> None:
        refusal = _refusal(text, self.DEC_5, "fr", future=True)
        assert refusal.startswith("Le 4 décembre est passé" if "4" in text else "Le 1er décembre")
        assert "pour 2027, écrivez «\u00a0" in refusal
        typed_again = refusal.split("écrivez «\u00a0")[1].split("\u00a0»")[0]
        assert typed_again.startswith(("4 déc. 2027", "1 déc. 2027"))
        assert parse_when(typed_again, now=self.DEC_5, tz=PARIS, future=True).year == 2027

    def test_in_english_too(self) -> None:
        refusal = _refusal("Dec 4 6pm", self.DEC_5, "en", future=True)
        assert refusal == "December 4 has passed; for 2027, write “Dec 4 2027 6pm”."

    def test_yesterday_is_past_in_words(self) -> None:
        assert _refusal("hier 18h", self.DEC_5, "fr", future=True) == (
            "«\u00a0hier 18h\u00a0» (vendredi 4 décembre 2026 à 18\u00a0h) est déjà passé. "
            "Indiquez une date à venir, par exemple demain 9h ou vendredi 14h30."
        )
        assert when("avant-hier", now=self.DEC_5) == "2026-12-03 09:00 Thu"

    def test_days_then_a_time_is_a_time_of_day(self) -> None:
        assert when("dans 10 jours 9h", now=self.DEC_5) == "2026-12-15 09:00 Tue"
        assert when("in 3 days 6pm", now=self.DEC_5) == "2026-12-08 18:00 Tue"
        assert when("dans 1 jour et 2 heures", now=self.DEC_5) == "2026-12-06 15:30 Sun"

    def test_more_than_three_years_ahead_is_refused(self) -> None:
        assert _refusal("1/1/2099 18h", self.DEC_5, "fr", future=True) == (
            "«\u00a01/1/2099 18h\u00a0» tombe le jeudi 1er janvier 2099 à 18\u00a0h, "
            "à plus de 3 ans d'ici\u00a0: choisissez une date plus proche."
        )
        assert parse_when("1/12/2029 9h", now=self.DEC_5, tz=PARIS, future=True).year == 2029

    def test_filters_read_a_period_naturally(self) -> None:
        """Without `future`, 1/12 on 5 December is 1 December just gone, not next year's."""
        assert when("1/12", now=self.DEC_5) == "2026-12-01 09:00 Tue"
        assert when("Dec 1", now=self.DEC_5) == "2026-12-01 09:00 Tue"
        assert when("31/12", now=self.DEC_5) == "2026-12-31 09:00 Thu"
        assert when("3 janv.", now=self.DEC_5) == "2027-01-03 09:00 Sun"


def test_error_messages_read_well() -> None:
    fr = translator("fr")("dates.invalid", value="bientôt", examples="demain 9h")
    assert fr.startswith("Je n'ai pas compris la date «\u00a0bientôt\u00a0».")
    en = translator("en")("dates.nonexistent", value="28/03/2027 02:30")
    assert "“28/03/2027 02:30” doesn't exist" in en


# --- properties ---------------------------------------------------------------------------

CHAT_WORDS = (
    "demain après-demain aujourd'hui ce soir midi minuit lundi mar vendredi prochain next "
    "tomorrow tonight dans in à at le h pm am : / . - , + z utc heure de paris 1er 4th déc "
    "december mars may jui 2026 2027 04 4 12 18 30 99 0 1h30 18h30 6:30 2 heures jours min"
).split()
chat_like = st.lists(st.sampled_from(CHAT_WORDS), max_size=7).map(" ".join)
glued = st.lists(st.sampled_from(CHAT_WORDS), max_size=5).map("".join)
any_text = st.text(max_size=40) | st.text(string.printable, max_size=40)
nows = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(PARIS)
)


@settings(max_examples=1500, deadline=None)
@given(text=any_text | chat_like | glued, now=nows)
def test_any_text_is_a_moment_or_a_user_error(text: str, now: datetime) -> None:
    try:
        parsed = parse_when_detailed(text, now=now, tz=PARIS)
    except UserError as error:
        assert error.key in {"dates.invalid", "dates.nonexistent"}
        assert error.kwargs["value"] == text
    else:
        assert parsed.value.utcoffset() is not None


@settings(max_examples=500, deadline=None)
@given(text=any_text | chat_like | glued)
def test_any_text_is_a_duration_or_a_user_error(text: str) -> None:
    try:
        assert parse_duration(text) > timedelta(0)
    except UserError as error:
        assert error.key == "dates.bad_duration"


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31)),
    style=st.sampled_from(["%d/%m/%Y %Hh%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%b %d %Y %H:%M"]),
)
def test_a_written_out_moment_reads_back(moment: datetime, style: str) -> None:
    moment = moment.replace(second=0, microsecond=0)
    text = moment.strftime(style)
    try:
        value = parse_when(text, now=NOW, tz=PARIS)
    except UserError as error:  # only the spring-forward hour may be refused
        assert error.key == "dates.nonexistent"
        assert (moment.month, moment.hour) == (3, 2)
    else:
        assert value.replace(tzinfo=None) == moment
