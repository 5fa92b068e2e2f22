"""The typed bag of dependencies handlers receive through `ctx.services`.

The core's own services are fields. Each feature's stores are registered at start, by type,
so the core names none of them: `ctx.services.get(EventRepo)`. A feature that reads another
feature's data imports that feature's store class, which keeps the arrow explicit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.clock import Clock
from bot.config import Config
from bot.directory import Directory
from bot.federation import Federation
from bot.home import HomeChanges
from bot.leases import Leases
from bot.metrics import Metrics
from bot.native_events import NativeCalendars
from bot.outbound import Outbound
from bot.pacing import Pacer
from bot.registry import Registry
from bot.scheduler import Scheduler
from bot.secret_box import SecretBox
from bot.signing import Signer
from bot.storage.agencies import AgencyRepo
from bot.storage.database import Database
from bot.storage.deliveries import DeliveryLedger
from bot.storage.members import MemberRepo
from bot.storage.runs import RunLedger

T = TypeVar("T")


@dataclass
class Services:
    config: Config
    db: Database
    clock: Clock
    registry: Registry
    outbound: Outbound
    scheduler: Scheduler
    instance_id: str  # who claims scheduled runs in the ledger (host:pid:random)
    agencies: AgencyRepo
    members: MemberRepo
    runs: RunLedger
    leases: Leases  # what this process has claimed, renewed by its heartbeat
    pacer: Pacer  # the platforms' rate-limit budgets (shared by the processes on PostgreSQL)
    federation: Federation  # who belongs: listed and approved workspaces
    deliveries: DeliveryLedger  # platform deliveries already handled (retries, replays)
    signer: Signer  # tags on button values that must be the bot's own (keyed at start)
    secret_box: SecretBox  # encrypts the tokens the bot stores (FEDBOT_SECRET_KEY)
    calendars: NativeCalendars  # platforms' own calendars (Discord scheduled events)
    home: HomeChanges  # features say whose home changed; platforms showing homes listen
    metrics: Metrics = field(default_factory=Metrics)  # what /metrics shows (bot.metrics)
    # Users' groups as the running adapters see them, for callers that come from no chat event.
    directory: Directory = field(default_factory=Directory)
    _stores: dict[type, Any] = field(default_factory=dict, repr=False)

    def provide(self, store: object) -> None:
        """Register a feature's store under its class (once)."""
        kind = type(store)
        if kind in self._stores:
            raise ValueError(f"{kind.__name__} is provided twice")
        self._stores[kind] = store

    def get(self, kind: type[T]) -> T:
        """The store of that class; a feature not loaded is a programming error."""
        try:
            return self._stores[kind]  # type: ignore[no-any-return]
        except KeyError:
            raise LookupError(f"no {kind.__name__}: is its feature in the list?") from None
