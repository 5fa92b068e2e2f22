"""The one place that touches APScheduler.

Jobs are never persisted by APScheduler (no pickled job store): the database is the source of
truth, features rebuild their jobs from it on start, and "already sent" is a row in the run
ledger (bot/storage/runs.py). Each job runs through `_guarded`, the second place (after the
dispatcher) allowed a broad `except`: a failing job is logged, the scheduler keeps going.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
    JobSubmissionEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.metrics import Metrics

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


async def _guarded(job_id: str, func: Job) -> None:
    try:
        await func()
    except Exception:
        log.exception("scheduled job %s failed", job_id)


class Scheduler:
    """Time-zone aware (Europe/Paris by default). APScheduler's default misfire grace of 1 s
    silently drops a run that starts late (a busy loop, a slow send); we set it per job and
    coalesce missed runs into one. Each start is measured against its due time (the
    scheduler lag of `/metrics`); a run dropped past its grace is counted."""

    def __init__(
        self,
        tz: ZoneInfo,
        misfire_grace: timedelta = timedelta(minutes=5),
        metrics: Metrics | None = None,
    ) -> None:
        self.tz = tz
        self.misfire_grace = misfire_grace
        self.metrics = metrics or Metrics()
        self._scheduler = AsyncIOScheduler(timezone=tz)
        self._scheduler.add_listener(self._measure, EVENT_JOB_SUBMITTED | EVENT_JOB_MISSED)

    def _measure(self, event: JobEvent) -> None:
        if isinstance(event, JobSubmissionEvent):
            due = min(event.scheduled_run_times)
            self.metrics.job_started(event.job_id, (datetime.now(self.tz) - due).total_seconds())
        else:
            self.metrics.job_missed(event.job_id)

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def schedule(self, job_id: str, trigger: BaseTrigger, func: Job) -> None:
        """Add or replace a job; `func` is an async callable taking no argument."""
        if not self._scheduler.running:
            # Before start, APScheduler queues a replacement next to the job it replaces.
            self.remove(job_id)
        self._scheduler.add_job(
            _guarded,
            trigger,
            args=(job_id, func),
            id=job_id,
            replace_existing=True,
            misfire_grace_time=int(self.misfire_grace.total_seconds()),
            coalesce=True,
            max_instances=1,
        )

    def every(self, job_id: str, seconds: float, func: Job) -> None:
        self.schedule(job_id, IntervalTrigger(seconds=seconds, timezone=self.tz), func)

    def daily(self, job_id: str, hour: int, minute: int, func: Job) -> None:
        """Every day at this local time (the scheduler's time zone; DST kept)."""
        self.schedule(job_id, CronTrigger(hour=hour, minute=minute, timezone=self.tz), func)

    def at(self, job_id: str, when: datetime, func: Job) -> None:
        self.schedule(job_id, DateTrigger(run_date=when, timezone=self.tz), func)

    def remove(self, job_id: str) -> None:
        if self._scheduler.get_job(job_id) is not None:
            self._scheduler.remove_job(job_id)

    def next_run(self, job_id: str) -> datetime | None:
        """The job's next run; before the scheduler starts, computed from its trigger."""
        job = self._scheduler.get_job(job_id)
        if job is None:
            return None
        if hasattr(job, "next_run_time"):  # only set once the scheduler has started
            return job.next_run_time
        return job.trigger.get_next_fire_time(None, datetime.now(self.tz))

    def job_ids(self) -> list[str]:
        return [job.id for job in self._scheduler.get_jobs()]
