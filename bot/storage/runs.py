"""The run ledger: exactly-once for scheduled sends (digests, reminders, matching rounds).

Before sending, a job claims its run under a unique key (`digest:12:2026-12-07T08:00Z`): the
unique constraint means a second process, a restart or a retried job cannot claim it again.
The claim is a lease (bot/leases.py): its owner's heartbeat renews it while the run goes on.
After sending, the run is finished. A run whose owner died (the lease lapsed, never finished)
can be claimed again under the same key by any process — that claim is `in_doubt`: the send
may have reached the platform already, so it is made with the run's delivery key and checked
first (bot/outbound.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, Integer, String, Table, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.leases import LeasedTable, Leases
from bot.retention import RetentionRule, purge_older, register_retention
from bot.spec import L10n
from bot.storage.database import Database
from bot.storage.schema import UTCDateTime, metadata

if TYPE_CHECKING:
    from bot.services import Services

scheduled_runs = Table(
    "scheduled_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("claimed_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("outcome", String(32), nullable=True),  # sent, skipped, failed
    Column("detail", String(400), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),  # NULL: claimed before leases
    Column("attempts", Integer, nullable=False, server_default="1"),
)
c = scheduled_runs.c
LEASED = LeasedTable("runs", scheduled_runs, c.key, c.owner, c.lease_until)


@dataclass(frozen=True, slots=True)
class Run:
    key: str
    kind: str
    owner: str
    claimed_at: datetime
    finished_at: datetime | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class RunClaim:
    key: str
    in_doubt: bool  # taken over from an owner that died: its send may have gone out
    attempt: int = 1  # a run left unfinished (its owner died, or a send failed for now) is
    # claimed again: the second attempt, the third…


class RunLedger:
    def __init__(self, db: Database, leases: Leases) -> None:
        self.db = db
        self.leases = leases
        leases.register(LEASED)

    def _lapsed(self, now: datetime):  # type: ignore[no-untyped-def]
        """Unfinished, and its lease lapsed (a claim made before leases: by its age)."""
        return and_(
            c.finished_at.is_(None),
            or_(
                c.lease_until < now,
                and_(c.lease_until.is_(None), c.claimed_at < now - self.leases.ttl),
            ),
        )

    async def claim(self, key: str, kind: str, owner: str, now: datetime) -> RunClaim | None:
        """The run, now this caller's; None if it is finished or another live owner has it."""
        until = self.leases.until(now)
        try:
            async with self.db.write() as conn:
                await conn.execute(
                    scheduled_runs.insert().values(
                        key=key, kind=kind, owner=owner, claimed_at=now, lease_until=until
                    )
                )
            return RunClaim(key, in_doubt=False)
        except IntegrityError:
            pass

        async def take_over(conn: AsyncConnection) -> int | None:
            statement = (
                scheduled_runs.update()
                .where(c.key == key, self._lapsed(now))
                .values(owner=owner, lease_until=until, attempts=c.attempts + 1)
                .returning(c.attempts)
            )
            return (await conn.execute(statement)).scalar()

        attempt = await self.db.transact(take_over)
        if attempt is None:
            return None
        self.leases.took_over(kind)
        return RunClaim(key, in_doubt=True, attempt=attempt)

    @asynccontextmanager
    async def claimed(
        self, key: str, kind: str, owner: str, now: datetime
    ) -> AsyncIterator[RunClaim | None]:
        """`claim`, its lease renewed by the heartbeat until the block ends."""
        claim = await self.claim(key, kind, owner, now)
        if claim is None:
            yield None
            return
        with self.leases.holding(LEASED.name, [key]):
            yield claim

    async def finish(
        self, key: str, now: datetime, outcome: str = "sent", detail: str = ""
    ) -> None:
        statement = (
            scheduled_runs.update()
            .where(c.key == key)
            .values(finished_at=now, outcome=outcome, detail=detail[:400] or None, lease_until=None)
        )

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(statement)

        await self.db.transact(work)

    async def get(self, key: str) -> Run | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(scheduled_runs).where(c.key == key))).first()
        return _run(row) if row else None

    async def unfinished(self, kind: str) -> list[Run]:
        """Runs claimed and not finished yet (being sent, or their owner died)."""
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(scheduled_runs)
                    .where(c.kind == kind, c.finished_at.is_(None))
                    .order_by(c.claimed_at)
                )
            ).all()
        return [_run(r) for r in rows]

    async def lapsed(self, kind: str, now: datetime) -> list[Run]:
        """Runs whose owner died before finishing them: to be claimed again and resumed."""
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(scheduled_runs)
                    .where(c.kind == kind, self._lapsed(now))
                    .order_by(c.claimed_at)
                )
            ).all()
        return [_run(r) for r in rows]


def _run(row: object) -> Run:
    return Run(
        row.key,
        row.kind,
        row.owner,
        row.claimed_at,
        row.finished_at,
        row.outcome,  # type: ignore[attr-defined]
    )


async def _purge_ledger(services: Services, cutoff: datetime, dry_run: bool) -> int:
    return await purge_older(services, scheduled_runs, "finished_at", cutoff, dry_run)


register_retention(
    RetentionRule(
        "core.ledger",
        L10n(
            "le registre des envois programmés (rappels, récaps, rencontres) déjà faits",
            "the ledger of scheduled sends (reminders, digests, rounds) already made",
        ),
        "ledger_days",
        _purge_ledger,
    )
)
