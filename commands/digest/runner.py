"""Digest runs: APScheduler jobs rebuilt from the database, each run sent exactly once.

- One job per active digest (`digest.<id>`), with the DST-correct trigger of its schedule
  (bot/schedules.py), rebuilt from the `digests` table at every start.
- Each run has a key: `digest:<id>:<scheduled time, UTC, to the minute>`, or for `digest run`
  `digest:<id>:manual:<moment, to the second>`. The run is claimed in the run ledger under that
  key before anything is built: a second process, a restart or a repeated job finds it taken.
  After the send it is finished (sent, empty, failed, missed) in the ledger.
- The claim is a lease, renewed while the run goes on. A run claimed and never finished (the
  process died in between) is claimed again by any live process's sweep once its lease
  lapsed (`[cluster] lease_seconds`), and resumed *in doubt*: the message carries the run's
  delivery key, and the platform is checked for it before anything is posted again.
- Every sweep (`[digest] sweep_seconds`), not only at start, looks for each digest's latest
  run: one missed (the bot was down, its process died, the job fired on a process that was
  stopping) is sent if it is at most `[digest] grace_minutes` late; otherwise it is recorded
  as missed and logged. Only the latest missed run counts: the next digest starts where the
  channel's last one ended, so nothing is lost, it is just said once.
- Digests created, edited or deleted by another process are picked up by the same sweep
  (jobs are rebuilt from the `digests` table).

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
from bot.outbound import delivery_key
from bot.schedules import Schedule, next_runs, parse_schedule, to_trigger
from bot.services import Services
from bot.storage.runs import RunClaim
from commands.digest.build import build_digest
from commands.digest.store.digests import EMPTY, SENT, DigestConfig, DigestRepo

log = logging.getLogger(__name__)

KIND = "digest"
FAILED, MISSED, GONE, RETRY = "failed", "missed", "gone", "retry"
# A run whose send failed for now (platform busy, network) is left unfinished: its lease
# lapses and the next sweep tries again, in doubt, up to this many attempts in all.
MAX_ATTEMPTS = 5
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
        await sync_jobs(services)
        _spawn(services, recover(services, services.clock.now()))

    services.scheduler.at(RECOVER_JOB, now + STARTUP_DELAY, recover_now)
    services.scheduler.every(SWEEP_JOB, services.config.digest.sweep_seconds, sweep)


def schedule_digest(services: Services, digest: DigestConfig) -> None:
    """(Re)place the digest's job; a paused digest has none."""
    scheduled = _sending(services).schedules
    if digest.paused:
        unschedule_digest(services, digest.id)
        return
    trigger = to_trigger(schedule_of(digest), _tz(services))
    services.scheduler.schedule(job_id(digest.id), trigger, digest_job(services, digest.id))
    scheduled[digest.id] = digest.fields.schedule


async def sync_jobs(services: Services) -> None:
    """The jobs of this process, made to match the `digests` table: another process may have
    created, rescheduled, paused or deleted a digest since."""
    scheduled = _sending(services).schedules
    active = {d.id: d for d in await services.get(DigestRepo).active()}
    for digest_id in set(scheduled) - set(active):
        unschedule_digest(services, digest_id)
    for digest in active.values():
        if scheduled.get(digest.id) != digest.fields.schedule:
            schedule_digest(services, digest)


def digest_job(services: Services, digest_id: int) -> Callable[[], Awaitable[None]]:
    """What the digest's job does when it fires: start its run, in a task of its own."""

    async def tick() -> None:
        _spawn(services, run_scheduled(services, digest_id, services.clock.now()))

    return tick


def unschedule_digest(services: Services, digest_id: int) -> None:
    services.scheduler.remove(job_id(digest_id))
    _sending(services).schedules.pop(digest_id, None)


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
    """Claim, send, finish. "taken" when the run is finished or a live process has it."""
    async with services.runs.claimed(str(key), KIND, services.instance_id, now) as claim:
        if claim is None:
            return "taken"
        with _in_flight(services):
            outcome, detail = await _deliver(services, digest, key, claim)
            if outcome != RETRY:
                await _finish(services, digest.id, key, outcome, detail)
        return outcome


