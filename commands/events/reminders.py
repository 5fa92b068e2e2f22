"""Reminders by direct message to the people who come, at the configured offsets.

A periodic job calls `send_due_reminders(services, now)`; tests call it with a simulated
clock. Each send is claimed in the run ledger first and finished after, so neither a restart
nor a second process sends one twice. The rules:
- a reminder missed while the bot was down is sent late if the event has not started, else
  dropped ("late"); when several are due at once (the bot was down a day) only the nearest to
  the start is sent, the others are "superseded";
- a reminder for a platform whose adapter is not running stays pending until it runs;
- a run claimed but never finished (the process died between claim and send) is claimed
  again by any process's next tick once its lease lapsed (`[cluster] lease_seconds`), and
  sent in doubt: the direct message carries the run's delivery key and the platform is
  checked for it before posting again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import replace
from datetime import datetime, timedelta

from bot.errors import SendError
from bot.i18n import Translator
from bot.messages import Button, Message
from bot.outbound import delivery_key
from bot.services import Services
from bot.storage.runs import RunClaim
from commands.events import render
from commands.events.notify import member_translator
from commands.events.store.events import Event, EventRepo
from commands.events.store.reminders import DueReminder

log = logging.getLogger(__name__)

KIND = "event-reminder"
RETRY = "retry"
MAX_ATTEMPTS = 5  # a direct message refused for now is tried again, this many times in all
JOB_ID = "events.reminders"
# Reminders one process sends at once: a direct message waits on the platform (opening the
# conversation, then the post), and the shared pacer keeps the platform's pace.
SENDS_IN_FLIGHT = 8


async def start_reminders(services: Services) -> None:
    """Feature start hook: apply changed offsets to upcoming events, schedule the job."""
    settings = services.config.events
    added = await services.get(EventRepo).reminders.reconcile(
        settings.offsets, services.clock.now()
    )
    if added:
        log.info("events: %d reminders added for the configured offsets", added)

    async def tick() -> None:
        await send_due_reminders(services, services.clock.now())

    services.scheduler.every(JOB_ID, settings.reminder_check_seconds, tick)


async def send_due_reminders(services: Services, now: datetime) -> int:
    """Send what is due at `now`; returns the number of reminders sent."""
    repo = services.get(EventRepo).reminders
    await resume_interrupted(services, now)
    await repo.expire_late(now)
    due = await repo.due(now)
    nearest: dict[tuple[int, int], DueReminder] = {}
    for reminder in due:  # the smallest offset is the one nearest to the start
        key = (reminder.event_id, reminder.member_id)
        if key not in nearest or reminder.offset < nearest[key].offset:
            nearest[key] = reminder
    chosen = {r.id for r in nearest.values()}
    await repo.mark([r.id for r in due if r.id not in chosen], now, "superseded")
    live = set(services.outbound.platforms)
    events = {e.id: e for e in await services.get(EventRepo).many(list({k[0] for k in nearest}))}
    todo = [r for r in nearest.values() if r.platform in live and r.event_id in events]
    # Processes that look at the same time start at different places in the list, so that
    # they seldom try to claim the same reminder.
    random.shuffle(todo)
    gate = asyncio.Semaphore(SENDS_IN_FLIGHT)

    async def send(reminder: DueReminder) -> str | None:
        async with gate:
            return await _send_claimed(services, events[reminder.event_id], reminder, now)

    outcomes = await asyncio.gather(*(send(r) for r in todo))
    return sum(outcome == "sent" for outcome in outcomes)


async def _send_claimed(
    services: Services, event: Event, reminder: DueReminder, now: datetime
) -> str | None:
    async with services.runs.claimed(reminder.run_key, KIND, services.instance_id, now) as claim:
        if claim is None:
            await _settle_claimed(services, reminder, now)
            return None
        outcome = await deliver(services, event, reminder, now, claim)
        if outcome == RETRY:
            return None  # the row stays due; the claim lapses, and a later tick tries again
        await services.get(EventRepo).reminders.mark([reminder.id], now, outcome)
        await services.runs.finish(reminder.run_key, now, outcome)
        return outcome


async def _settle_claimed(services: Services, reminder: DueReminder, now: datetime) -> None:
    """Someone claimed it before: if that run is over, record its outcome on the row."""
    run = await services.runs.get(reminder.run_key)
    if run is not None and run.finished_at is not None:
        await services.get(EventRepo).reminders.mark([reminder.id], now, run.outcome or "sent")


async def resume_interrupted(services: Services, now: datetime) -> None:
    """Runs whose owner died before finishing (their lease lapsed): claimed again, sent in
    doubt, or recorded when the reminder is gone or too late."""
    live = set(services.outbound.platforms)
    repo = services.get(EventRepo).reminders
    for run in await services.runs.lapsed(KIND, now):
        parts = run.key.split(":")  # reminder:<row>:<due>; older keys had five parts
        reminder = await repo.pending(int(parts[1])) if len(parts) == 3 else None
        if reminder is not None and reminder.platform not in live:
            continue  # resumed once that platform's adapter runs
        async with services.runs.claimed(run.key, KIND, services.instance_id, now) as claim:
            if claim is None:
                continue  # another process took it over first
            outcome = await _resume(services, run.key, reminder, now, claim)
            if outcome != RETRY:
                await services.runs.finish(run.key, now, outcome)


async def _resume(
    services: Services, key: str, reminder: DueReminder | None, now: datetime, claim: RunClaim
) -> str:
    if reminder is None or reminder.run_key != key:
        return "skipped"  # already recorded, or re-targeted since
    event = await services.get(EventRepo).get(reminder.event_id)
    if event is None or event.cancelled or event.starts_at <= now:
        outcome = "late"
    else:
        outcome = await deliver(services, event, reminder, now, claim)
    if outcome != RETRY:
        await services.get(EventRepo).reminders.mark([reminder.id], now, outcome)
    return outcome


async def deliver(
    services: Services, event: Event, reminder: DueReminder, now: datetime, claim: RunClaim
) -> str:
    """sent, failed, or RETRY (the platform refused for now: tried again later, in doubt)."""
    t = member_translator(services, reminder.locale)
    message = reminder_message(event, now, t)
    try:
        await services.outbound.send_dm(
            reminder.platform,
            reminder.workspace,
            reminder.user_id,
            message,
            key=delivery_key(reminder.run_key),
            in_doubt=claim.in_doubt,
        )
    except SendError as err:
        if not err.permanent and claim.attempt < MAX_ATTEMPTS:
            log.info("reminder %s: tried again soon: %s", reminder.run_key, err.reason)
            return RETRY
        log.warning("reminder %s not delivered: %s", reminder.run_key, err.reason)
        return "failed"
    return "sent"


def reminder_message(event: Event, now: datetime, t: Translator) -> Message:
    # Rounded (to the hour beyond 2 hours, else to 5 minutes): the job runs every few seconds,
    # and "in 59 minutes" or "in 1,417 minutes" would read oddly.
    left = event.starts_at - now
    step = timedelta(hours=1) if left >= timedelta(hours=2) else timedelta(minutes=5)
    starts_in = render.span_text(max(step * round(left / step), step), t)
    intro = t("events.reminder.intro", starts_in=starts_in)
    card = render.event_message(
        event,
        None,
        t,
        title=t("events.reminder.title", title=event.title),
        intro=intro,
        buttons=False,
    )
    withdraw = Button(
        t("events.reminder.withdraw"), render.RSVP_ACTION, {"event": str(event.id), "answer": "no"}
    )
    return replace(card, buttons=(withdraw,))
