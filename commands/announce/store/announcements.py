"""Staff broadcasts: announcements, their outbox (one row per destination), acks and audit.

The outbox is what makes a broadcast survive crashes. Every destination's row is written in the
same transaction that confirms the announcement, before anything is sent. A row then moves

    pending -> sending -> sent            (or back to pending with a later next_attempt_at,
                       -> failed           or failed for good with the reason)
    sent -> to_withdraw -> withdrawing -> withdrawn   (`announce delete`; or `kept` if the
    pending -> cancelled                               platform refuses, with the reason)

one small transaction per step. A row is claimed (`sending`) right before its send and marked
`sent` right after the platform accepted it, under the lease of the process sending it
(commands/announce/store/outbox.py). After a crash only rows still `sending` are in doubt:
once their lease lapsed another process sends them again, after looking on the platform for
the copy by its delivery key, so nothing is lost and nothing shows twice.

People are referenced through `members.id`. Acknowledgements cascade with the member (GDPR
erasure removes them); an announcement's author and the audit log's actor are set to NULL
instead, so the federation's broadcasts, their copies in agency channels and the record of what
was sent to whom survive the erasure of the staff member who sent them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.identity import ChannelRef
from bot.leases import Leases
from bot.storage.database import Database
from bot.storage.members import members
from bot.storage.schema import UTCDateTime, member_ref, metadata
from commands.announce.store.outbox import Outbox
from commands.announce.store.outbox_rows import UNSETTLED, Delivery


class State:
    """An announcement's states (its outbox rows have their own: see store/outbox.py)."""

    DRAFT = "draft"  # previewed, not confirmed: no outbox row yet
    ACTIVE = "active"  # confirmed: rows being (or scheduled to be) delivered
    DONE = "done"  # every row settled (sent or failed)
    CANCELLED = "cancelled"  # a draft staff cancelled
    WITHDRAWN = "withdrawn"  # `announce delete`: copies deleted, pending sends cancelled


