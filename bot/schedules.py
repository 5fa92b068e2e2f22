"""Recurring schedules: read from what moderators type, described back in words, computed.

A `Schedule` is a value stored as text (`parse_schedule(s.to_text()) == s`). It serves digests
(daily/weekly/monthly presets or a cron expression), matching rounds (every 1, 2 or 4 weeks) and
recurring events. Pure logic: the caller passes the zone and the moment to count from.

Decisions:
- Times are wall-clock times in the federation's zone: a daily 09:00 stays at 09:00 local on
  both sides of a DST change. Every trigger is an APScheduler `CronTrigger` (wall-clock aware),
  wrapped in `WallClockTrigger`, which adds the two rules cron lacks (below).
- Every 2 / 4 weeks is a weekly `CronTrigger` filtered on week parity, counted in whole weeks
  from `Schedule.anchor` (the date of one run). Not an `IntervalTrigger`: it adds 14 days of
  elapsed time, so after a DST change a 14:00 run drifts to 13:00 or 15:00 local. Not cron's
  ISO `week` field either: ISO years of 53 weeks (2026) would give two runs in a row.
  `pin()` fixes the anchor when a schedule is created, so the parity survives restarts.
- A time skipped by spring-forward (02:30 on 2027-03-28 in Paris): APScheduler reads the missing
  02:30 with the winter offset, so the run happens at 03:30 summer time, 24 hours after the
  previous one: that day's run is late by an hour, never lost, never doubled.
- A time repeated by fall-back (02:30 on 2026-10-25 happens twice): APScheduler alone would fire
  twice; we keep only the first (summer-time) one, as cron does for fixed-hour jobs. A cron
  expression whose hour field is a wildcard keeps both: an hourly job stays hourly.
- Monthly on the 29th-31st clamps: it runs on the last day of shorter months (a monthly digest
  should not skip five months a year). A cron expression keeps cron's meaning: it skips them.
- Cron expressions have standard crontab meaning: Sunday is 0 or 7 (APScheduler 3 would read
  `1` as Tuesday), and when both day-of-month and day-of-week are restricted either one matches.
  A cron expression may not fire more than once an hour (more than one minute value).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from babel.lists import format_list

from bot.errors import UserError
from bot.i18n import Translator, load_catalog, translator

Kind = Literal["daily", "weekly", "biweekly", "every4weeks", "monthly", "cron"]
KINDS: tuple[Kind, ...] = get_args(Kind)
WEEKS_APART: Mapping[str, int] = {"biweekly": 2, "every4weeks": 4}
LAST = -1  # `Schedule.nth` for "the last <weekday> of the month"
DEFAULT_HOUR, DEFAULT_MINUTE = 9, 0

DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
_DAY_WORDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NTH_CODES = {1: "first", 2: "second", 3: "third", 4: "fourth", LAST: "last"}
_APS_NTH = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", LAST: "last"}
# Parity is counted from a fixed Monday when a multi-week schedule was never pinned.
_EPOCH = date(2001, 1, 1)
_ANCHOR_YEARS = range(2000, 2200)  # keeps start dates far from datetime's limits


@dataclass(frozen=True, slots=True)
class Schedule:
    """When something recurs. Fields that do not apply to `kind` are None (see `_SHAPES`)."""

    kind: Kind
    hour: int = DEFAULT_HOUR
    minute: int = DEFAULT_MINUTE
    weekday: int | None = None  # 0 = Monday ... 6 = Sunday, as date.weekday()
    day_of_month: int | None = None  # monthly, 1-31; 29-31 clamp to shorter months' last day
    nth: int | None = None  # monthly on the nth `weekday` of the month: 1-4 or LAST
    anchor: date | None = None  # every 2/4 weeks: the date of one run, which fixes the parity
    cron: str | None = None  # a normalised 5-field expression (standard crontab meaning)

    def __post_init__(self) -> None:
        problem = _shape_problem(self)
        if problem:
            raise ValueError(f"invalid {self!r}: {problem}")

    @property
    def every_weeks(self) -> int:
        return WEEKS_APART.get(self.kind, 1)

    def to_text(self) -> str:
        """The canonical (English) spelling; `parse_schedule` reads it back to an equal value."""
        if self.cron is not None:
            return self.cron
        at = _clock(self.hour, self.minute)
        day = _DAY_WORDS[self.weekday] if self.weekday is not None else ""
        if self.kind == "daily":
            return f"daily {at}"
        if self.kind == "weekly":
            return f"weekly {day} {at}"
        if self.kind in WEEKS_APART:
            start = f" from {self.anchor.isoformat()}" if self.anchor else ""
            return f"every {self.every_weeks} weeks {day} {at}{start}"
        if self.nth is not None:
            return f"monthly {_NTH_CODES[self.nth]} {day} {at}"
        return f"monthly {self.day_of_month} {at}"


# Which optional fields each kind sets; all the others are None.
_OPTIONAL = ("weekday", "day_of_month", "nth", "anchor", "cron")
_SHAPES: Mapping[str, Collection[frozenset[str]]] = {
    "daily": {frozenset()},
    "weekly": {frozenset({"weekday"})},
    "biweekly": {frozenset({"weekday"}), frozenset({"weekday", "anchor"})},
    "every4weeks": {frozenset({"weekday"}), frozenset({"weekday", "anchor"})},
    "monthly": {frozenset({"day_of_month"}), frozenset({"weekday", "nth"})},
    "cron": {frozenset({"cron"})},
}


def _shape_problem(s: Schedule) -> str | None:
    present = frozenset(name for name in _OPTIONAL if getattr(s, name) is not None)
    if present not in _SHAPES.get(s.kind, ()):
        return f"{s.kind!r} does not take the fields {sorted(present)}"
    if not (0 <= s.hour <= 23 and 0 <= s.minute <= 59):
        return "time out of range"
    if s.cron is not None and (s.hour, s.minute) != (DEFAULT_HOUR, DEFAULT_MINUTE):
        return "a cron schedule keeps its time in the expression"  # else equal values differ
    if s.weekday is not None and not 0 <= s.weekday <= 6:
        return "weekday out of range"
    if s.day_of_month is not None and not 1 <= s.day_of_month <= 31:
        return "day of month out of range"
    if s.nth is not None and s.nth not in _NTH_CODES:
        return "nth out of range"
    if s.anchor is not None and s.anchor.weekday() != s.weekday:
        return "the anchor must be a run date, on the schedule's weekday"
    if s.cron is not None and not _is_crontab(s.cron):
        return "not a normalised 5-field crontab expression"
    return None


def _is_crontab(expr: str) -> bool:
    if expr != " ".join(expr.lower().split()):  # else equal schedules could compare unequal
        return False
    try:
        _parse_cron(expr)
    except _Invalid:
        return False
    return True


# --------------------------------------------------------------------------- parsing

_MAX_LEN = 120  # longer than any real schedule; bounds the regex work on hostile input
_TYPOGRAPHY = str.maketrans("’‘«»“”", "''    ")


class _Invalid(ValueError):
    """Raised deep in the parser; `parse_schedule` turns it into the user-facing error.

    A ValueError, so that a corrupt stored value reaching `describe`/`to_trigger` is one.
    """


def parse_schedule(text: str, lang: str = "fr") -> Schedule:
    """Read a schedule typed in French or English (accents and case optional), or cron.

    `lang` is accepted for symmetry with the other parsers: both vocabularies are always read,
    since moderators mix them and no word means different things in the two languages.
    Raises `UserError("schedules.invalid")` or `UserError("schedules.too_frequent")`.
    """
    try:
        norm = _normalise(text)
        cron = _cron_text(norm)
        if cron is not None:
            _check_cron(_parse_cron(cron), cron)
            return Schedule("cron", cron=cron)
        return _parse_words(norm)
    except _Invalid:
        raise UserError("schedules.invalid", value=text.strip()) from None


def _normalise(text: str) -> str:
    if len(text) > _MAX_LEN or "#" in text:  # '#' marks the parser's own tokens
        raise _Invalid
    folded = unicodedata.normalize("NFKD", text.translate(_TYPOGRAPHY).casefold())
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(stripped.replace("'", " ").split())


# ---- cron

_CRON_LIKE = re.compile(r"[0-9*,/-]+", re.ASCII)
_CRON_ITEM = re.compile(
    r"(?:(\*)|([0-9]{1,2}|[a-z]{3})(?:-([0-9]{1,2}|[a-z]{3}))?)(?:/([0-9]{1,2}))?", re.ASCII
)
_MONTH_NAMES = {  # not calendar.month_abbr, which follows the process locale
    name: i + 1 for i, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())
}
_CRON_DAY_NAMES = {name: (i + 1) % 7 for i, name in enumerate(DAY_CODES)}  # crontab: sun = 0


@dataclass(frozen=True, slots=True)
class _Cron:
    """A crontab expression as sets; weekdays use date.weekday() numbering (Monday = 0)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool  # the field does not start with '*' (cron's own test)
    weekdays_restricted: bool
    hour_wildcard: bool

    @property
    def either_day(self) -> bool:
        """Cron fires when day-of-month OR day-of-week matches if both are restricted."""
        return self.days_restricted and self.weekdays_restricted


