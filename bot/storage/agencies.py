"""Agencies of the federation and the channels (on any platform) that belong to them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from bot.identity import ChannelRef
from bot.options import fold
from bot.storage.changes import bump
from bot.storage.database import Database
from bot.storage.schema import UTCDateTime, metadata

agencies = Table(
    "agencies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("name_key", String(120), nullable=False, unique=True),
    Column("region", String(80), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The change counter (`bot.storage.changes`) of the agencies' names and regions.
CHANGES = "agencies"

agency_channels = Table(
    "agency_channels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("agency_id", Integer, ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("tags", String(400), nullable=False, server_default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "workspace", "channel_id", name="uq_agency_channels_ref"),
)


# Built once: constructing a SELECT costs more than running it on SQLite.
_LIST_ALL = (
    select(
        agencies.c.id,
        agencies.c.name,
        agencies.c.region,
        func.count(agency_channels.c.id).label("n"),
    )
    .select_from(agencies.outerjoin(agency_channels))
    .group_by(agencies.c.id)
    .order_by(agencies.c.region, agencies.c.name_key)
)
_LIST_IN_REGION = _LIST_ALL.where(func.lower(agencies.c.region) == bindparam("region"))


@dataclass(frozen=True, slots=True)
class Agency:
    id: int
    name: str
    region: str
    channel_count: int = 0


@dataclass(frozen=True, slots=True)
class AgencyChannel:
    agency_id: int
    agency_name: str
    region: str
    ref: ChannelRef
    tags: tuple[str, ...]


def name_key(name: str) -> str:
    """Agencies are found whatever the case and accents: "Nantes Métropole" = "nantes metropole"."""
    return " ".join(fold(name).split())


class AgencyRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, name: str, region: str, now: datetime) -> tuple[Agency, bool]:
        """Create an agency, or update its region; returns (agency, created)."""
        key = name_key(name)
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    select(agencies.c.id, agencies.c.region).where(agencies.c.name_key == key)
                )
            ).first()
            if row is not None:
                if row.region != region:  # seeded at every start: unchanged rows stay untouched
                    await conn.execute(
                        agencies.update().where(agencies.c.id == row.id).values(region=region)
                    )
                    await bump(conn, CHANGES, now)
                return Agency(row.id, name, region), False
            result = await conn.execute(
                agencies.insert().values(name=name, name_key=key, region=region, created_at=now)
            )
            await bump(conn, CHANGES, now)
            return Agency(result.inserted_primary_key[0], name, region), True

    async def find(self, name: str) -> Agency | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(agencies.c.id, agencies.c.name, agencies.c.region).where(
                        agencies.c.name_key == name_key(name)
                    )
                )
            ).first()
        return Agency(row.id, row.name, row.region) if row else None

    async def get(self, agency_id: int) -> Agency | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(agencies.c.id, agencies.c.name, agencies.c.region).where(
                        agencies.c.id == agency_id
                    )
                )
            ).first()
        return Agency(row.id, row.name, row.region) if row else None

    async def list(self, region: str | None = None) -> list[Agency]:
        async with self.db.read() as conn:
            if region:
                result = await conn.execute(_LIST_IN_REGION, {"region": region.lower()})
            else:
                result = await conn.execute(_LIST_ALL)
            return [Agency(r.id, r.name, r.region, r.n) for r in result]

    async def attach_channel(
        self, agency_id: int, ref: ChannelRef, tags: Iterable[str], now: datetime
    ) -> bool:
        """Attach a channel to an agency (moving it if it belonged to another); True if new."""
        values = {
            "agency_id": agency_id,
            "platform": ref.platform,
            "workspace": ref.workspace,
            "channel_id": ref.channel_id,
            "tags": ",".join(sorted(set(tags))),
            "created_at": now,
        }
        async with self.db.write() as conn:
            existing = (
                await conn.execute(select(agency_channels.c.id).where(*_ref_filter(ref)))
            ).first()
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            stmt = insert(agency_channels).values(**values)
            stmt = stmt.on_conflict_do_update(
                index_elements=["platform", "workspace", "channel_id"],
                set_={"agency_id": agency_id, "tags": values["tags"]},
            )
            await conn.execute(stmt)
        return existing is None

    async def detach_channel(self, ref: ChannelRef) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(agency_channels.delete().where(*_ref_filter(ref)))
        return result.rowcount > 0

    async def channels(
        self,
        *,
        agency_ids: Iterable[int] | None = None,
        region: str | None = None,
        tag: str | None = None,
    ) -> list[AgencyChannel]:
        query = (
            select(agency_channels, agencies.c.name, agencies.c.region)
            .join(agencies)
            .order_by(agencies.c.name_key, agency_channels.c.id)
        )
        if agency_ids is not None:
            query = query.where(agency_channels.c.agency_id.in_(list(agency_ids)))
        if region:
            query = query.where(func.lower(agencies.c.region) == region.lower())
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        found = [
            AgencyChannel(
                r.agency_id,
                r.name,
                r.region,
                ChannelRef(r.platform, r.workspace, r.channel_id),
                tuple(t for t in r.tags.split(",") if t),
            )
            for r in rows
        ]
        return [c for c in found if tag in c.tags] if tag else found

    async def agency_of(self, ref: ChannelRef) -> Agency | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(agencies.c.id, agencies.c.name, agencies.c.region)
                    .join(agency_channels)
                    .where(*_ref_filter(ref))
                )
            ).first()
        return Agency(row.id, row.name, row.region) if row else None


def _ref_filter(ref: ChannelRef) -> tuple:
    c = agency_channels.c
    return (
        c.platform == ref.platform,
        c.workspace == ref.workspace,
        c.channel_id == ref.channel_id,
    )
