"""Matching rounds, run by the clock: pair the members, introduce them, ask if they met.

`run_due(services, now)` does everything that is due at `now`; the APScheduler jobs only call
it (one job per active config at its next run, and a sweep every `check_seconds`), and tests
call it with a simulated clock. Exactly once, across restarts and processes:
- a round is claimed in the run ledger (`round:<config id>:<scheduled time, UTC>`) and written
  with its groups in one transaction that also moves the config to its next run; a run claimed
  but never finished (the process died) is claimed again by the next sweep of any process
  once its lease lapsed (`[cluster] lease_seconds`) — writing the round twice is impossible
  (one round per config and time);
- introductions and questions are rows leased before each send
  (commands/match/store/delivery.py), so each member gets each message once.

Population: the members of the channel's workspace (same platform) who opted in and are not
snoozed at the scheduled time. Only one channel per workspace may run rounds, so nobody is in
two rounds at once. Introductions go by direct message to each member of a group (platforms
only offer 1:1 DMs to bots everywhere), naming the others; when a member cannot receive DMs,
the introduction is posted in the rounds channel for them instead.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.schedules import next_runs, parse_schedule
from bot.services import Services
from commands.match.pool import agency_key
from commands.match.ranking import Candidate
from commands.match.round_delivery import ask_if_met, deliver_introductions
from commands.match.rounds import pair_round
from commands.match.store.matching import MatchingRepo, NewGroup, RoundConfig
from commands.profile.store.profiles import ProfileRepo

log = logging.getLogger(__name__)

KIND = "match-round"
SWEEP_JOB = "match.sweep"
DELIVER_JOB = "match.deliver"


@dataclass(frozen=True, slots=True)
class Progress:
    rounds: int = 0
    introduced: int = 0
    asked: int = 0


def run_key(config_id: int, scheduled_for: datetime) -> str:
    return f"round:{config_id}:{scheduled_for.astimezone(UTC).strftime('%Y-%m-%dT%H:%MZ')}"


def round_job(config_id: int) -> str:
    return f"match.round.{config_id}"


def tz_of(services: Services) -> ZoneInfo:
    return ZoneInfo(services.config.bot.timezone)


async def start_rounds(services: Services) -> None:
    """Feature start hook: schedule every active config, and sweep regularly (rounds due,
    sends queued or left by a process that died)."""
    for config in await services.get(MatchingRepo).active_configs():
        schedule_round(services, config)

    async def sweep() -> None:
        await run_due(services, services.clock.now())

    services.scheduler.every(SWEEP_JOB, services.config.match.check_seconds, sweep)


def schedule_round(services: Services, config: RoundConfig) -> None:
    if config.next_run_at is None or not config.active:
        services.scheduler.remove(round_job(config.id))
        return

    async def job() -> None:
        await run_due(services, services.clock.now())

    when = max(config.next_run_at, services.clock.now() + timedelta(seconds=1))
    services.scheduler.at(round_job(config.id), when, job)


async def run_due(services: Services, now: datetime) -> Progress:
    await resume_interrupted(services, now)
    rounds = 0
    for config in await services.get(MatchingRepo).active_configs():
        if config.next_run_at is not None and config.next_run_at <= now:
            rounds += await run_round(services, config, now)
    introduced = await deliver_introductions(services)
    asked = await ask_if_met(services, now)
    return Progress(rounds, introduced, asked)


def following_run(services: Services, config: RoundConfig, after: datetime) -> datetime | None:
    runs = next_runs(parse_schedule(config.schedule), after, tz_of(services))
    return runs[0] if runs else None


async def run_round(services: Services, config: RoundConfig, now: datetime) -> int:
    """The round due at `config.next_run_at`; 1 if this call made it."""
    scheduled = config.next_run_at
    assert scheduled is not None
    key = run_key(config.id, scheduled)
    async with services.runs.claimed(key, KIND, services.instance_id, now) as claim:
        if claim is None:
            run = await services.runs.get(key)
            if run is not None and run.finished_at is not None:
                # Done already: make sure the config moved on (a no-op when it did).
                after = max(scheduled, now)
                await services.get(MatchingRepo).advance(
                    config.id, scheduled, following_run(services, config, after)
                )
            return 0  # else another process is running it, and moves the config on
        outcome, made = await _run_claimed(services, config, scheduled, now)
        await services.runs.finish(key, now, outcome)
    fresh = await services.get(MatchingRepo).get_config(config.id)
    if fresh is not None:
        schedule_round(services, fresh)
    return made


async def _run_claimed(
    services: Services, config: RoundConfig, scheduled: datetime, now: datetime
) -> tuple[str, int]:
    next_run = following_run(services, config, max(scheduled, now))
    grace = timedelta(hours=services.config.match.late_grace_hours)
    if now - scheduled > grace:
        log.warning("match: round %s of %s skipped, %s late", config.id, scheduled, now - scheduled)
        await services.get(MatchingRepo).advance(config.id, scheduled, next_run)
        return "late", 0
    groups = await make_groups(services, config, scheduled)
    if not groups:
        await services.get(MatchingRepo).advance(config.id, scheduled, next_run)
        return "skipped", 0
    round_id = await services.get(MatchingRepo).create_round(
        config,
        scheduled,
        groups,
        member_count=sum(len(g.members) for g in groups),
        now=now,
        ask_at=now + timedelta(days=services.config.match.followup_after_days),
        next_run_at=next_run,
    )
    if round_id is None:  # a round at this very time exists (`match rounds now`)
        await services.get(MatchingRepo).advance(config.id, scheduled, next_run)
        return "skipped", 0
    return "sent", 1


async def run_now(services: Services, config: RoundConfig, now: datetime) -> int | None:
    """An extra round at once (`match rounds now`), the schedule unchanged; the number of
    groups formed, or None if a round for this minute exists already. Introductions leave
    right after, in the background."""
    scheduled = now.replace(second=0, microsecond=0)
    key = f"now-{run_key(config.id, scheduled)}"  # its own kind: never resumed, never late
    async with services.runs.claimed(key, KIND + "-now", services.instance_id, now) as claim:
        if claim is None:
            return None
        groups = await make_groups(services, config, scheduled)
        round_id = None
        if groups:
            round_id = await services.get(MatchingRepo).create_round(
                config,
                scheduled,
                groups,
                member_count=sum(len(g.members) for g in groups),
                now=now,
                ask_at=now + timedelta(days=services.config.match.followup_after_days),
                next_run_at=None,
            )
        await services.runs.finish(key, now, "sent" if round_id else "skipped")
    if round_id is None:
        return None if groups else 0
    deliver_soon(services)
    return len(groups)


def deliver_soon(services: Services) -> None:
    """Send the introductions in the background, not in the moderator's command: thousands of
    DMs take far longer than a platform waits for a command's answer."""

    async def job() -> None:
        await deliver_introductions(services)

    services.scheduler.at(DELIVER_JOB, services.clock.now(), job)