_ALL_DAYS = frozenset(range(1, 32))
_ALL_MONTHS = frozenset(range(1, 13))
_ALL_WEEKDAYS = frozenset(range(7))


def _cron_text(norm: str) -> str | None:
    """The expression if the text is cron (`cron ...` or 5 fields starting with 2 numeric)."""
    explicit = norm.startswith("cron ")
    fields = norm.removeprefix("cron ").split()
    looks_like_cron = len(fields) == 5 and all(_CRON_LIKE.fullmatch(f) for f in fields[:2])
    return " ".join(fields) if explicit or looks_like_cron else None


def _parse_cron(expr: str) -> _Cron:
    fields = expr.split()
    if len(fields) != 5:
        raise _Invalid
    minute, hour, day, month, weekday = fields
    crontab_days = {d % 7 for d in _cron_values(weekday, 0, 7, _CRON_DAY_NAMES)}  # 7 is Sunday
    return _Cron(
        minutes=_cron_values(minute, 0, 59),
        hours=_cron_values(hour, 0, 23),
        days=_cron_values(day, 1, 31),
        months=_cron_values(month, 1, 12, _MONTH_NAMES),
        weekdays=frozenset((d - 1) % 7 for d in crontab_days),
        days_restricted=not day.startswith("*"),
        weekdays_restricted=not weekday.startswith("*"),
        hour_wildcard=hour.startswith("*"),
    )


