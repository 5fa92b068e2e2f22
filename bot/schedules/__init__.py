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

from bot.schedules.cron import DAY_CODES
from bot.schedules.describing import describe
from bot.schedules.model import KINDS, LAST, WEEKS_APART, Kind, Schedule
from bot.schedules.parsing import parse_schedule
from bot.schedules.triggers import WallClockTrigger, next_runs, pin, to_trigger

__all__ = [
    "DAY_CODES",
    "KINDS",
    "LAST",
    "WEEKS_APART",
    "Kind",
    "Schedule",
    "WallClockTrigger",
    "describe",
    "next_runs",
    "parse_schedule",
    "pin",
    "to_trigger",
]
