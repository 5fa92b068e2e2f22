"""Scheduled digests: what moderators configured for a channel, and how its last run went.

The database is the source of truth for the schedules: the feature rebuilds its APScheduler
jobs from these rows at every start. Whether a given run was sent is not recorded here but in
the run ledger (bot/storage/runs.py), under a unique key per run; the `last_*` columns only
say what the channel last received, so the next digest covers what happened since.

The creator is referenced through `members.id` with ON DELETE SET NULL, not CASCADE: erasing a
moderator (GDPR) must not silently stop the digest an agency's channel relies on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    case,
    false,
    func,
    select,
)

from bot.identity import ChannelRef
from bot.storage.database import Database
from bot.storage.ids import fresh_id
from bot.storage.schema import UTCDateTime, member_ref, metadata

SENT, EMPTY = "sent", "empty"  # outcomes that count as "the channel got its digest"

digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(200), nullable=False),  # platform:workspace:channel
    Column("schedule", String(120), nullable=False),  # Schedule.to_text(), pinned
    Column("lang", String(8), nullable=False),
    Column("sections", String(200), nullable=False),  # comma list, in display order
    Column("days", Integer, nullable=False),  # upcoming events: this many days ahead
    Column("scope", String(8), nullable=False),  # agency, region or all
    Column("skip_empty", Boolean, nullable=False),
    Column("title", String(150), nullable=True),
    Column("paused", Boolean, nullable=False, server_default=false()),
    member_ref("created_by", keep_row=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Runs before this moment are never caught up (created, schedule changed, resumed).
    Column("active_since", UTCDateTime(), nullable=False),
    # The latest run the channel received (its scheduled time; a manual run's own time).
    Column("last_run_at", UTCDateTime(), nullable=True),
    Column("last_outcome", String(16), nullable=True),  # sent, empty, failed, missed
    Column("last_finished_at", UTCDateTime(), nullable=True),
    Index("ix_digests_channel", "channel"),
)

D = digests.c
_GET = select(digests).where(D.id == bindparam("b_id"))
_ACTIVE = select(digests).where(D.paused.is_(False)).order_by(D.id)
_IN_CHANNELS = select(digests).where(D.channel.in_(bindparam("b_channels", expanding=True)))
_ALL = select(digests).order_by(D.id).limit(bindparam("b_limit"))
_COUNT_ALL = select(func.count()).select_from(digests)
_COUNT_IN_CHANNEL = select(func.count()).where(D.channel == bindparam("b_channel"))
_AT = bindparam("b_at", type_=UTCDateTime())
_NOTE = digests.update().where(D.id == bindparam("b_id"))
_RECORD_OUTCOME = _NOTE.values(
    last_outcome=bindparam("b_outcome"), last_finished_at=bindparam("b_now", type_=UTCDateTime())
)
# The channel's latest digest only moves forward: a resumed older run finishing after a newer
# one must not make the next digest repeat what the newer one said.
_RECORD_DELIVERED = _NOTE.values(
    last_run_at=case((D.last_run_at.is_(None) | (D.last_run_at < _AT), _AT), else_=D.last_run_at),
    last_outcome=bindparam("b_outcome"),
    last_finished_at=bindparam("b_now", type_=UTCDateTime()),
)


@dataclass(frozen=True, slots=True)
class DigestFields:
    """What a moderator decides about a digest."""

    channel: ChannelRef
    schedule: str  # canonical text of a bot.schedules.Schedule
    lang: str
    sections: tuple[str, ...]
    days: int
    scope: str  # agency, region, all
    skip_empty: bool = True
    title: str | None = None


@dataclass(frozen=True, slots=True)
class DigestConfig:
    id: int
    fields: DigestFields
    paused: bool
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    active_since: datetime
    last_run_at: datetime | None
    last_outcome: str | None
    last_finished_at: datetime | None

    @property
    def channel(self) -> ChannelRef:
        return self.fields.channel


def _values(s: DigestFields) -> dict[str, object]:
    return {
        "channel": str(s.channel),
        "schedule": s.schedule,
        "lang": s.lang,
        "sections": ",".join(s.sections),
        "days": s.days,
        "scope": s.scope,
        "skip_empty": s.skip_empty,
        "title": s.title,
    }


def _digest(row: object) -> DigestConfig:
    r = row._mapping  # type: ignore[attr-defined]
    fields = DigestFields(
        channel=ChannelRef.parse(r["channel"]),
        schedule=r["schedule"],
        lang=r["lang"],
        sections=tuple(s for s in r["sections"].split(",") if s),
        days=r["days"],
        scope=r["scope"],
        skip_empty=bool(r["skip_empty"]),
        title=r["title"],
    )
    return DigestConfig(
        r["id"],
        fields,
        bool(r["paused"]),
        r["created_by"],
        r["created_at"],
        r["updated_at"],
        r["active_since"],
        r["last_run_at"],
        r["last_outcome"],
        r["last_finished_at"],
    )


class DigestRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self, fields: DigestFields, created_by: int | None, now: datetime
    ) -> DigestConfig:
        values = _values(fields) | {
            "paused": False,
            "created_by": created_by,
            "created_at": now,
            "updated_at": now,
            "active_since": now,
        }
        async with self.db.write() as conn:
            if (fresh := await fresh_id(conn, digests)) is not None:
                values["id"] = fresh  # SQLite: never a deleted digest's number
            result = await conn.execute(digests.insert().values(**values))
        created = await self.get(int(result.inserted_primary_key[0]))
        assert created is not None
        return created

    async def get(self, digest_id: int) -> DigestConfig | None:
        async with self.db.read() as conn:
            row = (await conn.execute(_GET, {"b_id": digest_id})).first()
        return _digest(row) if row else None

    async def active(self) -> list[DigestConfig]:
        """Every digest that is not paused (the jobs to rebuild on start)."""
        async with self.db.read() as conn:
            return [_digest(r) for r in await conn.execute(_ACTIVE)]

    async def in_channels(self, channels: Iterable[ChannelRef]) -> list[DigestConfig]:
        refs = sorted({str(c) for c in channels})
        if not refs:
            return []
        async with self.db.read() as conn:
            rows = await conn.execute(_IN_CHANNELS, {"b_channels": refs})
            return sorted((_digest(r) for r in rows), key=lambda d: d.id)

    async def first(self, limit: int) -> tuple[list[DigestConfig], int]:
        """The `limit` oldest digests, and how many there are in all."""
        async with self.db.read() as conn:
            rows = (await conn.execute(_ALL, {"b_limit": limit})).all()
            total = (await conn.execute(_COUNT_ALL)).scalar_one()
        return [_digest(r) for r in rows], int(total)

    async def count_in_channel(self, channel: ChannelRef) -> int:
        async with self.db.read() as conn:
            found = await conn.execute(_COUNT_IN_CHANNEL, {"b_channel": str(channel)})
            return int(found.scalar_one())

    async def update(
        self, digest_id: int, fields: DigestFields, now: datetime, *, restart: bool
    ) -> DigestConfig | None:
        """Save edited settings; `restart` (a new schedule) forgets runs missed before now."""
        values = _values(fields) | {"updated_at": now}
        if restart:
            values["active_since"] = now
        return await self._change(digest_id, values)

    async def set_paused(self, digest_id: int, paused: bool, now: datetime) -> DigestConfig | None:
        """Pause or resume. Resuming never catches up the runs skipped while paused."""
        values: dict[str, object] = {"paused": paused, "updated_at": now}
        if not paused:
            values["active_since"] = now
        return await self._change(digest_id, values)

    async def _change(self, digest_id: int, values: dict[str, object]) -> DigestConfig | None:
        async with self.db.write() as conn:
            result = await conn.execute(digests.update().where(D.id == digest_id).values(**values))
        return await self.get(digest_id) if result.rowcount else None

    async def delete(self, digest_id: int) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(digests.delete().where(D.id == digest_id))
        return result.rowcount > 0

    async def record_run(
        self, digest_id: int, run_at: datetime, outcome: str, now: datetime
    ) -> None:
        """Note how a run ended; sent and empty runs move the start of the next digest."""
        params = {"b_id": digest_id, "b_at": run_at, "b_outcome": outcome, "b_now": now}
        stmt = _RECORD_DELIVERED if outcome in (SENT, EMPTY) else _RECORD_OUTCOME
        async with self.db.write() as conn:
            await conn.execute(stmt, params)