async def _finish(
    services: Services, digest_id: int, key: RunKey, outcome: str, detail: str
) -> None:
    done = services.clock.now()
    await services.runs.finish(str(key), done, outcome, detail)
    await services.get(DigestRepo).record_run(digest_id, key.at, outcome, done)


async def _deliver(
    services: Services, digest: DigestConfig, key: RunKey, claim: RunClaim
) -> tuple[str, str]:
    """Build and post the run (in doubt when an earlier owner may have posted it already).
    RETRY: failed for now, left for the next sweep once the claim's lease lapses."""
    at = key.at
    async with _sending(services).gate:
        built = await build_digest(services, digest, at, next_run(services, digest, at))
        if built.empty and digest.fields.skip_empty:
            log.info("digest %d: nothing new at %s, not sent", digest.id, at.isoformat())
            return EMPTY, "nothing new"
        try:
            posted = await services.outbound.send(
                digest.channel, built.message, key=delivery_key(str(key)), in_doubt=claim.in_doubt
            )
        except SendError as err:
            if not err.permanent and claim.attempt < MAX_ATTEMPTS:
                log.info("digest %d: %s, tried again soon: %s", digest.id, key, err.reason)
                return RETRY, err.reason
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
    schedules: dict[int, str] = field(default_factory=dict)  # digest id -> its job's schedule


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
    """At start and every sweep: resume runs whose owner died, then send (or record as
    missed) each digest's latest run that nobody made."""
    await resume_interrupted(services, now)
    digests = await services.get(DigestRepo).active()
    outcomes = await asyncio.gather(*(catch_up(services, d, now) for d in digests))
    return {d.id: o for d, o in zip(digests, outcomes, strict=True) if o is not None}


async def catch_up(services: Services, digest: DigestConfig, now: datetime) -> str | None:
    since = max(digest.active_since, digest.last_run_at or digest.active_since, now - MAX_CATCH_UP)
    latest = latest_run(schedule_of(digest), since, now, _tz(services))
    if latest is None or (digest.last_run_at is not None and digest.last_run_at >= latest):
        return None
    key = RunKey(digest.id, latest)
    late = now - latest
    if late <= timedelta(minutes=services.config.digest.grace_minutes):
        return await run_once(services, digest, key, now)
    async with services.runs.claimed(str(key), KIND, services.instance_id, now) as claim:
        if claim is None:
            return "taken"
        log.warning(
            "digest %d: the run of %s was missed by %d min (grace %d min): skipped",
            digest.id,
            latest.isoformat(),
            late.total_seconds() // 60,
            services.config.digest.grace_minutes,
        )
        minutes = int(late.total_seconds() // 60)
        await _finish(services, digest.id, key, MISSED, f"{minutes} min late")
        return MISSED


async def resume_interrupted(services: Services, now: datetime) -> int:
    """Runs whose owner stopped before finishing them (their lease lapsed): claimed again and
    sent in doubt (within the grace period), or recorded as missed. Returns how many this
    call settled."""
    settled = 0
    for run in await services.runs.lapsed(KIND, now):
        key = RunKey.parse(run.key)
        if key is None:
            await services.runs.finish(run.key, now, FAILED, "unreadable key")
            settled += 1
        elif await _resume(services, key, now) is not None:
            settled += 1
    return settled


async def _resume(services: Services, key: RunKey, now: datetime) -> str | None:
    """None when another process took the run over first."""
    async with services.runs.claimed(str(key), KIND, services.instance_id, now) as claim:
        if claim is None:
            return None
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
        with _in_flight(services):
            outcome, detail = await _deliver(services, digest, key, claim)
            if outcome != RETRY:
                await _finish(services, digest.id, key, outcome, f"resumed: {detail}")
        return outcome
