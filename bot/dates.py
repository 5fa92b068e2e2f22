"""Dates and durations as people type them in chat, in French or English.

Pure functions: the caller passes `now` and the federation's zone. Every user mistake surfaces
as a `UserError` whose message says what to type instead; anything else would be a bug.

Conventions (shared by both languages, whatever `lang` the reader uses):
- numeric dates are day first (`04/12` is 4 December) — only ISO `2026-12-04` is year first;
- a date typed without a time means 09:00 (`ParsedWhen.has_time` tells callers it was implied);
  a part of the day without a time means matin/morning 09:00, après-midi/afternoon 14:00,
  soir/evening/tonight 20:00, and "ce soir 8h" means 20:00;
- a weekday or a bare time is the next occurrence: today counts only if that moment is still
  ahead; "prochain"/"next" skips today (so it is at least tomorrow);
- a date without a year is this year's if it is ahead or passed less than three months ago,
  else next year's: on 5 December "1 déc." is 1 December just gone (a filter's `from:1/12`
  reads naturally), "3 janv." is next January;
- "hier"/"yesterday" is the day before, so a date for something to come can say it is past;
- "dans 3 jours"/"in 3 days" is a calendar date (like "demain") and takes a time or 09:00
  ("dans 10 jours 9h" is 09:00 in ten days); "dans 2 heures"/"in 2 hours" and "dans 1 jour et
  2 heures" are exact instants (`now` + the elapsed time);
- local times are read in the explicit zone if one is typed (`Z`, `+01:00`, `UTC`, `UTC+2`,
  `Europe/London`), else in `tz`; "heure de Paris" is ignored. A time skipped by a DST change
  (2027-03-28 02:30 in Paris) is refused; a time repeated by one (2026-10-25 02:30) is the
  first occurrence (fold=0, still summer time).

With `future=True` (what the bot is asked to plan: an event, a scheduled send, a pause), a
moment already past is refused, a date without a year that has just passed too (with the
year to add), and so is a moment more than three years ahead (2099 is a typo, not a plan).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.datezones import split_zone
from bot.durations import SEPARATORS, aliases, duration
from bot.errors import UserError

_TYPOGRAPHY = str.maketrans("’‘«»“”", "''    ")  # before the ASCII check in _normalise
_MAX_LEN = 120  # longer than any real date; also bounds the regex work on hostile input
_YEARS = range(1900, 3000)  # keeps every computed datetime far from datetime's limits
_RECENT = timedelta(days=92)  # a yearless date passed less long ago than this "has just passed"
MAX_YEARS_AHEAD = 3
# The compact day of the examples and hints, as people type it back: "4 déc." / "Dec 4".
_DAY_MONTH = {"fr": "d MMM", "en": "MMM d"}
_PERIOD_TIME = {None: time(9), "am": time(9), "pm": time(14), "eve": time(20)}  # None: no period
_PERIODS = aliases("am: matin morning|pm: aprem afternoon|eve: soir soiree evening tonight")
_RELATIVE = {
    "aujourdhui": 0,
    "auj": 0,
    "today": 0,
    "demain": 1,
    "tomorrow": 1,
    "apresdemain": 2,
    "hier": -1,
    "yesterday": -1,
    "avanthier": -2,
}
_NEXT = {"prochain", "prochaine", "next"}
_FILLERS = set("le la l a at on the of de du ce cet cette this vers around".split())
# Per month/weekday, in calendar order: its French and English names.
_MONTHS = (
    "janvier january|fevrier february|mars march|avril april|mai may|juin june|juillet july"
    "|aout august|septembre september|octobre october|novembre november|decembre december"
)
_WEEKDAYS = (
    "lundi monday|mardi tuesday|mercredi wednesday|jeudi thursday|vendredi friday"
    "|samedi saturday|dimanche sunday"
)

# Multi-word phrases become single tokens before anything else looks at the text.
_PHRASES = (
    (re.compile(r"aujourd\s*'?\s*hui"), "aujourdhui"),
    (re.compile(r"apres[\s-]*demain|(?:the\s+)?day\s+after\s+tomorrow"), "apresdemain"),
    (re.compile(r"avant[\s-]*hier|(?:the\s+)?day\s+before\s+yesterday"), "avanthier"),
    (re.compile(r"apres[\s-]*midi"), "aprem"),
    (re.compile(r"\(?\s*(?:a\s+l'?\s*)?heure\s+de\s+paris\s*\)?|\(?\s*paris\s+time\s*\)?"), " "),
    (re.compile(r"\b([ap])\.m\.?"), r"\1m"),
    (re.compile(r"\b(\d{1,2})(?:er|st|nd|rd|th)\b"), r"\1"),  # 1er, 4th
    # "déc.", "l'aprem", chat punctuation; a comma between digits is a decimal one (1,5 h)
    (re.compile(r"(?<=[a-z])\.|(?<!\d),|,(?!\d)|[;!?'\"()]"), " "),
    (re.compile(r"(?<=\d)t(?=\d)"), " "),  # ISO 2026-12-04T18:00
    (re.compile(r"\s+"), " "),
)
_TIME = re.compile(  # glued to a word is fine ("demain9h"), glued to a date is not
    r"(?:(?<![\d:/.-])(?:"
    r"(?P<h1>\d{1,2})\s*(?:h|heures?)\s*(?P<m1>\d{2})?"
    r"|(?P<h2>\d{1,2}):(?P<m2>\d{2})(?::(?P<s2>\d{2})(?:\.\d{1,6})?)?\s*(?P<ap2>am|pm)?"
    r"|(?P<h3>\d{1,2})(?:\.(?P<m3>\d{2}))?\s*(?P<ap3>am|pm))"
    r"|(?<![a-z])(?P<word>midi|minuit|noon|midnight))(?![\w:])"  # not the noon of afternoon
)
_WORD_TIMES = {"midi": 12, "noon": 12, "minuit": 0, "midnight": 0}
_IN = re.compile(r"(?:dans|in)\s+(.+)")
_ISO_DATE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?")
_WORDY_DATE = re.compile(  # 4 décembre [2026], December 4 [2026]
    r"(?:(?P<d1>\d{1,2}) (?P<m1>[a-z]+)|(?P<m2>[a-z]+) (?P<d2>\d{1,2}))(?: (?P<y>\d{4}))?"
)


@dataclass(frozen=True, slots=True)
class ParsedWhen:
    value: datetime  # timezone-aware
    has_time: bool  # False when the time of day was implied (09:00 or a part-of-day default)
    yearless: bool = False  # a day and month typed without a year


@dataclass(frozen=True, slots=True)
class _Clock:
    """A time of day as typed, before "pm" or "ce soir" turn 8 into 20."""

    hour: int
    minute: int = 0
    second: int = 0
    meridiem: str | None = None


@dataclass(frozen=True, slots=True)
class _Day:
    """Everything the words around the time said about the day."""

    offset: int | None = None  # days from today
    weekday: int | None = None  # 0 = Monday
    next: bool = False
    ymd: tuple[int | None, int, int] | None = None  # year may be left to "next occurrence"
    period: str | None = None


def parse_when(
    text: str, *, now: datetime, tz: ZoneInfo, lang: str = "fr", future: bool = False
) -> datetime:
    """The aware moment `text` designates; see the module docstring for the conventions."""
    return parse_when_detailed(text, now=now, tz=tz, lang=lang, future=future).value


def parse_when_detailed(
    text: str, *, now: datetime, tz: ZoneInfo, lang: str = "fr", future: bool = False
) -> ParsedWhen:
    """Like `parse_when`, and says whether the time of day was typed or implied (09:00).

    Both languages are always understood; `lang` is the reader's, for the examples and hints
    of the error messages (built from `now`, so they are never in the past).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        parsed = _parse(text, now, tz)
    except UserError as err:
        if err.key == "dates.invalid":
            raise UserError("dates.invalid", value=text, examples=examples(now, tz, lang)) from None
        raise
    if future:
        _check_ahead(parsed, text, now, tz, lang)
    return parsed


