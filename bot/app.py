"""The lifespan: one place opens the services, registers the commands and closes it all."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock, SystemClock
from bot.completion import build_completer
from bot.config import Config
from bot.demo import load_demo_agencies
from bot.dispatch import Dispatcher
from bot.feature import Feature
from bot.federation import Federation
from bot.health import Health
from bot.home import HomeChanges
from bot.identity import ChannelRef
from bot.leases import Leases
from bot.metrics import Metrics
from bot.native_events import NativeCalendars
from bot.outbound import Outbound
from bot.registry import Registry
from bot.retention import enforce
from bot.scheduler import Scheduler
from bot.secret_box import SecretBox
from bot.services import Services
from bot.signing import Signer
from bot.storage.agencies import AgencyRepo
from bot.storage.budgets import pacer_for
from bot.storage.database import Database
from bot.storage.deliveries import DeliveryLedger
from bot.storage.keys import KeyStore
from bot.storage.members import MemberRepo
from bot.storage.runs import RunLedger
from bot.storage.workspaces import WorkspaceRepo
from bot.throttle import Throttle
from bot.web import WebServer

log = logging.getLogger(__name__)

SETTLE_POLL = 0.05  # s between two looks at the queued sends


class Adapter(Protocol):
    """A platform adapter: connects, registers its Sender on `app.outbound`, and stops.
    `ready()` says whether it is connected now (`/readyz`); `stop()` also undoes a start
    that was cancelled half-way (a stop asked for while connecting)."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ready(self) -> bool: ...


def build_registry(features: Sequence[Feature]) -> Registry:
    """The registry of the features' commands (also used by the Slack manifest and tests)."""
    registry = Registry()
    for feature in features:
        registry.add_all(feature.groups, feature.commands)
    return registry


