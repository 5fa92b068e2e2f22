"""The run ledger: exactly-once for scheduled sends (digests, reminders, matching rounds).

Before sending, a job claims its run under a unique key (`digest:12:2026-12-07T08:00Z`); the
unique constraint means a second process, a restart or a retried job cannot claim it again.
After sending, the run is marked sent. A run claimed but never marked (the process died
between the two) is "unfinished": `unfinished()` returns it on start so it can be resumed.
The only window left for a duplicate is a crash after the platform accepted the message and
before `mark_sent` committed — a few milliseconds per send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, Integer, String, Table, select
from sqlalchemy.exc import IntegrityError

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
)


@dataclass(frozen=True, slots=True)
class Run:
    key: str
    kind: str
    owner: str
    claimed_at: datetime
    finished_at: datetime | None
    outcome: str | None


class RunLedger:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, key: str, kind: str, owner: str, now: datetime) -> bool:
        """True if this caller now owns the run; False if anyone claimed it before."""
        try:
            async with self.db.write() as conn:
                await conn.execute(
                    scheduled_runs.insert().values(key=key, kind=kind, owner=owner, claimed_at=now)
                )
        except IntegrityError:
            return False
        return True

    async def finish(
        self, key: str, now: datetime, outcome: str = "sent", detail: str = ""
    ) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                scheduled_runs.update()
                .where(scheduled_runs.c.key == key)
                .values(finished_at=now, outcome=outcome, detail=detail[:400] or None)
            )

    async def get(self, key: str) -> Run | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(scheduled_runs).where(scheduled_runs.c.key == key))
            ).first()
        return _run(row) if row else None

    async def unfinished(self, kind: str) -> list[Run]:
        """Runs claimed but never finished: a crash happened between claim and send."""
        c = scheduled_runs.c
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(scheduled_runs)
                    .where(c.kind == kind, c.finished_at.is_(None))
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