def _parse(text: str, now: datetime, tz: ZoneInfo) -> ParsedWhen:
    s = _normalise(text)
    s, zone = split_zone(s, tz, text)
    if not s:
        raise _invalid(text)
    local_now = now.astimezone(zone)
    if m := _IN.fullmatch(s):
        return _in(m.group(1), now, local_now, text)
    clock, rest = _split_clock(s, text)
    return _resolve(_read_day(rest.split(), text), clock, local_now, text)


def examples(now: datetime, tz: ZoneInfo, lang: str) -> str:
    """Dates to type, in the reader's language, all ahead of `now` (a week and a half on)."""
    day = (now.astimezone(tz) + timedelta(days=10)).date()
    short = format_date(day, _DAY_MONTH[lang], locale=lang)
    if lang == "en":
        picks = [f"{day.isoformat()} 18:00", f"{short} 6pm", f"{day.day}/{day.month} 18:00"]
        return ", ".join([*picks, "friday 2:30pm", "tomorrow 9am", "in 2 hours"])
    picks = [f"{day.isoformat()} 18:00", f"{day.day}/{day.month} 18h", f"{short} 18h"]
    return ", ".join([*picks, "vendredi 14h30", "demain 9h", "dans 2 heures"])


def _check_ahead(parsed: ParsedWhen, text: str, now: datetime, tz: ZoneInfo, lang: str) -> None:
    """The `future=True` checks: not past (a yearless date just gone says which year to
    add), not more than MAX_YEARS_AHEAD years away."""
    value, local = parsed.value, parsed.value.astimezone(tz)
    if value.astimezone(UTC) <= now.astimezone(UTC):
        if parsed.yearless and local.date() < now.astimezone(tz).date():
            raise _just_passed(text, local, lang)
        raise UserError("dates.past", value=text, when=value)
    limit = now.astimezone(tz)
    limit = limit.replace(year=limit.year + MAX_YEARS_AHEAD, day=min(limit.day, 28))
    if value > limit:
        raise UserError("dates.too_far", value=text, when=value, years=MAX_YEARS_AHEAD)


