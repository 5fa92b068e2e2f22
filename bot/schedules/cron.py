"""Cron expressions with standard crontab meaning, parsed and checked strictly."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.errors import UserError

DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()


class _Invalid(ValueError):
    """Raised deep in the parser; `parse_schedule` turns it into the user-facing error.

    A ValueError, so that a corrupt stored value reaching `describe`/`to_trigger` is one.
    """


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
