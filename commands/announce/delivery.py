"""The courier: delivers a broadcast's outbox rows, within the platforms' rate limits.

Platform-free: it only talks to `services.outbound` (so the same code sends to Slack, Discord,
the console or a test's recording sender), which also paces every send within the platforms'
limits; it takes its `sleep` as a dependency, and time comes from `services.clock`.

One run per announcement and process. A run repeats passes until no row is due soon: each pass
reserves a batch of due rows for this process (a lease the heartbeat renews; other processes
take other rows), fans them out per platform, `concurrency` workers per platform; a worker
claims its row (`sending`), calls the platform with the row's delivery key and records the
outcome, each step in its own small transaction. A row a dead process left in flight comes
back in doubt, and its send first looks for the copy on the platform. A per-platform semaphore
caps the sends in flight across all runs.

Transient failures (429, 5xx, network, adapter away) come back later with exponential backoff
and jitter, or after the platform's Retry-After; permanent ones (channel not found, bot not in
channel) fail the row with the reason, and staff get one alert per run in their channel. A row
due later than the sweep interval ends the run: the periodic sweep (`run_due`) and the
scheduled-send job start it again, as they do after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import SendError
from bot.i18n import Translator, translator
from bot.messages import Message
from bot.outbound import Posted, delivery_key
from bot.pacing import backoff
from commands.announce.render import alert_message, copy_message, progress_message
from commands.announce.store.announcements import Announcement, AnnouncementRepo, State
from commands.announce.store.outbox_rows import (
    FAILED,
    GIVEN_UP,
    LEASED,
    QUEUED_AGAIN,
    SENDING,
    TO_WITHDRAW,
    WITHDRAWING,
    Delivery,
)

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]
STOP_GRACE = 10.0  # seconds in-flight sends get to finish when the bot stops
BATCH_PER_WORKER = 8  # rows reserved per pass and worker: small batches share the work


class Courier:
    def __init__(
        self,
        services: Services,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.services = services
        self.settings = services.config.announce
        self.repo = services.get(AnnouncementRepo)
        self.outbox = services.get(AnnouncementRepo).outbox
        self.sleep = sleep
        self.rng = rng or random.Random()
        self._slots: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.settings.concurrency)
        )
        self._runs: dict[int, asyncio.Task[None]] = {}
        self._kicks: Counter[int] = Counter()
        self._edits: dict[int, asyncio.Task[None]] = {}
        self._last_edit: dict[int, float] = {}
        self._shown: dict[int, Message] = {}  # the progress message as last posted or edited
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, announcement_id: int) -> None:
        """Deliver what is due for this announcement, in the background (idempotent)."""
        if self._stopping:
            return
        self._kicks[announcement_id] += 1
        task = self._runs.get(announcement_id)
        if task is None or task.done():
            self._runs[announcement_id] = asyncio.create_task(
                self._guarded(announcement_id), name=f"announce-{announcement_id}"
            )

    @property
    def running(self) -> list[int]:
        return sorted(self._runs)

    @property
    def busy(self) -> int:
        """Runs and progress edits in flight."""
        return len(self._runs) + len(self._edits)

    async def drain(self) -> None:
        """Wait until every run has ended (tests, benchmarks)."""
        while self._runs:
            await asyncio.gather(*list(self._runs.values()), return_exceptions=True)

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Take no new row; let sends in flight finish (up to `grace` s), then cancel. Rows
        never claimed stay pending for the next start; a cancelled send stays `sending`."""
        self._stopping = True
        tasks = [*self._runs.values(), *self._edits.values()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        released = await self.outbox.release()
        if released:
            log.info("%d reserved announcement copies handed back to other processes", released)

    async def _guarded(self, announcement_id: int) -> None:
        """The job wrapper: a bug in one run is logged and ends that run, nothing else."""
        try:
            while not self._stopping:
                seen = self._kicks[announcement_id]
                await self.run(announcement_id)
                if self._kicks[announcement_id] == seen:
                    break  # nobody asked for more since this run began
        except Exception:
            log.exception("delivery of announcement %s failed", announcement_id)
        finally:
            if self._runs.get(announcement_id) is asyncio.current_task():
                del self._runs[announcement_id]

    # -- one run ----------------------------------------------------------------------------

    async def run(self, announcement_id: int) -> None:
        ann = await self.repo.get(announcement_id)
        if ann is None or ann.state not in (State.ACTIVE, State.WITHDRAWN, State.DONE):
            return
        t = translator(ann.lang, self.services.config.bot.timezone)
        if ann.status_message_id is None:
            await self._show_progress(ann.id, t)
        copy = copy_message(ann, t)
        # Each platform at its own pace: a slow one (Slack's 1 post per second per channel)
        # never holds up a fast one (Discord's 50 per second).
        platforms = self.services.outbound.platforms
        await asyncio.gather(*(self._run_platform(ann, p, copy, t) for p in platforms))
        await self._finish(ann.id, t)

    async def _run_platform(
        self, ann: Announcement, platform: str, copy: Message, t: Translator
    ) -> None:
        horizon = timedelta(seconds=self.settings.sweep_interval)
        batch = BATCH_PER_WORKER * self.settings.concurrency
        while not self._stopping and platform in self.services.outbound.platforms:
            now = self.services.clock.now()
            rows = await self.outbox.reserve(ann.id, now, [platform], batch)
            if rows:
                with self.services.leases.holding(LEASED.name, [r.id for r in rows]):
                    await self._pass(ann, rows, copy, t)
                continue
            nxt = await self.outbox.next_due(ann.id, now, [platform])
            if nxt is None or nxt - now > horizon:
                return
            await self.sleep(max(0.0, (nxt - now).total_seconds()))

    async def _pass(
        self, ann: Announcement, rows: Sequence[Delivery], copy: Message, t: Translator
    ) -> None:
        by_platform: dict[str, deque[Delivery]] = defaultdict(deque)
        for row in rows:
            by_platform[row.ref.platform].append(row)

        async def worker(queue: deque[Delivery]) -> None:
            while queue and not self._stopping:
                await self._deliver(ann, queue.popleft(), copy, t)

        workers = [
            worker(queue)
            for queue in by_platform.values()
            for _ in range(min(self.settings.concurrency, len(queue)))
        ]
        await asyncio.gather(*workers)

    async def _deliver(
        self, ann: Announcement, row: Delivery, copy: Message, t: Translator
    ) -> None:
        op = "delete" if row.state in (TO_WITHDRAW, WITHDRAWING) else "send"
        async with self._slots[row.ref.platform]:
            if self._stopping or not await self.outbox.claim(row):
                return
            try:
                if op == "send":
                    posted = await self.services.outbound.send(
                        row.ref, copy, key=delivery_key(row.key), in_doubt=row.in_doubt
                    )
                else:
                    for message_id in row.copies:
                        await self.services.outbound.delete(Posted(row.ref, message_id))
            except SendError as err:
                await self._failed(row, err)
            except Exception:
                # An adapter bug must not leave the row in flight until its lease lapses.
                log.exception("announcement %s: %s to %s failed", ann.id, op, row.ref)
                await self._failed(row, SendError("internal error", permanent=False))
            else:
                now = self.services.clock.now()
                if op == "delete":
                    await self.outbox.withdrawn(row, row.extra_message_ids, now)
                elif not await self.outbox.mark_sent(row, posted.message_id, now):
                    log.warning(
                        "announcement %s: %s was taken over while sending: copy %s recorded",
                        ann.id,
                        row.ref,
                        posted.message_id,
                    )
        self._progress(ann, t)

    async def _failed(self, row: Delivery, err: SendError) -> None:
        attempts = row.attempts + 1  # the claim counted this attempt
        now = self.services.clock.now()
        in_flight = WITHDRAWING if row.state in (TO_WITHDRAW, WITHDRAWING) else SENDING
        if err.permanent or attempts >= self.settings.max_attempts:
            log.warning("announcement %s: %s gave up: %s", row.announcement_id, row.ref, err.reason)
            await self.outbox.settle(row, GIVEN_UP[in_flight], now, err.reason)
            return
        delay = backoff(
            attempts,
            err.retry_after,
            self.settings.retry_base,
            self.settings.retry_max,
            self.rng.random(),
        )
        log.info(
            "announcement %s: %s again in %.1f s: %s",
            row.announcement_id,
            row.ref,
            delay,
            err.reason,
        )
        later = now + timedelta(seconds=delay)
        await self.outbox.settle(row, QUEUED_AGAIN[in_flight], later, err.reason)

    # -- what staff see ---------------------------------------------------------------------

    def _progress(self, ann: Announcement, t: Translator) -> None:
        """Update the progress message at most every `progress_interval` seconds, in the
        background: a slow edit never holds up the sends."""
        if ann.id in self._edits:
            return
        now = self.services.clock.now().timestamp()
        if now - self._last_edit.get(ann.id, 0.0) < self.settings.progress_interval:
            return
        self._last_edit[ann.id] = now
        task = asyncio.create_task(self._show_progress(ann.id, t, best_effort=True))
        self._edits[ann.id] = task
        task.add_done_callback(lambda _: self._edits.pop(ann.id, None))

    async def _show_progress(
        self, announcement_id: int, t: Translator, *, best_effort: bool = False
    ) -> None:
        """Post the progress message where staff confirmed, or edit it if it exists. A post
        that failed (the staff channel's platform was busy) is tried again next time. A
        `best_effort` update is skipped when the edit budget is not ready: the next one, or
        the final one, will show the counts."""
        ann = await self.repo.get(announcement_id)
        if ann is None:
            return
        counts = await self.outbox.counts(ann.id)
        message = progress_message(ann, counts, t, self.services.clock.now())
        if ann.status_message_id is not None and self._shown.get(ann.id) == message:
            return  # nothing new to show: an identical edit would only print or cost a call
        try:
            if ann.status_message_id is None:
                # Keyed and checked first: a process that posted it and died before saving
                # its id (or another process's run) does not make staff see two.
                key = delivery_key(f"announce:{ann.id}:progress")
                posted = await self.services.outbound.send(
                    ann.origin, message, key=key, in_doubt=True
                )
                await self.repo.set_status_message(ann.id, posted.message_id)
            elif not await self.services.outbound.edit(
                Posted(ann.origin, ann.status_message_id), message, best_effort=best_effort
            ):
                return  # the edit budget was not ready: the next update shows the counts
            self._shown[ann.id] = message
        except SendError as err:
            log.info("announcement %s: progress not shown: %s", ann.id, err.reason)

    async def _finish(self, announcement_id: int, t: Translator) -> None:
        """After a run: settle the announcement, show the final count, alert on failures."""
        if (edit := self._edits.get(announcement_id)) is not None:
            await asyncio.gather(edit, return_exceptions=True)
        await self.repo.settle(announcement_id, self.services.clock.now())
        self.services.home.changed()  # agencies' announcements, staff's deliveries
        ann = await self.repo.get(announcement_id)
        if ann is None:
            return
        self._last_edit.pop(announcement_id, None)
        await self._show_progress(ann.id, t)
        failed = await self.outbox.in_states(ann.id, (FAILED,))
        if len(failed) > ann.alerted_failures and ann.state != State.WITHDRAWN:
            await self._alert(ann, failed, t)

    async def _alert(self, ann: Announcement, failed: Sequence[Delivery], t: Translator) -> None:
        """One alert per new count of failures, whichever process's run ends first."""
        message = alert_message(ann, failed, len(failed), t)
        run_key = f"announce:{ann.id}:alert:{len(failed)}"
        now = self.services.clock.now()
        runs, owner = self.services.runs, self.services.instance_id
        async with runs.claimed(run_key, "announce-alert", owner, now) as claim:
            if claim is None:
                return
            try:
                await self.services.outbound.send(
                    ann.origin, message, key=delivery_key(run_key), in_doubt=claim.in_doubt
                )
            except SendError as err:
                log.warning("announcement %s: failure alert not sent: %s", ann.id, err.reason)
                await runs.finish(run_key, self.services.clock.now(), "failed", err.reason)
                return
            await self.repo.note_alerted(ann.id, len(failed))
            await runs.finish(run_key, self.services.clock.now())


async def pending_sends(services: Services) -> int:
    """For `BotApp.settle`: the runs in flight, once any row due now has been started (a piped
    console need not wait for the periodic sweep)."""
    courier = courier_for(services)
    if not courier.busy:
        await run_due(services, services.clock.now())
    return courier.busy


async def run_due(services: Services, now: datetime) -> list[int]:
    """The periodic sweep: start a run for every announcement with a row due on a platform
    that is connected. Also what resumes deliveries after a restart, once adapters are up."""
    ids = await services.get(AnnouncementRepo).outbox.due_announcements(
        now, services.outbound.platforms
    )
    courier = courier_for(services)
    for announcement_id in ids:
        courier.start(announcement_id)
    return ids


# One courier per running app (keyed by the app's instance id): it owns the delivery tasks and
# the rate limiter, which must be shared by every command and job of that app.
_COURIERS: dict[str, Courier] = {}


def courier_for(services: Services) -> Courier:
    courier = _COURIERS.get(services.instance_id)
    if courier is None:
        courier = _COURIERS[services.instance_id] = Courier(services)
    return courier


async def stop_courier(services: Services) -> None:
    courier = _COURIERS.pop(services.instance_id, None)
    if courier is not None:
        await courier.stop()