def _just_passed(text: str, local: datetime, lang: str) -> UserError:
    """ "4 décembre est passé ; pour 2027, écrivez 4 déc. 2027 18h"."""
    year = local.year + 1
    example = format_date(local.date(), _DAY_MONTH[lang], locale=lang) + f" {year}"
    clock = _TIME.search(_normalise(text))
    if clock is not None:
        example += f" {clock.group(0).strip()}"
    day = format_date(local.date(), "d MMMM" if lang == "fr" else "MMMM d", locale=lang)
    if lang == "fr" and local.day == 1:
        day = "1er" + day[1:]
    return UserError("dates.passed_no_year", value=text, day=day, year=year, example=example)


def parse_duration(text: str) -> timedelta:
    """`2h`, `1h30`, `90 min`, `1 jour`, `2 days`, `1 semaine et 2 jours`, `une heure`…"""
    delta = duration(_normalise(text))
    if delta is None:
        raise UserError("dates.bad_duration", value=text)
    return delta


def ensure_future(value: datetime, now: datetime, *, text: str | None = None) -> datetime:
    """`value` if still ahead of `now`; the error shows what the user typed (`text`) and the
    moment in words."""
    if value.astimezone(UTC) <= now.astimezone(UTC):
        if text is None:
            raise UserError("dates.past_moment", when=value)
        raise UserError("dates.past", value=text, when=value)
    return value


# --- text → pieces -------------------------------------------------------------------------


