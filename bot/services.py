"""The typed bag of dependencies handlers receive through `ctx.services`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Config
from bot.federation import Federation
from bot.outbound import Outbound
from bot.registry import Registry
from bot.scheduler import Scheduler
from bot.signing import Signer
from bot.storage.agencies import AgencyRepo
from bot.storage.announcements import AnnouncementRepo
from bot.storage.database import Database
from bot.storage.deliveries import DeliveryLedger
from bot.storage.digests import DigestRepo
from bot.storage.events import EventRepo
from bot.storage.faq import FaqRepo
from bot.storage.members import MemberRepo
from bot.storage.profiles import ProfileRepo
from bot.storage.runs import RunLedger


@dataclass
class Services:
    """Features add their repository here (one typed field each) and build it in BotApp."""

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
    federation: Federation  # who belongs: listed and approved workspaces
    deliveries: DeliveryLedger  # platform deliveries already handled (retries, replays)
    signer: Signer  # tags on button values that must be the bot's own (keyed at start)
    events: EventRepo
    announcements: AnnouncementRepo
    digests: DigestRepo
    profiles: ProfileRepo  # and .matching: introductions, rounds, answers
    faq: FaqRepo  # entries + the in-memory search index; .activity: asks, feedback
