"""Tables of the events aggregate: events, their tags, RSVPs, announcements, reminders, and
their mirrors in platforms' own calendars (Discord scheduled events) with the interest shown
there.

People are referenced through `members.id` with ON DELETE CASCADE (erasing a member removes
their RSVPs and reminders); the creator of an event is SET NULL instead, because erasing one
organiser must not delete an event other people have answered.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from bot.storage.schema import UTCDateTime, member_ref, metadata

SCHEDULED, CANCELLED = "scheduled", "cancelled"
GOING, MAYBE, NOT_GOING, WAITLISTED = "going", "maybe", "not_going", "waitlisted"
# A mirror: being created (or in doubt after a crash), linked to the platform's event, cancelled
# with its event, failed (retried later), or unlinked (deleted by hand, left alone).
CREATING, LINKED, MIRROR_CANCELLED, FAILED, UNLINKED = (
    "creating",
    "linked",
    "cancelled",
    "failed",
    "unlinked",
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String(64), nullable=False, unique=True),  # iCalendar UID, never changes
    Column("series_id", Integer, nullable=True, index=True),
    Column("title", String(150), nullable=False),
    Column("description", String(2000), nullable=False, server_default=""),
    Column("place", String(200), nullable=False, server_default=""),
    Column("link", String(300), nullable=False, server_default=""),
    Column(
        "agency_id",
        Integer,
        ForeignKey("agencies.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    Column("audience", String(8), nullable=False, server_default="agency"),
    Column("tags", String(400), nullable=False, server_default=""),
    Column("capacity", Integer, nullable=True),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=True),
    # ends_at, or starts_at when there is no end: "upcoming" means "not finished yet".
    Column("finishes_at", UTCDateTime(), nullable=False),
    Column("status", String(12), nullable=False, server_default=SCHEDULED),
    Column("sequence", Integer, nullable=False, server_default="0"),
    member_ref("created_by", keep_row=True),
    Column("source_key", String(80), nullable=True, unique=True),  # e.g. demo slugs
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_events_status_starts_at", "status", "starts_at"),
)

event_tags = Table(
    "event_tags",
    metadata,
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("tag", String(30), nullable=False),
    PrimaryKeyConstraint("event_id", "tag", name="pk_event_tags"),
    Index("ix_event_tags_tag_event", "tag", "event_id"),
)

event_rsvps = Table(
    "event_rsvps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    member_ref("member_id", index=True),
    Column("status", String(12), nullable=False),
    Column("answered_at", UTCDateTime(), nullable=False),
    # Waitlist order, first come first in: a counter per event taken under the event's lock
    # (timestamps tie when two answers share a clock tick).
    Column("queue_no", Integer, nullable=False, server_default="0"),
    UniqueConstraint("event_id", "member_id", name="uq_event_rsvps_event_member"),
    Index("ix_event_rsvps_event_status", "event_id", "status", "queue_no"),
    Index("ix_event_rsvps_answered_at", "answered_at", "member_id"),  # who was active when
)

event_posts = Table(
    "event_posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "event_id",
        Integer,
        ForeignKey("events.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("posted_at", UTCDateTime(), nullable=False),
)

event_reminders = Table(
    "event_reminders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    member_ref("member_id", index=True),
    Column("offset_minutes", Integer, nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("done_at", UTCDateTime(), nullable=True),
    Column("outcome", String(16), nullable=True),  # sent, failed, late, superseded, …
    UniqueConstraint(
        "event_id", "member_id", "offset_minutes", name="uq_event_reminders_event_member"
    ),
    Index("ix_event_reminders_pending", "done_at", "due_at"),
)

# What is left of the RSVPs of an event past `privacy.rsvp_months`: counts, nobody's name.
event_attendance = Table(
    "event_attendance",
    metadata,
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("going", Integer, nullable=False, server_default="0"),
    Column("maybe", Integer, nullable=False, server_default="0"),
    Column("not_going", Integer, nullable=False, server_default="0"),
    Column("waitlisted", Integer, nullable=False, server_default="0"),
)

event_mirrors = Table(
    "event_mirrors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("mirror_id", String(64), nullable=True),  # the platform's id, once it gave one
    Column("state", String(12), nullable=False),
    Column("detail", String(200), nullable=False, server_default=""),  # why it failed
    Column("updated_at", UTCDateTime(), nullable=False),
    # One mirror per event and workspace: what makes "never duplicated" a constraint.
    UniqueConstraint("event_id", "platform", "workspace", name="uq_event_mirrors_event_place"),
    Index("ix_event_mirrors_mirror", "platform", "workspace", "mirror_id"),
)

event_interest = Table(
    "event_interest",
    metadata,
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    member_ref("member_id", index=True),
    # True while the member's answer is the "maybe" their interest gave; False once they
    # answered themselves (withdrawing the interest then leaves their answer alone).
    Column("answered", Boolean, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("event_id", "member_id", name="pk_event_interest"),
)