def _normalise(text: str) -> str:
    """Lower case, no accents, one space between words, chat punctuation removed."""
    if len(text) > _MAX_LEN:
        return ""
    s = unicodedata.normalize("NFKD", text.translate(_TYPOGRAPHY))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    if not s.isascii():
        return ""  # no date needs other characters; also keeps \d to ASCII digits
    for pattern, replacement in _PHRASES:
        s = pattern.sub(replacement, s)
    return s.strip(" .")


def _split_clock(s: str, text: str) -> tuple[_Clock | None, str]:
    m = _TIME.search(s)
    if m is None:
        return None, s
    rest = f"{s[: m.start()]} {s[m.end() :]}"
    if _TIME.search(rest):
        raise _invalid(text)  # two times: "18h 19h"
    if m["word"]:
        return _Clock(_WORD_TIMES[m["word"]]), rest
    hour = m["h1"] or m["h2"] or m["h3"]
    minute = m["m1"] or m["m2"] or m["m3"] or 0
    return _Clock(int(hour), int(minute), int(m["s2"] or 0), m["ap2"] or m["ap3"]), rest


def _read_day(tokens: list[str], text: str) -> _Day:
    offset = weekday = period = None
    is_next = False
    rest: list[str] = []
    has_number = any(t.isdigit() for t in tokens)
    for tok in tokens:
        wd = _prefix_table(_WEEKDAYS).get(tok)
        if tok in _FILLERS:
            pass
        elif tok in _RELATIVE and offset is None:
            offset = _RELATIVE[tok]
        elif tok in _PERIODS and period is None:
            period = _PERIODS[tok]
        elif tok in _NEXT and not is_next:
            is_next = True
        elif wd is not None and weekday is None and not (has_number and _month(tok)):
            weekday = wd  # "mar" is mardi on its own, but March in "mar 4"
        else:
            rest.append(tok)
    if is_next and (weekday is None or offset is not None):
        raise _invalid(text)
    return _Day(offset, weekday, is_next, _read_date(rest, text), period)


def _read_date(tokens: list[str], text: str) -> tuple[int | None, int, int] | None:
    words = " ".join(tokens)
    if not words:
        return None
    if m := _ISO_DATE.fullmatch(words):
        return int(m[1]), int(m[3]), int(m[4])
    if m := _DMY_DATE.fullmatch(words):
        year = m[4] and int(m[4]) + (2000 if len(m[4]) == 2 else 0)
        return year or None, int(m[3]), int(m[1])
    if (m := _WORDY_DATE.fullmatch(words)) and (month := _month(m["m1"] or m["m2"])):
        return int(m["y"]) if m["y"] else None, month, int(m["d1"] or m["d2"])
    raise _invalid(text)


def _month(token: str) -> int | None:
    index = _prefix_table(_MONTHS).get(token)
    return None if index is None else index + 1


@cache
def _prefix_table(groups: str) -> dict[str, int]:
    """Every unambiguous prefix (3+ letters) of the French and English names → index.

    Accepts the abbreviations people actually type (`déc`, `sept`, `fri`, `jeu`) without
    listing them; `jui` is dropped because it could be juin or juillet.
    """
    seen: dict[str, set[int]] = {}
    for index, names in enumerate(groups.split("|")):
        for name in names.split():
            for end in range(3, len(name) + 1):
                seen.setdefault(name[:end], set()).add(index)
    return {prefix: indexes.pop() for prefix, indexes in seen.items() if len(indexes) == 1}


# --- pieces → moment ----------------------------------------------------------------------


def _in(body: str, now: datetime, local_now: datetime, text: str) -> ParsedWhen:
    """`dans 2 heures` is an instant; `dans 3 jours [à] 18h` is a calendar day and a time of
    day (`dans 10 jours 9h` is 09:00, not nine more hours); `dans 1 jour et 2 heures` (joined
    by et/and/+) is an instant again."""
    if not SEPARATORS.search(body):
        clock, rest = _split_clock(body, text)
        words = rest.split()
        while words and words[-1] in _FILLERS:
            words.pop()
        days = duration(" ".join(words)) if clock is not None and words else None
        if days is not None and not days % timedelta(days=1):
            return _resolve(_Day(offset=days.days), clock, local_now, text)
    delta = duration(body)
    if delta is None:
        raise _invalid(text)
    if delta % timedelta(days=1):
        return ParsedWhen((now.astimezone(UTC) + delta).astimezone(local_now.tzinfo), True)
    return _resolve(_Day(offset=delta.days), None, local_now, text)