def _cron_values(
    field: str, low: int, high: int, names: Mapping[str, int] | None = None
) -> frozenset[int]:
    """Strict standard syntax: `*`, `a`, `a-b`, each with an optional `/step`, comma-separated."""
    values: set[int] = set()
    for item in field.split(","):
        match = _CRON_ITEM.fullmatch(item)
        if not match:
            raise _Invalid
        star, first, last, step = match.groups()
        if star:
            start, end = low, high
        else:
            start = _cron_value(first, low, high, names)
            end = _cron_value(last, low, high, names) if last else start
            if step and not last:  # `5/10` is not standard crontab
                raise _Invalid
        if start > end or (step is not None and int(step) == 0):
            raise _Invalid
        values.update(range(start, end + 1, int(step or 1)))
    return frozenset(values)


def _cron_value(token: str, low: int, high: int, names: Mapping[str, int] | None) -> int:
    value = int(token) if token.isdigit() else (names or {}).get(token)
    if value is None or not low <= value <= high:
        raise _Invalid
    return value


def _check_cron(spec: _Cron, expr: str) -> None:
    if len(spec.minutes) > 1:  # two minutes in one hour: more than hourly
        raise UserError("schedules.too_frequent", value=expr)
    if not spec.either_day and not _day_exists(spec.days, spec.months):
        raise _Invalid  # e.g. `0 9 30 2 *`: would never fire
    try:  # APScheduler's own validation, on the expression it will actually run
        _cron_trigger(spec, ZoneInfo("UTC"))
    except ValueError:
        raise _Invalid from None


