"""The outbox's rows: one per destination of a confirmed announcement, their states, and the
value the courier works with (commands/announce/store/outbox.py moves them between states)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from bot.identity import ChannelRef
from bot.leases import LeasedTable
from bot.storage.schema import UTCDateTime, metadata

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
TO_WITHDRAW, WITHDRAWING, WITHDRAWN, KEPT, CANCELLED = (
    "to_withdraw",
    "withdrawing",
    "withdrawn",
    "kept",
    "cancelled",
)
UNSETTLED = (PENDING, SENDING, TO_WITHDRAW, WITHDRAWING)
QUEUED = (PENDING, TO_WITHDRAW)  # waiting for the courier
IN_FLIGHT = {PENDING: SENDING, TO_WITHDRAW: WITHDRAWING}  # claimed state of a queued row
QUEUED_AGAIN = {SENDING: PENDING, WITHDRAWING: TO_WITHDRAW}
GIVEN_UP = {SENDING: FAILED, WITHDRAWING: KEPT}

deliveries = Table(
    "announcement_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "announcement_id",
        Integer,
        ForeignKey("announcements.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("agency_id", Integer, ForeignKey("agencies.id", ondelete="SET NULL"), nullable=True),
    Column("agency_name", String(120), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("last_error", String(300), nullable=True),
    Column("message_id", String(200), nullable=True),
    Column("sent_at", UTCDateTime(), nullable=True),
    # Which process holds the row (reserved or in flight), until when (bot/leases.py).
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    # Copies that went out twice after all, space-separated: withdrawn with the row.
    Column("extra_message_ids", Text, nullable=True),
    UniqueConstraint(
        "announcement_id", "platform", "workspace", "channel_id", name="uq_deliveries_dest"
    ),
    Index("ix_deliveries_queue", "state", "next_attempt_at"),
)
c = deliveries.c
LEASED = LeasedTable("announce", deliveries, c.id, c.lease_owner, c.lease_until)
EXTRA_SEPARATOR = " "


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    announcement_id: int
    agency_id: int | None
    agency_name: str
    ref: ChannelRef
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    message_id: str | None
    extra_message_ids: tuple[str, ...] = ()

    @property
    def in_doubt(self) -> bool:
        """Reserved while in flight: its previous owner died during the platform call."""
        return self.state in QUEUED_AGAIN

    @property
    def key(self) -> str:
        """The logical name of this copy, for the platform's duplicate check."""
        return f"announce:{self.announcement_id}:{self.id}"

    @property
    def copies(self) -> tuple[str, ...]:
        """Every message id of this destination: the copy and any extra one."""
        return (*((self.message_id,) if self.message_id else ()), *self.extra_message_ids)


def delivery_of(r: object) -> Delivery:
    return Delivery(
        r.id,  # type: ignore[attr-defined]
        r.announcement_id,  # type: ignore[attr-defined]
        r.agency_id,  # type: ignore[attr-defined]
        r.agency_name,  # type: ignore[attr-defined]
        ChannelRef(r.platform, r.workspace, r.channel_id),  # type: ignore[attr-defined]
        r.state,  # type: ignore[attr-defined]
        r.attempts,  # type: ignore[attr-defined]
        r.next_attempt_at,  # type: ignore[attr-defined]
        r.last_error,  # type: ignore[attr-defined]
        r.message_id,  # type: ignore[attr-defined]
        tuple((r.extra_message_ids or "").split()),  # type: ignore[attr-defined]
    )