class BotApp:
    """`async with BotApp(config, features) as app:` gives a migrated database (the core's
    migrations, each feature's and `extra_migrations`, e.g. an adapter's) and a ready
    dispatcher. The composition root (`fedbot.assembly`) says which features and adapters."""

    def __init__(
        self,
        config: Config,
        features: Sequence[Feature],
        clock: Clock | None = None,
        *,
        start_scheduler: bool = True,
        extra_migrations: Sequence[Path] = (),
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.start_scheduler = start_scheduler
        self._started = False
        self._features_stopped = False
        self.features = list(features)
        self.tz = ZoneInfo(config.bot.timezone)
        migrations = [f.migrations for f in self.features if f.migrations is not None]
        self.db = Database.open(config.bot.database_url, [*migrations, *extra_migrations])
        self.metrics = Metrics()
        pacer = pacer_for(config.cluster.pacing, self.db)
        self.outbound = Outbound(self.metrics, pacer)
        federation = Federation(config.federation, WorkspaceRepo(self.db))
        self.calendars = NativeCalendars(federation)
        self.web = WebServer(config.http)
        self.health = Health(self.db, self.metrics)
        self.web.add_routes(self.health.routes())
        self.completer = build_completer(feature.completions for feature in self.features)
        instance_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        ttl = timedelta(seconds=config.cluster.lease_seconds)
        leases = Leases(self.db, instance_id, self.clock, ttl, self.metrics)
        self.services = Services(
            config=config,
            db=self.db,
            clock=self.clock,
            registry=build_registry(self.features),
            outbound=self.outbound,
            scheduler=Scheduler(self.tz, metrics=self.metrics),
            instance_id=instance_id,
            agencies=AgencyRepo(self.db),
            members=MemberRepo(self.db),
            runs=RunLedger(self.db, leases),
            leases=leases,
            pacer=pacer,
            federation=federation,
            deliveries=DeliveryLedger(self.db),
            signer=Signer(),
            secret_box=SecretBox(config.secrets.secret_key),
            metrics=self.metrics,
            calendars=self.calendars,
            home=HomeChanges(),
        )
        for feature in self.features:
            for store in feature.stores(self.services) if feature.stores else ():
                self.services.provide(store)
        for feature in self.features:
            if feature.outbox_depth is not None:
                self.metrics.watch_outbox(feature.name, feature.outbox_depth(self.services))
        throttle = config.throttle
        self.dispatcher = Dispatcher(
            self.services,
            Throttle(throttle.burst, throttle.rate_per_minute) if throttle.enabled else None,
            [listener for feature in self.features for listener in feature.listeners],
            completer=self.completer,
            home=[section for feature in self.features for section in feature.home],
            completion_throttle=(
                Throttle(throttle.completion_burst, throttle.completion_rate_per_minute)
                if throttle.enabled
                else None
            ),
        )
        for feature in self.features:  # after the dispatcher: web pages run commands through it
            if feature.routes is not None:
                self.web.add_routes(feature.routes(self))

    async def open(self) -> None:
        """The database migrated and the configured agencies seeded; no feature started. What
        command-line tools need (`fedbot discord sync` must not resume a broadcast)."""
        await self.db.migrate()
        self.services.signer.load(await KeyStore(self.db).get_or_create("signing"))
        await self.seed_agencies()

    async def start(self) -> None:
        """Open, then start every feature (jobs rebuilt, unfinished work resumed)."""
        await self.open()
        self._started = True
        for feature in self.features:
            if feature.on_start is not None:
                await feature.on_start(self.services)
        if self.db.is_sqlite:
            self.services.scheduler.every("sqlite-checkpoint", 60, self.db.checkpoint)
        self.services.scheduler.every("forget-deliveries", 600, self._forget_deliveries)
        self.services.scheduler.every("pacer-forget-idle", 600, self._forget_idle_budgets)
        heartbeat = max(1.0, self.config.cluster.lease_seconds / 3)
        self.services.scheduler.every("lease-heartbeat", heartbeat, self.services.leases.renew)
        hour = self.config.privacy.purge_hour
        self.services.scheduler.daily("privacy-retention", hour, 17, self._retain)
        if self.start_scheduler:
            self.services.scheduler.start()

    async def _retain(self) -> None:
        """Every day: what is older than its `[privacy]` duration goes (bot.retention)."""
        await enforce(self.services, self.clock.now())

    async def _forget_idle_budgets(self) -> None:
        """Buckets full again are dropped (one per channel would otherwise pile up)."""
        await self.services.pacer.forget_idle(time.time())

    async def _forget_deliveries(self) -> None:
        await self.services.deliveries.forget_expired(self.clock.now())

    async def seed_agencies(self) -> None:
        """Agencies listed in config are created (or updated) on every start, and their
        moderators' grants bound to them."""
        ids: dict[str, int] = {}
        for seed in self.config.agencies:
            agency, _ = await self.services.agencies.add(seed.name, seed.region, self.clock.now())
            ids[seed.name] = agency.id
            for channel in seed.channels:
                await self.services.agencies.attach_channel(
                    agency.id, ChannelRef.parse(channel), (), self.clock.now()
                )
        self.dispatcher.roles.bind_agencies(ids)

    async def load_demo(self) -> None:
        """The French demo data set (`fedbot run --demo`): the core's agencies and channels,
        then each feature's part, in the features' order. Loading it twice changes nothing."""
        await load_demo_agencies(self.services)
        for feature in self.features:
            if feature.demo is not None:
                await feature.demo(self.services)

    async def settle(self, timeout: float, on_wait: Callable[[int], None] | None = None) -> int:
        """Wait until no feature has a send queued and due, at most `timeout` seconds; what is
        still queued then (0: all sent). `on_wait` hears the count while it waits. A piped
        console calls it so a short script loses no work."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pending = 0
            for feature in self.features:
                if feature.pending is not None:
                    pending += await feature.pending(self.services)
            if pending == 0 or loop.time() >= deadline:
                return pending
            if on_wait is not None:
                on_wait(pending)
            await asyncio.sleep(SETTLE_POLL)

    async def stop_features(self) -> None:
        """Let features finish in-flight work (sends) while the adapters are still up; the
        CLI calls it before stopping the adapters, `close` again (it runs once)."""
        if self._features_stopped or not self._started:
            return
        self._features_stopped = True
        self.services.scheduler.shutdown()
        for feature in self.features:
            if feature.on_stop is not None:
                await feature.on_stop(self.services)

    async def close(self) -> None:
        await self.stop_features()
        await self.web.stop()
        await self.db.close()

    async def __aenter__(self) -> BotApp:
        try:
            await self.start()
        except BaseException:  # e.g. a database that cannot be opened: release the engine
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