def _day_exists(days: frozenset[int], months: frozenset[int]) -> bool:
    longest = {m: calendar.monthrange(2000, m)[1] for m in months}  # 2000 is a leap year
    return any(d <= longest[m] for m in months for d in days)


# ---- words

_DAILY = (
    r"daily|quotidien(?:ne)?|everyday|(?:every|each|once a) day|tous les jours|chaque jour"
    r"|une fois par jour"
)
_WEEKLY = (
    r"weekly|hebdo(?:madaire)?|(?:every|each|once a) week|chaque semaine|toutes les semaines"
    r"|une fois par semaine"
)
_MONTHLY = (
    r"monthly|mensuel(?:le)?|(?:every|each|once a|the) month|(?:de chaque|de tous les|du"
    r"|chaque|tous les|une fois par) mois"
)
_EVERY_N_WEEKS = r"(?:toutes les|chaque|every) {n} (?:semaines|weeks)|(?:une )?semaine sur {n}"
_TWO, _FOUR = r"(?:2|two|deux)", r"(?:4|four|quatre)"
# Specific phrases first: "toutes les 2 semaines" before "toutes les semaines".
# Tokens are upper case: no pattern (the text is lower case) can match inside one.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b(?:{pattern})\b", re.ASCII), f" {token} ")
    for pattern, token in (
        (_EVERY_N_WEEKS.format(n=_TWO), "#BIWEEKLY"),
        (_EVERY_N_WEEKS.format(n=_FOUR), "#EVERY4WEEKS"),
        (rf"une? ([a-z]+) sur {_TWO}", r"#BIWEEKLY \1"),  # un lundi sur deux
        (rf"une? ([a-z]+) sur {_FOUR}", r"#EVERY4WEEKS \1"),
        (r"tous les (?:14|15|quatorze|quinze) jours", "#BIWEEKLY"),
        (r"every (?:other|second|alternate)(?: weeks?)?|bi-?weekly|fortnightly", "#BIWEEKLY"),
        (_DAILY, "#DAILY"),
        (_WEEKLY, "#WEEKLY"),
        (_MONTHLY, "#MONTHLY"),
    )
)
_FROM = re.compile(
    r"\b(?:from|starting(?: on| from)?|a partir du|a compter du|des le|depuis le)"
    r" ([0-9]{4}-[0-9]{2}-[0-9]{2})\b",
    re.ASCII,
)
_TIMES = (  # 12-hour first, so that "9:30pm" is not read as 09:30
    re.compile(r"\b([0-9]{1,2})(?::([0-9]{2}))? ?([ap])\.? ?m\b\.?", re.ASCII),
    re.compile(r"\b([0-9]{1,2}):([0-9]{2})\b()", re.ASCII),
    re.compile(r"\b([0-9]{1,2}) ?h(?:eures?)? ?([0-9]{2})?\b()", re.ASCII),
)
_WORD_TIMES = {"midi": "#T1200", "noon": "#T1200", "minuit": "#T0000", "midnight": "#T0000"}
_ORDINAL = re.compile(r"([0-9]{1,2})(?:er|re|ere|e|eme|st|nd|rd|th)?", re.ASCII)
_NTH_WORDS = {
    **dict.fromkeys(("first", "premier", "premiere"), 1),
    **dict.fromkeys(("second", "seconde", "deuxieme"), 2),
    **dict.fromkeys(("third", "troisieme"), 3),
    **dict.fromkeys(("fourth", "quatrieme"), 4),
    **dict.fromkeys(("last", "dernier", "derniere"), LAST),
}
_FILLERS = frozenset(
    "le la les l du de des d a au aux at on the of in every each chaque tous toutes tout".split()
)


