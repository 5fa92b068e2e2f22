"""Digest runs: APScheduler jobs rebuilt from the database, each run sent exactly once.

- One job per active digest (`digest.<id>`), with the DST-correct trigger of its schedule
  (bot/schedules.py), rebuilt from the `digests` table at every start.
- Each run has a key: `digest:<id>:<scheduled time, UTC, to the minute>`, or for `digest run`
  `digest:<id>:manual:<moment, to the second>`. The run is claimed in the run ledger under that
  key before anything is built: a second process, a restart or a repeated job finds it taken.
  After the send it is finished (sent, empty, failed, missed) in the ledger.
- A run claimed and never finished (the process died in between) is resumed, once it is older
  than RESUME_AFTER (a younger one may still be sending), by the next start or by any live
  process's sweep, under a second claim `<key>:resume` so that one process only resumes it.
  The one duplicate window left: a crash after the platform accepted the message and before
  the ledger's `finish` committed (milliseconds); the resumed run then sends it again.
- A run missed while the bot was down is sent once at start if it is at most
  `[digest] grace_minutes` late; otherwise it is recorded as missed and logged. Only the
  latest missed run counts: the next digest starts where the channel's last one ended, so
  nothing is lost, it is just said once.

`run_due`, `recover` and `resume_interrupted` take the moment as an argument: the jobs pass
the clock's, tests pass a simulated one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import SendError
from bot.schedules import Schedule, next_runs, parse_schedule, to_trigger
from bot.services import Services
from commands.digest.build import build_digest
from commands.digest.store.digests import EMPTY, SENT, DigestConfig, DigestRepo

log = logging.getLogger(__name__)

KIND = "digest"
FAILED, MISSED, GONE = "failed", "missed", "gone"
# Longer than any send can take (a Slack 429 is waited out inline up to 3 x 120 s): a claim
# this old belongs to a process that stopped.
RESUME_AFTER = timedelta(minutes=15)
STARTUP_DELAY = timedelta(seconds=3)  # after a start, once the adapters had time to connect
STOP_WAIT = timedelta(seconds=10)  # how long a stopping bot lets digests being sent finish
MAX_CATCH_UP = timedelta(days=92)  # missed runs older than this are not even looked for
RECOVER_JOB, SWEEP_JOB = "digest.recover", "digest.sweep"
_STAMP, _MANUAL_STAMP = "%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True, slots=True)
class RunKey:
    digest_id: int
    at: datetime  # the scheduled moment (a manual run: when it was asked for)
    manual: bool = False

    def __str__(self) -> str:
        utc = self.at.astimezone(UTC)
        if self.manual:
            return f"{KIND}:{self.digest_id}:manual:{utc.strftime(_MANUAL_STAMP)}"
        return f"{KIND}:{self.digest_id}:{utc.strftime(_STAMP)}"

    @classmethod
    def parse(cls, key: str) -> RunKey | None:
        parts = key.split(":", 2)
        if len(parts) != 3 or parts[0] != KIND:
            return None
        _, ident, stamp = parts
        manual = stamp.startswith("manual:")
        try:
            at = datetime.strptime(
                stamp.removeprefix("manual:"), _MANUAL_STAMP if manual else _STAMP
            )
            return cls(int(ident), at.replace(tzinfo=UTC), manual)
        except ValueError:
            return None


def job_id(digest_id: int) -> str:
    return f"digest.{digest_id}"


def _tz(services: Services) -> ZoneInfo:
    return ZoneInfo(services.config.bot.timezone)


def schedule_of(digest: DigestConfig) -> Schedule:
    return parse_schedule(digest.fields.schedule)


# --------------------------------------------------------------------------- the jobs


async def start_digests(services: Services) -> None:
    """Feature start hook: one job per active digest, then recovery once adapters are up."""
    for digest in await services.get(DigestRepo).active():
        schedule_digest(services, digest)
    now = services.clock.now()

    async def recover_now() -> None:
        _spawn(services, recover(services, services.clock.now()))

    async def sweep() -> None:
        _spawn(services, resume_interrupted(services, services.clock.now()))

    services.scheduler.at(RECOVER_JOB, now + STARTUP_DELAY, recover_now)
    services.scheduler.every(SWEEP_JOB, services.config.digest.sweep_seconds, sweep)


def schedule_digest(services: Services, digest: DigestConfig) -> None:
    """(Re)place the digest's job; a paused digest has none."""
    if digest.paused:
        services.scheduler.remove(job_id(digest.id))
        return
    trigger = to_trigger(schedule_of(digest), _tz(services))
    services.scheduler.schedule(job_id(digest.id), trigger, digest_job(services, digest.id))


def digest_job(services: Services, digest_id: int) -> Callable[[], Awaitable[None]]:
    """What the digest's job does when it fires: start its run, in a task of its own."""

    async def tick() -> None:
        _spawn(services, run_scheduled(services, digest_id, services.clock.now()))

    return tick


