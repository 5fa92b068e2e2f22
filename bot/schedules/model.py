"""The `Schedule` value: its kinds, fields, validation and canonical text."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from bot.schedules.cron import _Invalid, _parse_cron

Kind = Literal["daily", "weekly", "biweekly", "every4weeks", "monthly", "cron"]
KINDS: tuple[Kind, ...] = get_args(Kind)
WEEKS_APART: Mapping[str, int] = {"biweekly": 2, "every4weeks": 4}
LAST = -1  # `Schedule.nth` for "the last <weekday> of the month"
DEFAULT_HOUR, DEFAULT_MINUTE = 9, 0

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


def _clock(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"