# Per weekday, Monday first: English and French names, then abbreviations.
_WEEKDAY_NAMES = (
    ("monday", "lundi", "mon lun"),
    ("tuesday", "mardi", "tue tues mar"),
    ("wednesday", "mercredi", "wed mer"),
    ("thursday", "jeudi", "thu thur thurs jeu"),
    ("friday", "vendredi", "fri ven"),
    ("saturday", "samedi", "sat sam"),
    ("sunday", "dimanche", "sun dim"),
)
_WEEKDAY_WORDS = {
    word: index
    for index, (en, fr, short) in enumerate(_WEEKDAY_NAMES)
    for word in (en, fr, f"{en}s", f"{fr}s", *short.split())  # plurals: mondays, lundis
}


@dataclass(frozen=True, slots=True)
class _Token:
    tag: Literal["freq", "weekday", "day", "nth", "time", "anchor"]
    value: Any


def _parse_words(norm: str) -> Schedule:
    text = _FROM.sub(lambda m: f" #FROM{m.group(1)} ", norm)
    for pattern in _TIMES:
        text = pattern.sub(_time_token, text)
    for pattern, token in _PHRASES:
        text = pattern.sub(token, text)
    words = [w for w in re.split(r"[\s,;.]+", text) if w and w not in _FILLERS]
    return _resolve(_tokens(words))


def _time_token(match: re.Match[str]) -> str:
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if meridiem:
        if not 1 <= hour <= 12:
            raise _Invalid
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59:
        raise _Invalid
    return f" #T{hour:02d}{minute:02d} "


def _tokens(words: list[str]) -> list[_Token]:
    tokens: list[_Token] = []
    for word, following in pairwise([*words, ""]):
        word = _WORD_TIMES.get(word, word)
        if word.startswith("#T"):
            tokens.append(_Token("time", (int(word[2:4]), int(word[4:6]))))
        elif word.startswith("#FROM"):
            tokens.append(_Token("anchor", _iso_date(word.removeprefix("#FROM"))))
        elif word.startswith("#"):
            tokens.append(_Token("freq", word[1:].lower()))
        elif word in _WEEKDAY_WORDS:
            tokens.append(_Token("weekday", _WEEKDAY_WORDS[word]))
        else:
            tokens.append(_number_token(word, following))
    return tokens


def _number_token(word: str, following: str) -> _Token:
    """`1er`/`first` before a weekday is an nth weekday; otherwise a day of the month."""
    match = _ORDINAL.fullmatch(word)
    value = int(match.group(1)) if match else _NTH_WORDS.get(word)
    if value is None:
        raise _Invalid
    if following in _WEEKDAY_WORDS:
        if value not in _NTH_CODES:
            raise _Invalid
        return _Token("nth", value)
    if match is None and value != 1:  # "le premier du mois" only; "le dernier" needs a weekday
        raise _Invalid
    if not 1 <= value <= 31:
        raise _Invalid
    return _Token("day", value)