def unschedule_digest(services: Services, digest_id: int) -> None:
    services.scheduler.remove(job_id(digest_id))


def next_run(services: Services, digest: DigestConfig, after: datetime) -> datetime | None:
    """When the digest goes out next, computed by the trigger its job uses."""
    if digest.paused:
        return None
    runs = next_runs(schedule_of(digest), after, _tz(services))
    return runs[0] if runs else None


def latest_run(
    schedule: Schedule, since: datetime, until: datetime, tz: ZoneInfo
) -> datetime | None:
    """The schedule's last run in (since, until]. Searched backwards from `until` in growing
    steps, so an hourly schedule costs a few trigger steps, not one per hour since `since`."""
    trigger = to_trigger(schedule, tz)
    step = timedelta(hours=2)
    while True:
        start = max(since, until - step)
        last = None
        fire = trigger.get_next_fire_time(None, (start + timedelta(microseconds=1)).astimezone(tz))
        while fire is not None and fire <= until:
            last = fire
            fire = trigger.get_next_fire_time(fire, fire)
        if last is not None or start <= since:
            return last
        step *= 8


# --------------------------------------------------------------------------- running


async def run_due(services: Services, now: datetime) -> dict[int, str]:
    """What the jobs do when they fire at `now`, for every active digest (tests, benches)."""
    digests = await services.get(DigestRepo).active()
    outcomes = await asyncio.gather(*(run_scheduled(services, d.id, now) for d in digests))
    return {d.id: o for d, o in zip(digests, outcomes, strict=True) if o is not None}


async def run_scheduled(services: Services, digest_id: int, now: datetime) -> str | None:
    """A job fired: send the digest's run due at `now` (None when no run is due)."""
    digest = await services.get(DigestRepo).get(digest_id)
    if digest is None or digest.paused:
        return None
    # A job fires at most the scheduler's misfire grace late: its run is the latest before.
    since = max(digest.active_since, now - services.scheduler.misfire_grace)
    due = latest_run(schedule_of(digest), since, now, _tz(services))
    if due is None:
        return None
    return await run_once(services, digest, RunKey(digest.id, due), now)


async def run_now(services: Services, digest: DigestConfig, now: datetime) -> str:
    """`digest run`: a run of its own, in the ledger like the others (a double click within
    the same second sends once)."""
    return await run_once(services, digest, RunKey(digest.id, now, manual=True), now)


async def run_once(services: Services, digest: DigestConfig, key: RunKey, now: datetime) -> str:
    """Claim, send, finish. "taken" when the run was claimed before (by anyone)."""
    if not await services.runs.claim(str(key), KIND, services.instance_id, now):
        return "taken"
    with _in_flight(services):
        outcome, detail = await _deliver(services, digest, key.at)
        await _finish(services, digest.id, key, outcome, detail)
    return outcome


async def _finish(
    services: Services, digest_id: int, key: RunKey, outcome: str, detail: str
) -> None:
    done = services.clock.now()
    await services.runs.finish(str(key), done, outcome, detail)
    await services.get(DigestRepo).record_run(digest_id, key.at, outcome, done)


async def _deliver(services: Services, digest: DigestConfig, at: datetime) -> tuple[str, str]:
    async with _sending(services).gate:
        built = await build_digest(services, digest, at, next_run(services, digest, at))
        if built.empty and digest.fields.skip_empty:
            log.info("digest %d: nothing new at %s, not sent", digest.id, at.isoformat())
            return EMPTY, "nothing new"
        try:
            posted = await services.outbound.send(digest.channel, built.message)
        except SendError as err:
            log.warning("digest %d not delivered to %s: %s", digest.id, digest.channel, err.reason)
            return FAILED, err.reason
    return SENT, posted.message_id


@dataclass
class _Sending:
    """Per running app: at most `[digest] concurrency` digests are built and sent at once,
    however many are due the same minute; and the runs between claim and finish, which a
    clean stop lets end (a run cut there would be resumed, and perhaps sent twice)."""

    gate: asyncio.Semaphore
    runs: set[asyncio.Task[object]] = field(default_factory=set)


_SENDING: dict[str, _Sending] = {}  # keyed by the app's instance id


def _sending(services: Services) -> _Sending:
    state = _SENDING.get(services.instance_id)
    if state is None:
        gate = asyncio.Semaphore(services.config.digest.concurrency)
        state = _SENDING[services.instance_id] = _Sending(gate)
    return state


def _spawn(services: Services, work: Coroutine[Any, Any, object]) -> None:
    """Run a job's work in a task of its own. Stopping the scheduler cancels its jobs' tasks,
    and a run cut between claim and finish would be resumed later (perhaps sent twice):
    `stop_digests` lets these tasks end instead."""
    runs = _sending(services).runs
    task = asyncio.create_task(work)
    runs.add(task)
    task.add_done_callback(lambda done: _settled(runs, done))


