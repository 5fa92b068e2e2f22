"""How long each kind of personal data is kept, and the daily job that enforces it.

Features register a rule per kind of data (`register_retention`): which `[privacy]` duration
applies, and a purge that deletes (or anonymises) what is older, returning how many rows went.
The defaults follow the CNIL's guidance for associations: activity logs 13 months, questions
nobody could answer kept while moderators may still use them, RSVPs anonymised some months
after the event, the history of introductions two years. `enforce` runs every day (and
`fedbot privacy purge`, `--dry-run` to see what would go).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Table, and_, func, select

from bot.spec import L10n

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

# (services, cutoff, dry_run) -> rows that are (or would be) deleted or anonymised
Purge = Callable[["Services", datetime, bool], Awaitable[int]]

DAY = timedelta(days=1)
MONTH = timedelta(days=30.44)


@dataclass(frozen=True)
class RetentionRule:
    name: str  # "faq.unanswered"
    what: L10n  # what goes, for people: "questions nobody answered, not asked again"
    setting: str  # its duration in [privacy] ("unanswered_days", "activity_months")
    purge: Purge

    def duration(self, services: Services) -> timedelta:
        value = getattr(services.config.privacy, self.setting)
        return value * (MONTH if self.setting.endswith("_months") else DAY)


_RULES: dict[str, RetentionRule] = {}


def register_retention(rule: RetentionRule) -> None:
    if _RULES.setdefault(rule.name, rule) != rule:
        raise ValueError(f"retention: {rule.name!r} is registered twice")


def rules() -> list[RetentionRule]:
    return [_RULES[name] for name in sorted(_RULES)]


async def purge_older(
    services: Services,
    table: Table,
    column: str,
    cutoff: datetime,
    dry_run: bool,
    *where: ColumnElement[bool],
) -> int:
    """Delete (or count, when dry) the rows of `table` whose `column` is before `cutoff`."""
    condition = and_(table.c[column] < cutoff, *where)
    if dry_run:
        async with services.db.read() as conn:
            query = select(func.count()).select_from(table).where(condition)
            return int((await conn.execute(query)).scalar_one())
    async with services.db.write() as conn:
        return (await conn.execute(table.delete().where(condition))).rowcount


async def enforce(
    services: Services, now: datetime, *, dry_run: bool = False
) -> list[tuple[RetentionRule, int]]:
    """Apply every rule; returns each rule with its count (what would go, when dry)."""
    done = []
    for rule in rules():
        count = await rule.purge(services, now - rule.duration(services), dry_run)
        done.append((rule, count))
        if count and not dry_run:
            log.info("retention %s: %d row(s) past %s", rule.name, count, rule.setting)
    return done