def _resolve(day: _Day, clock: _Clock | None, local_now: datetime, text: str) -> ParsedWhen:
    at = _time_of_day(clock, day.period, text)
    candidates = _candidate_days(day, clock, local_now.date(), text)
    if not candidates:
        raise _invalid(text)  # a date that exists in no year, e.g. 31/02
    # fold=0: of two repeated wall times (autumn), the first one, still in summer time.
    moments = [datetime.combine(d, at, local_now.tzinfo) for d in candidates]
    # Compared in UTC: between datetimes of one zone, Python compares wall times, ignoring fold.
    ahead = (m for m in moments if m.astimezone(UTC) > local_now.astimezone(UTC))
    yearless = day.ymd is not None and day.ymd[0] is None
    value = moments[0] if yearless else next(ahead, moments[-1])
    if day.weekday is not None and value.weekday() != day.weekday:
        raise _invalid(text)  # "vendredi 5 décembre" when the 5th is a Saturday
    return ParsedWhen(_check_exists(value, text), clock is not None, yearless)


def _candidate_days(day: _Day, clock: _Clock | None, today: date, text: str) -> list[date]:
    """The days `day` may mean, in order; `_resolve` takes the first one still ahead."""
    if day.ymd is not None:
        if day.offset is not None:
            raise _invalid(text)
        year, month, dom = day.ymd
        if year is None:
            return _yearless(month, dom, today)
        return [d for d in (_date(year, month, dom),) if d is not None]
    if day.offset is not None:
        return [today + timedelta(days=day.offset)]
    if day.weekday is not None:
        skip = 1 if day.next else 0
        first = today + timedelta(days=(day.weekday - today.weekday() - skip) % 7 + skip)
        return [first, first + timedelta(days=7)]
    if day.period is not None:
        return [today]  # "ce soir", "this morning"
    if clock is not None:
        return [today, today + timedelta(days=1)]
    raise _invalid(text)


def _yearless(month: int, dom: int, today: date) -> list[date]:
    """This year's day if ahead or just passed (less than _RECENT ago), else the next one;
    29 February waits for a leap year."""
    found = [d for y in range(today.year - 1, today.year + 9) if (d := _date(y, month, dom))]
    recent = [d for d in found if today - _RECENT <= d <= today]
    ahead = [d for d in found if d > today]
    return [max(recent)] if recent else ahead[:1]


def _date(year: int, month: int, dom: int) -> date | None:
    try:
        return date(year, month, dom) if year in _YEARS else None
    except ValueError:
        return None


def _time_of_day(clock: _Clock | None, period: str | None, text: str) -> time:
    if clock is None:
        return _PERIOD_TIME[period]
    hour = clock.hour
    if clock.meridiem is not None:
        if not 1 <= hour <= 12:
            raise _invalid(text)
        hour = hour % 12 + (12 if clock.meridiem == "pm" else 0)
    elif period in ("pm", "eve") and 1 <= hour < 12:
        hour += 12  # "ce soir 8h" is 20:00
    if hour > 23 or clock.minute > 59 or clock.second > 59:
        raise _invalid(text)
    return time(hour, clock.minute, clock.second)


def _check_exists(value: datetime, text: str) -> datetime:
    """Refuse wall times a DST change skips: they do not survive a round trip through UTC."""
    back = value.astimezone(UTC).astimezone(value.tzinfo)
    if back.replace(tzinfo=None) != value.replace(tzinfo=None):
        raise UserError("dates.nonexistent", value=text)
    return value


def _invalid(text: str) -> UserError:
    return UserError("dates.invalid", value=text)
