"""The outbox's hot statements, built once at import (building one costs more than running
it). Each transition is guarded by the state it leaves and by the lease of the process holding
the row; see commands/announce/store/outbox.py."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, case, column, func, or_, select, table

from bot.storage.schema import UTCDateTime
from commands.announce.store.outbox_rows import (
    CANCELLED,
    EXTRA_SEPARATOR,
    KEPT,
    QUEUED,
    QUEUED_AGAIN,
    SENDING,
    SENT,
    TO_WITHDRAW,
    WITHDRAWN,
    c,
    deliveries,
)

PLATFORMS = bindparam("b_platforms", expanding=True)
NOW = bindparam("b_now", type_=UTCDateTime())
LAPSED = or_(c.lease_until.is_(None), c.lease_until < NOW)
# Due: queued for now, or in flight for a process whose lease lapsed (in doubt); and not held.
WAITING = or_(
    and_(c.state.in_(QUEUED), c.next_attempt_at <= NOW),
    c.state.in_(tuple(QUEUED_AGAIN)),
)
RESERVABLE = (
    select(deliveries)
    .where(
        c.announcement_id == bindparam("b_ann"),
        WAITING,
        LAPSED,
        c.platform.in_(PLATFORMS),
    )
    .order_by(c.next_attempt_at, c.id)
    .limit(bindparam("b_limit"))
    # PostgreSQL: rows another process is reserving are skipped, not waited for. SQLite
    # ignores it: its writes are serialised (BEGIN IMMEDIATE).
    .with_for_update(skip_locked=True)
)
RESERVE = (
    deliveries.update()
    .where(c.id.in_(bindparam("b_ids", expanding=True)))
    .values(lease_owner=bindparam("b_owner"), lease_until=bindparam("b_until", type_=UTCDateTime()))
)
# When the next row can be reserved: a queued row at its next attempt, a row another process
# holds when its lease ends (it is taken over if the lease lapses).
HELD = and_(c.lease_until.is_not(None), c.lease_until > NOW)
NEXT_DUE = select(func.min(case((HELD, c.lease_until), else_=c.next_attempt_at))).where(
    c.announcement_id == bindparam("b_ann"),
    or_(c.state.in_(QUEUED), and_(c.state.in_(tuple(QUEUED_AGAIN)), c.lease_until.is_not(None))),
    c.platform.in_(PLATFORMS),
)
MINE = c.lease_owner == bindparam("b_owner")
CLAIM = (
    deliveries.update()
    .where(c.id == bindparam("b_id"), c.state == bindparam("b_from"), MINE)
    .values(state=bindparam("b_to"), attempts=c.attempts + 1)
)
# The announcement's state, read inside the UPDATE that marks a copy sent: a withdrawal that
# raced this send is seen atomically, and the copy is queued for deletion at once.
_announcements = table("announcements", column("id"), column("state"))
_announcement_state = (
    select(_announcements.c.state).where(_announcements.c.id == c.announcement_id).scalar_subquery()
)
WITHDRAWN_ANN = _announcement_state == "withdrawn"
MARK_SENT = (
    deliveries.update()
    .where(c.id == bindparam("b_id"), c.state == SENDING, MINE)
    .values(
        state=case((WITHDRAWN_ANN, TO_WITHDRAW), else_=SENT),
        attempts=case((WITHDRAWN_ANN, 0), else_=c.attempts),
        message_id=bindparam("b_message"),
        sent_at=NOW,
        next_attempt_at=NOW,
        last_error=None,
        lease_owner=None,
        lease_until=None,
    )
)
# A copy this process got out after losing the row (its lease lapsed): kept for withdrawal,
# at once when the announcement is withdrawn and the row is already settled.
EXTRA = (
    deliveries.update()
    .where(
        c.id == bindparam("b_id"),
        func.coalesce(c.message_id, "") != bindparam("b_message"),
    )
    .values(
        extra_message_ids=func.trim(
            func.coalesce(c.extra_message_ids, "") + EXTRA_SEPARATOR + bindparam("b_message")
        ),
        state=case(
            (and_(WITHDRAWN_ANN, c.state.in_((WITHDRAWN, KEPT, CANCELLED))), TO_WITHDRAW),
            else_=c.state,
        ),
        next_attempt_at=NOW,
    )
)
SETTLE = (
    deliveries.update()
    .where(c.id == bindparam("b_id"), c.state == bindparam("b_from"), MINE)
    .values(
        state=bindparam("b_to"),
        last_error=bindparam("b_error"),
        next_attempt_at=bindparam("b_next", type_=UTCDateTime()),
        lease_owner=None,
        lease_until=None,
    )
)
COUNTS = (
    select(c.platform, c.state, func.count().label("n"))
    .where(c.announcement_id == bindparam("b_ann"))
    .group_by(c.platform, c.state)
)
