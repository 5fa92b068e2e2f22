"""What an organiser typed -> checked event fields (pure functions, no I/O).

Dates: `start` arrives parsed by the core (OptionType.DATETIME, Europe/Paris unless a zone is
typed). The end is either `end` — a date read from the start, so "20h" is 20:00 on the start
day and "1h" after a 21:00 start is 01:00 the next night — or `duration` ("2h", "1h30",
"3 jours"). Both at once is refused rather than guessed.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.dates import ensure_future, parse_duration, parse_when, parse_when_detailed
from bot.errors import UserError
from bot.options import fold
from commands.events.store.events import MAX_DURATION, EventFields

MAX_TAGS = 8
MAX_OCCURRENCES = 52
REPEATS = ("none", "weekly", "monthly")


def parse_tags(text: str | None) -> tuple[str, ...]:
    """`Numérique, TPE ,tiers lieux` -> ("numerique", "tpe", "tiers-lieux"): tags are matched
    without case or accents, so "numérique" finds events tagged "numerique"."""
    if not text:
        return ()
    raw = (fold(t).strip() for t in text.replace(";", ",").split(","))
    tags = tuple(dict.fromkeys("-".join(t.split()) for t in raw if t))
    if len(tags) > MAX_TAGS or any(len(t) > 30 or not _tag_chars(t) for t in tags):
        raise UserError("events.bad_tags", max=MAX_TAGS)
    return tags


def tag_key(text: str) -> str:
    """One tag as typed in a filter, in the stored form."""
    found = parse_tags(text)
    if len(found) != 1:
        raise UserError("events.bad_tag_filter")
    return found[0]


def _tag_chars(tag: str) -> bool:
    return all(c.isalnum() or c in "-_" for c in tag) and tag.isascii()


def check_link(text: str | None) -> str:
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in text):
        raise UserError("events.bad_link", value=text[:60])
    return text


def resolve_end(
    start: datetime, end: str | None, duration: str | None, tz: ZoneInfo, lang: str
) -> datetime | None:
    if end and duration:
        raise UserError("events.end_and_duration")
    if duration:
        value = start + parse_duration(duration)
    elif end:
        # Read from one minute before the start, so "18h" for an 18:00 start is refused as
        # "not after the start" rather than read as 18:00 the next day.
        value = parse_when(end, now=start - timedelta(minutes=1), tz=tz, lang=lang)
    else:
        return None
    check_span(start, value)
    return value


def check_span(start: datetime, end: datetime | None) -> None:
    if end is None:
        return
    if end <= start:
        raise UserError("events.end_before_start")
    if end - start > MAX_DURATION:
        raise UserError("events.too_long", days=MAX_DURATION.days)


def check_start(start: datetime, now: datetime, typed: str | None = None) -> None:
    ensure_future(start, now, text=typed)


def day_bound(text: str, now: datetime, tz: ZoneInfo, lang: str, *, end_of_day: bool) -> datetime:
    """A filter bound: `to:15/12` includes all of 15 December, `from:15/12` starts at its
    midnight; a typed time is taken as is."""
    parsed = parse_when_detailed(text, now=now, tz=tz, lang=lang)
    if parsed.has_time:
        return parsed.value
    day = parsed.value.astimezone(tz).replace(tzinfo=None, hour=0, minute=0, second=0)
    return wall_clock(day + timedelta(days=1 if end_of_day else 0), tz)


def occurrences(
    first: EventFields,
    repeat: str,
    count: int | None,
    until: datetime | None,
    tz: ZoneInfo,
) -> list[EventFields]:
    """The occurrences of a series: same wall-clock time every week or month (so 18:00 stays
    18:00 across a DST change). Monthly keeps the day of the month, on the last day of shorter
    months (a series on the 31st lands on 30 April). At most MAX_OCCURRENCES."""
    if repeat == "none":
        if count or until:
            raise UserError("events.count_without_repeat")
        return [first]
    if not count and until is None:
        raise UserError("events.repeat_needs_bound", max=MAX_OCCURRENCES)
    if count is not None and not 2 <= count <= MAX_OCCURRENCES:
        raise UserError("events.bad_count", max=MAX_OCCURRENCES)
    found: list[EventFields] = []
    for index in range(count or MAX_OCCURRENCES + 1):
        start = _shift(first.starts_at, repeat, index, tz)
        if until is not None and start >= until:
            break
        end = None if first.ends_at is None else start + (first.ends_at - first.starts_at)
        found.append(replace(first, starts_at=start, ends_at=end))
    if len(found) > MAX_OCCURRENCES:
        raise UserError("events.bad_count", max=MAX_OCCURRENCES)
    if len(found) < 2:
        raise UserError("events.series_too_short")
    return found


def _shift(start: datetime, repeat: str, index: int, tz: ZoneInfo) -> datetime:
    local = start.astimezone(tz).replace(tzinfo=None)
    if repeat == "weekly":
        moved = local + timedelta(weeks=index)
    else:
        months = local.month - 1 + index
        year, month = local.year + months // 12, months % 12 + 1
        day = min(local.day, calendar.monthrange(year, month)[1])
        moved = local.replace(year=year, month=month, day=day)
    return wall_clock(moved, tz)


def wall_clock(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive local time in `tz`, aware. A time skipped by spring-forward (02:30 on the last
    Sunday of March) becomes the same time an hour later (03:30), as a clock would show."""
    aware = local.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != local:
        aware = (local + timedelta(hours=1)).replace(tzinfo=tz)
    return aware
