"""Computing runs: DST-safe APScheduler triggers, `next_runs`, `pin`."""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.schedules.cron import DAY_CODES, _cron_trigger, _parse_cron
from bot.schedules.model import _APS_NTH, _EPOCH, WEEKS_APART, Schedule


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