async def make_groups(
    services: Services, config: RoundConfig, scheduled: datetime
) -> list[NewGroup]:
    """Pairs (and one trio) for the round: opted-in, not snoozed members of the workspace."""
    channel = config.channel
    people = await services.get(ProfileRepo).round_population(channel.platform, channel.workspace)
    since = scheduled - timedelta(days=services.config.match.repeat_after_days)
    history = [(str(a), str(b)) for a, b in await services.get(MatchingRepo).pairs_since(since)]
    candidates = [
        Candidate(str(p.member_id), agency_key(p.agency_id), p.tags, True, p.snoozed_until)
        for p in people
    ]
    seed = zlib.crc32(run_key(config.id, scheduled).encode())
    # CPU-bound (about half a second for 26,000 members): off the event loop.
    groups = await asyncio.to_thread(pair_round, candidates, history, seed=seed, now=scheduled)
    return [NewGroup(tuple(int(k) for k in g.members), g.shared, g.repeat) for g in groups]


async def resume_interrupted(services: Services, now: datetime) -> None:
    """Rounds claimed by a process that stopped before writing them (their lease lapsed)."""
    for run in await services.runs.lapsed(KIND, now):
        async with services.runs.claimed(run.key, KIND, services.instance_id, now) as claim:
            if claim is None:
                continue  # another process took it over first
            outcome = await _resume(services, run.key, now)
            await services.runs.finish(run.key, now, outcome)


async def _resume(services: Services, key: str, now: datetime) -> str:
    _, config_id, stamp = key.split(":", 2)
    scheduled = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    config = await services.get(MatchingRepo).get_config(int(config_id))
    if config is None or not config.active or config.next_run_at != scheduled:
        return "skipped"  # disabled since, or already moved on
    outcome, _ = await _run_claimed(services, config, scheduled, now)
    fresh = await services.get(MatchingRepo).get_config(config.id)
    if fresh is not None:
        schedule_round(services, fresh)
    return outcome