def _iso_date(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise _Invalid from None
    if value.year not in _ANCHOR_YEARS:
        raise _Invalid
    return value


def _resolve(tokens: list[_Token]) -> Schedule:
    found: dict[str, Any] = {}
    for token in tokens:
        # Only a frequency may be said twice, and the same ("monthly ... of the month").
        if token.tag in found and (token.tag != "freq" or found["freq"] != token.value):
            raise _Invalid
        found[token.tag] = token.value
    kind = _kind(found)
    hour, minute = found.get("time", (DEFAULT_HOUR, DEFAULT_MINUTE))
    anchor = found.get("anchor")
    if anchor is not None and kind not in WEEKS_APART:
        raise _Invalid
    weekday = found.get("weekday")
    if anchor is not None:  # the first run on the schedule's weekday, from that date
        anchor += timedelta(days=(weekday - anchor.weekday()) % 7)
    return Schedule(
        kind,
        hour=hour,
        minute=minute,
        weekday=weekday,
        day_of_month=found.get("day"),
        nth=found.get("nth"),
        anchor=anchor,
    )


def _kind(found: Mapping[str, Any]) -> Kind:
    freq, weekday, day, nth = (found.get(k) for k in ("freq", "weekday", "day", "nth"))
    if nth is not None and freq in (None, "monthly") and day is None:
        return "monthly"  # nth always comes with its weekday
    if day is not None and freq == "monthly" and weekday is None:
        return "monthly"
    if nth is None and day is None:
        if freq == "daily" and weekday is None:
            return "daily"
        if freq in (None, "weekly", "biweekly", "every4weeks") and weekday is not None:
            return freq or "weekly"
    raise _Invalid


# --------------------------------------------------------------------------- describing


def describe(schedule: Schedule, lang: str) -> str:
    """The schedule in words: "tous les lundis à 09:00" / "every Monday at 09:00"."""
    t = translator(lang)
    if schedule.cron is not None:
        words = _describe_cron(_parse_cron(schedule.cron), t)
        return words or t("schedules.cron", expr=schedule.cron)
    return t("schedules.at", when=_when(schedule, t), times=_clock(schedule.hour, schedule.minute))


def _when(s: Schedule, t: Translator) -> str:
    if s.kind == "daily":
        return t("schedules.every_day")
    if s.day_of_month is not None:
        return _month_days([s.day_of_month], t, clamp=True)
    assert s.weekday is not None  # every other kind has one, by Schedule's invariants
    day = t(f"schedules.weekday.{DAY_CODES[s.weekday]}")
    if s.kind == "weekly":
        return _weekdays_phrase([s.weekday], t)
    if s.kind == "biweekly":
        return t("schedules.every_other_week", day=day)
    if s.kind == "every4weeks":
        return t("schedules.every_four_weeks", day=day)
    assert s.nth is not None  # monthly on a weekday
    return t("schedules.monthly_nth", nth=t(f"schedules.nth.{_NTH_CODES[s.nth]}"), day=day)


def _describe_cron(spec: _Cron, t: Translator) -> str | None:
    """Words for the common shapes; None for the rest (shown as the raw expression)."""
    if len(spec.minutes) != 1 or len(spec.hours) > 4 or spec.months != _ALL_MONTHS:
        return None
    if spec.either_day:
        return None  # "the 1st or any Monday" is too easy to misread
    if spec.days == _ALL_DAYS:
        when = _weekdays_phrase(sorted(spec.weekdays), t)
    elif spec.weekdays == _ALL_WEEKDAYS and len(spec.days) <= 4:
        when = _month_days(sorted(spec.days), t, clamp=False)
    else:
        return None
    (minute,) = spec.minutes
    times = format_list([_clock(h, minute) for h in sorted(spec.hours)], locale=t.lang)
    return t("schedules.at", when=when, times=times)


def _weekdays_phrase(days: list[int], t: Translator) -> str:
    if len(days) == 7:
        return t("schedules.every_day")
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        first, last = (t(f"schedules.weekday.{DAY_CODES[d]}") for d in (days[0], days[-1]))
        return t("schedules.weekday_range", first=first, last=last)
    names = [t(f"schedules.weekdays.{DAY_CODES[d]}") for d in days]
    return t("schedules.on_weekdays", days=format_list(names, locale=t.lang))


def _month_days(days: list[int], t: Translator, *, clamp: bool) -> str:
    if clamp and days[0] > 28:
        return t("schedules.monthly_day_clamped", day=_ordinal(days[0], t))
    names = format_list([_ordinal(d, t) for d in days], locale=t.lang)
    return t.plural("schedules.monthly_day", len(days), days=names)


def _ordinal(n: int, t: Translator) -> str:
    """1er / 1st: CLDR ordinal categories, with one template per category in the catalogue."""
    forms = load_catalog(t.lang).get("schedules.ordinal") or load_catalog("fr")["schedules.ordinal"]
    if isinstance(forms, str):
        return forms.format(n=n)
    return forms.get(t.locale.ordinal_form(n), forms["other"]).format(n=n)


def _clock(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


# --------------------------------------------------------------------------- computing


class WallClockTrigger(BaseTrigger):
    """A wall-clock trigger (cron, or cron OR cron) plus the rules APScheduler's cron lacks.

    - `every_weeks` > 1 keeps only the runs in weeks whose distance, in whole Monday-to-Sunday
      weeks, from `anchor`'s week is a multiple of `every_weeks`;
    - `skip_repeats` drops the second occurrence of a wall time repeated by a DST fall-back;
    - a wall time skipped by spring-forward comes out as the real moment it stands for.

    A plain module-level class with plain attributes, so job stores can pickle it.
    """

    def __init__(
        self,
        inner: BaseTrigger,
        *,
        every_weeks: int = 1,
        anchor: date = _EPOCH,
        skip_repeats: bool = True,
    ) -> None:
        self.inner = inner
        self.every_weeks = every_weeks
        self.anchor_monday = _monday(anchor)
        self.skip_repeats = skip_repeats

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        candidate = self.inner.get_next_fire_time(previous_fire_time, now)
        # Terminates: the inner trigger moves forward, and at most every_weeks - 1 weekly
        # candidates in a row have the wrong parity.
        while candidate is not None and not self._wanted(candidate):
            candidate = self.inner.get_next_fire_time(candidate, candidate)
        return _real_local(candidate) if candidate else None

    def _wanted(self, moment: datetime) -> bool:
        if self.skip_repeats and _is_repeat(moment):
            return False
        weeks = (_monday(moment.date()) - self.anchor_monday).days // 7
        return weeks % self.every_weeks == 0

    def __str__(self) -> str:
        extra = f", every {self.every_weeks} weeks from {self.anchor_monday}"
        return f"wallclock[{self.inner}{extra if self.every_weeks > 1 else ''}]"

    def __repr__(self) -> str:
        return (
            f"<WallClockTrigger ({self.inner!r}, every_weeks={self.every_weeks}, "
            f"anchor_monday={self.anchor_monday}, skip_repeats={self.skip_repeats})>"
        )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _is_repeat(moment: datetime) -> bool:
    """The second pass through a wall time that a DST fall-back repeats."""
    return moment.fold == 1 and moment.replace(fold=0).utcoffset() != moment.utcoffset()


def to_trigger(schedule: Schedule, tz: ZoneInfo, anchor: datetime | None = None) -> BaseTrigger:
    """The APScheduler trigger that runs `schedule` in `tz`.

    `anchor` (the moment the schedule was created) pins an every-2/4-weeks schedule that has no
    `Schedule.anchor` yet, as `pin` does; without either, parity counts from a fixed Monday.
    """
    if anchor is not None:
        schedule = pin(schedule, anchor, tz)
    if schedule.cron is not None:
        spec = _parse_cron(schedule.cron)
        return WallClockTrigger(_cron_trigger(spec, tz), skip_repeats=not spec.hour_wildcard)
    return WallClockTrigger(
        _preset_trigger(schedule, tz),
        every_weeks=schedule.every_weeks,
        anchor=schedule.anchor or _EPOCH,
    )


def pin(schedule: Schedule, after: datetime, tz: ZoneInfo) -> Schedule:
    """Fix the parity of an every-2/4-weeks schedule: its first run is the first one after
    `after`. Call it when the schedule is created and store the result; others pass through."""
    if schedule.kind not in WEEKS_APART or schedule.anchor is not None:
        return schedule
    (first,) = next_runs(replace(schedule, kind="weekly"), after, tz)
    return replace(schedule, anchor=first.date())


def next_runs(
    schedule: Schedule,
    after: datetime,
    tz: ZoneInfo,
    count: int = 1,
    *,
    anchor: datetime | None = None,
) -> list[datetime]:
    """The next `count` runs strictly after `after`, as real local times in `tz`.

    Computed by the very trigger `to_trigger` gives the scheduler, so "next run" shown to users
    is what will happen.
    """
    if after.tzinfo is None:
        raise ValueError("`after` must be an aware datetime")
    trigger = to_trigger(schedule, tz, anchor)
    start = (after.astimezone(UTC) + timedelta(microseconds=1)).astimezone(tz)
    runs: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and len(runs) < count:
        runs.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    return runs


def _real_local(moment: datetime) -> datetime:
    """CronTrigger may return a wall time skipped by DST (02:30 at spring-forward, read with the
    winter offset); going through UTC gives the real local time it stands for (03:30)."""
    return moment.astimezone(UTC).astimezone(moment.tzinfo)


def _preset_trigger(s: Schedule, tz: ZoneInfo) -> BaseTrigger:
    at: dict[str, Any] = {"hour": s.hour, "minute": s.minute, "timezone": tz}
    if s.kind == "daily":
        return CronTrigger(**at)
    if s.kind == "monthly" and s.nth is not None and s.weekday is not None:
        return CronTrigger(day=f"{_APS_NTH[s.nth]} {DAY_CODES[s.weekday]}", **at)
    if s.kind == "monthly" and s.day_of_month is not None:
        return _monthly_trigger(s.day_of_month, at)
    assert s.weekday is not None  # weekly and every n weeks, by Schedule's invariants
    start = datetime.combine(s.anchor, time(), tzinfo=tz) if s.anchor else None
    return CronTrigger(day_of_week=DAY_CODES[s.weekday], start_date=start, **at)


def _monthly_trigger(day: int, at: dict[str, Any]) -> BaseTrigger:
    """Day `day` of each month, or the last day of months too short to have it (clamping)."""
    exact = CronTrigger(day=day, **at)
    short = [m for m in range(1, 13) if calendar.monthrange(2001, m)[1] < day]  # 2001: not leap
    if not short:
        return exact
    # On a 29 February both fire at the same instant, which OrTrigger yields once.
    last = CronTrigger(month=",".join(map(str, short)), day="last", **at)
    return OrTrigger([exact, last])


def _cron_trigger(spec: _Cron, tz: ZoneInfo) -> BaseTrigger:
    """APScheduler triggers for a parsed crontab, in APScheduler's own crontab syntax."""
    minute, hour = _cron_list(spec.minutes, None), _cron_list(spec.hours, None)
    day, month = _cron_list(spec.days, _ALL_DAYS), _cron_list(spec.months, _ALL_MONTHS)
    # Weekday names: APScheduler 3 numbers Monday 0, crontab numbers Sunday 0.
    weekday = _cron_list(spec.weekdays, _ALL_WEEKDAYS, DAY_CODES.__getitem__)
    if spec.either_day:
        by_day = CronTrigger.from_crontab(f"{minute} {hour} {day} {month} *", tz)
        by_weekday = CronTrigger.from_crontab(f"{minute} {hour} * {month} {weekday}", tz)
        return OrTrigger([by_day, by_weekday])
    return CronTrigger.from_crontab(f"{minute} {hour} {day} {month} {weekday}", tz)


def _cron_list(
    values: frozenset[int], everything: frozenset[int] | None, name: Callable[[int], str] = str
) -> str:
    if values == everything:
        return "*"
    return ",".join(name(v) for v in sorted(values))