announcements = Table(
    "announcements",
    metadata,
    Column("id", Integer, primary_key=True),
    member_ref("author_id", keep_row=True),
    Column("state", String(16), nullable=False),
    Column("title", String(150), nullable=True),
    Column("body", Text, nullable=False),
    Column("link", String(500), nullable=True),
    Column("audience", String(16), nullable=False),  # all, region, agencies, tag
    Column("target", String(500), nullable=False, server_default=""),
    Column("lang", String(8), nullable=False),
    Column("origin", String(200), nullable=False),  # channel where staff work: progress, alerts
    Column("status_message_id", String(200), nullable=True),
    Column("send_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("confirmed_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("alerted_failures", Integer, nullable=False, server_default="0"),
    Index("ix_announcements_state", "state"),
)

announcement_acks = Table(
    "announcement_acks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "announcement_id",
        Integer,
        ForeignKey("announcements.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("agency_id", Integer, ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False),
    member_ref("member_id"),
    Column("acked_at", UTCDateTime(), nullable=False),
    UniqueConstraint("announcement_id", "agency_id", name="uq_announcement_acks_agency"),
)

# No foreign key to announcements: the log must outlive whatever happens to them.
announcement_audit = Table(
    "announcement_audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("announcement_id", Integer, nullable=False),
    member_ref("actor_id", keep_row=True),
    Column("action", String(16), nullable=False),  # confirm, retry, delete, cancel
    Column("at", UTCDateTime(), nullable=False),
    Column("audience", String(600), nullable=False),
    Column("channels", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Index("ix_announcement_audit_announcement", "announcement_id"),
)


@dataclass(frozen=True, slots=True)
class Announcement:
    id: int
    state: str
    title: str | None
    body: str
    link: str | None
    audience: str
    target: str
    lang: str
    origin: ChannelRef
    status_message_id: str | None
    send_at: datetime | None
    created_at: datetime
    confirmed_at: datetime | None
    finished_at: datetime | None
    alerted_failures: int
    author_id: int | None
    author_name: str | None

    @property
    def content(self) -> str:
        return "\n".join(p for p in (self.title, self.body, self.link) if p)


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a confirmed announcement goes: one agency channel."""

    agency_id: int
    agency_name: str
    ref: ChannelRef


@dataclass(frozen=True, slots=True)
class Ack:
    agency_id: int
    member_name: str | None
    acked_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    announcement_id: int
    actor_name: str | None
    action: str
    at: datetime
    audience: str
    channels: int
    content: str


_ALL = select(announcements, members.c.display_name.label("author_name")).select_from(
    announcements.outerjoin(members, announcements.c.author_id == members.c.id)
)
_GET = _ALL.where(announcements.c.id == bindparam("b_id"))
_LIST = (
    _ALL.where(announcements.c.state != State.DRAFT, announcements.c.state != State.CANCELLED)
    .order_by(announcements.c.id.desc())
    .limit(bindparam("b_limit"))
)


def _announcement(row: object) -> Announcement:
    values = dict(row._mapping)  # type: ignore[attr-defined]
    values["origin"] = ChannelRef.parse(values["origin"])
    return Announcement(**{f.name: values[f.name] for f in fields(Announcement)})


@dataclass(frozen=True, slots=True)
class Draft:
    title: str | None
    body: str
    link: str | None
    audience: str
    target: str
    lang: str
    origin: ChannelRef
    send_at: datetime | None


class AnnouncementRepo:
    """Announcements, acks and the audit log; `outbox` holds the per-destination rows."""

    def __init__(self, db: Database, leases: Leases) -> None:
        self.db = db
        self.outbox = Outbox(db, leases)

    async def create_draft(self, draft: Draft, author_id: int, now: datetime) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(
                announcements.insert().values(
                    author_id=author_id,
                    state=State.DRAFT,
                    title=draft.title,
                    body=draft.body,
                    link=draft.link,
                    audience=draft.audience,
                    target=draft.target,
                    lang=draft.lang,
                    origin=str(draft.origin),
                    send_at=draft.send_at,
                    created_at=now,
                )
            )
        return int(result.inserted_primary_key[0])

    async def get(self, announcement_id: int) -> Announcement | None:
        async with self.db.read() as conn:
            row = (await conn.execute(_GET, {"b_id": announcement_id})).first()
        return _announcement(row) if row else None

    async def in_state(self, state: str) -> list[Announcement]:
        query = _ALL.where(announcements.c.state == state).order_by(announcements.c.id)
        async with self.db.read() as conn:
            return [_announcement(r) for r in await conn.execute(query)]

    async def recent(self, limit: int = 15) -> list[Announcement]:
        async with self.db.read() as conn:
            rows = (await conn.execute(_LIST, {"b_limit": limit})).all()
        return [_announcement(r) for r in rows]

    async def confirm(
        self,
        announcement_id: int,
        destinations: Iterable[Destination],
        actor_id: int,
        origin: ChannelRef,
        now: datetime,
    ) -> bool:
        """Draft -> active, writing every outbox row in the same transaction. False when the
        announcement was no longer a draft (a second click on Confirm changes nothing)."""
        destinations = list(destinations)
        async with self.db.write() as conn:
            row = (await conn.execute(_GET, {"b_id": announcement_id})).first()
            if row is None or row.state != State.DRAFT:
                return False
            ann = _announcement(row)
            first_try = max(ann.send_at, now) if ann.send_at else now
            await self.outbox.insert(conn, announcement_id, destinations, first_try)
            await conn.execute(
                announcements.update()
                .where(announcements.c.id == announcement_id)
                .values(state=State.ACTIVE, confirmed_at=now, origin=str(origin))
            )
            await _audit(conn, ann, actor_id, "confirm", now, len(destinations))
        return True

    async def cancel_draft(self, announcement_id: int) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(
                announcements.update()
                .where(announcements.c.id == announcement_id, announcements.c.state == State.DRAFT)
                .values(state=State.CANCELLED)
            )
        return result.rowcount > 0

    async def retry_failed(self, ann: Announcement, actor_id: int, now: datetime) -> int:
        """Failed rows are pending again (attempts start over); the announcement is active."""
        async with self.db.write() as conn:
            count = await self.outbox.requeue_failed(conn, ann.id, now)
            if count:
                await conn.execute(
                    announcements.update()
                    .where(announcements.c.id == ann.id, announcements.c.state == State.DONE)
                    .values(state=State.ACTIVE, finished_at=None)
                )
                await _audit(conn, ann, actor_id, "retry", now, count)
        return count

    async def withdraw(self, ann: Announcement, actor_id: int, now: datetime) -> tuple[int, int]:
        """Stop sending and queue the deletion of every posted copy: (cancelled, to delete).
        A copy being sent right now is queued for deletion as soon as it is marked sent."""
        async with self.db.write() as conn:
            cancelled, queued = await self.outbox.withdraw_all(conn, ann.id, now)
            await conn.execute(
                announcements.update()
                .where(announcements.c.id == ann.id)
                .values(state=State.WITHDRAWN, finished_at=None)
            )
            await _audit(conn, ann, actor_id, "delete", now, cancelled + queued)
        return cancelled, queued

    async def set_status_message(self, announcement_id: int, message_id: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                announcements.update()
                .where(announcements.c.id == announcement_id)
                .values(status_message_id=message_id[:200])
            )

    async def settle(self, announcement_id: int, now: datetime) -> bool:
        """Active -> done once no row is left to send; True if it changed."""
        busy = (
            select(func.count())
            .select_from(self.outbox.table)
            .where(
                self.outbox.table.c.announcement_id == announcement_id,
                self.outbox.table.c.state.in_(UNSETTLED),
            )
            .scalar_subquery()
        )
        async with self.db.write() as conn:
            result = await conn.execute(
                announcements.update()
                .where(
                    announcements.c.id == announcement_id,
                    announcements.c.state == State.ACTIVE,
                    busy == 0,
                )
                .values(state=State.DONE, finished_at=now)
            )
        return result.rowcount > 0

    async def note_alerted(self, announcement_id: int, failures: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                announcements.update()
                .where(announcements.c.id == announcement_id)
                .values(alerted_failures=failures)
            )

    async def ack(self, delivery: Delivery, member_id: int, now: datetime) -> tuple[bool, Ack]:
        """Record that the delivery's agency acknowledged; (new?, the agency's first ack)."""
        assert delivery.agency_id is not None
        async with self.db.write() as conn:
            found = await _agency_ack(conn, delivery.announcement_id, delivery.agency_id)
            if found is None:
                await conn.execute(
                    announcement_acks.insert().values(
                        announcement_id=delivery.announcement_id,
                        agency_id=delivery.agency_id,
                        member_id=member_id,
                        acked_at=now,
                    )
                )
                found = await _agency_ack(conn, delivery.announcement_id, delivery.agency_id)
                assert found is not None
                return True, found
        return False, found

    async def acks(self, announcement_id: int) -> list[Ack]:
        async with self.db.read() as conn:
            rows = (await conn.execute(_ACKS, {"b_id": announcement_id})).all()
        return [Ack(r.agency_id, r.display_name, r.acked_at) for r in rows]

    async def audit_log(self, announcement_id: int) -> list[AuditEntry]:
        a = announcement_audit.c
        query = (
            select(announcement_audit, members.c.display_name)
            .select_from(announcement_audit.outerjoin(members, a.actor_id == members.c.id))
            .where(a.announcement_id == announcement_id)
            .order_by(a.id)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            AuditEntry(
                r.announcement_id, r.display_name, r.action, r.at, r.audience, r.channels, r.content
            )
            for r in rows
        ]


_ACKS = (
    select(announcement_acks.c.agency_id, announcement_acks.c.acked_at, members.c.display_name)
    .select_from(
        announcement_acks.outerjoin(members, announcement_acks.c.member_id == members.c.id)
    )
    .where(announcement_acks.c.announcement_id == bindparam("b_id"))
    .order_by(announcement_acks.c.acked_at)
)


async def _agency_ack(conn: AsyncConnection, announcement_id: int, agency_id: int) -> Ack | None:
    query = _ACKS.where(announcement_acks.c.agency_id == agency_id)
    row = (await conn.execute(query, {"b_id": announcement_id})).first()
    return Ack(row.agency_id, row.display_name, row.acked_at) if row else None


async def _audit(
    conn: AsyncConnection,
    ann: Announcement,
    actor_id: int,
    action: str,
    now: datetime,
    channels: int,
) -> None:
    audience = f"{ann.audience}:{ann.target}" if ann.target else ann.audience
    await conn.execute(
        announcement_audit.insert().values(
            announcement_id=ann.id,
            actor_id=actor_id,
            action=action,
            at=now,
            audience=audience[:600],
            channels=channels,
            content=ann.content,
        )
    )
