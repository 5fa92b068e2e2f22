"""The typed bag of dependencies handlers receive through `ctx.services`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Config
from bot.outbound import Outbound
from bot.registry import Registry
from bot.storage.agencies import AgencyRepo
from bot.storage.database import Database


@dataclass
class Services:
    config: Config
    db: Database
    clock: Clock
    registry: Registry
    outbound: Outbound
    agencies: AgencyRepo