def _settled(runs: set[asyncio.Task[object]], task: asyncio.Task[object]) -> None:
    runs.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("digest job failed", exc_info=error)


@contextmanager
def _in_flight(services: Services) -> Iterator[None]:
    """Count the current task among the runs a stop waits for (a `digest run` typed by a
    moderator runs in the dispatcher's task; a spawned job's task is counted already)."""
    runs, task = _sending(services).runs, asyncio.current_task()
    if task is None or task in runs:
        yield
        return
    runs.add(task)
    try:
        yield
    finally:
        runs.discard(task)


async def stop_digests(services: Services) -> None:
    """Feature stop hook: let runs being sent finish (a few seconds at most)."""
    state = _SENDING.pop(services.instance_id, None)
    if state is None or not state.runs:
        return
    _, pending = await asyncio.wait(state.runs, timeout=STOP_WAIT.total_seconds())
    if pending:
        log.warning("%d digests still sending at stop: resumed at the next start", len(pending))


# --------------------------------------------------------------------------- recovery


async def recover(services: Services, now: datetime) -> dict[int, str]:
    """At start: resume interrupted runs, then send (or record as missed) each digest's
    latest run missed while the bot was down."""
    await resume_interrupted(services, now)
    digests = await services.get(DigestRepo).active()
    outcomes = await asyncio.gather(*(catch_up(services, d, now) for d in digests))
    return {d.id: o for d, o in zip(digests, outcomes, strict=True) if o is not None}


async def catch_up(services: Services, digest: DigestConfig, now: datetime) -> str | None:
    since = max(digest.active_since, digest.last_run_at or digest.active_since, now - MAX_CATCH_UP)
    latest = latest_run(schedule_of(digest), since, now, _tz(services))
    if latest is None:
        return None
    key = RunKey(digest.id, latest)
    late = now - latest
    if late <= timedelta(minutes=services.config.digest.grace_minutes):
        return await run_once(services, digest, key, now)
    if not await services.runs.claim(str(key), KIND, services.instance_id, now):
        return "taken"
    log.warning(
        "digest %d: the run of %s was missed by %d min (grace %d min): skipped",
        digest.id,
        latest.isoformat(),
        late.total_seconds() // 60,
        services.config.digest.grace_minutes,
    )
    await _finish(services, digest.id, key, MISSED, f"{int(late.total_seconds() // 60)} min late")
    return MISSED


async def resume_interrupted(services: Services, now: datetime) -> int:
    """Runs claimed by a process that stopped before finishing them: send them (within the
    grace period) or record them as missed. Returns how many were settled."""
    settled = 0
    for run in await services.runs.unfinished(KIND):
        if run.claimed_at > now - RESUME_AFTER:
            continue  # its owner may still be sending it
        key = RunKey.parse(run.key)
        resume = f"{run.key}:resume"
        if key is None:
            await services.runs.finish(run.key, now, FAILED, "unreadable key")
        elif await services.runs.claim(resume, f"{KIND}-resume", services.instance_id, now):
            outcome = await _resume(services, key, now)
            await services.runs.finish(resume, services.clock.now(), outcome)
        else:
            await _settle_resumed(services, run.key, resume, now)
            continue
        settled += 1
    return settled


async def _resume(services: Services, key: RunKey, now: datetime) -> str:
    digest = await services.get(DigestRepo).get(key.digest_id)
    # SQLite may give a deleted digest's number to a new one: that one is not this run's.
    if digest is None or digest.paused or digest.created_at > key.at:
        await services.runs.finish(str(key), now, GONE, "deleted or paused since")
        return GONE
    if now - key.at > timedelta(minutes=services.config.digest.grace_minutes):
        log.warning("digest %d: interrupted run %s is too old to resume", digest.id, key)
        await _finish(services, digest.id, key, MISSED, "interrupted, too old to resume")
        return MISSED
    log.info("digest %d: resuming interrupted run %s", digest.id, key)
    outcome, detail = await _deliver(services, digest, key.at)
    await _finish(services, digest.id, key, outcome, f"resumed: {detail}")
    return outcome


async def _settle_resumed(services: Services, key: str, resume: str, now: datetime) -> None:
    """Someone is resuming the run, or did and died: after RESUME_AFTER, give it up."""
    attempt = await services.runs.get(resume)
    if attempt is None:
        return
    if attempt.finished_at is not None:
        await services.runs.finish(key, now, attempt.outcome or FAILED, "resumed")
    elif attempt.claimed_at <= now - RESUME_AFTER:
        log.warning("run %s: its resumption was interrupted too; given up", key)
        await services.runs.finish(key, now, FAILED, "resumption interrupted")
        await services.runs.finish(resume, now, FAILED, "interrupted")
