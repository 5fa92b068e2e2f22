"""How deep the broadcast outbox is: rows not settled yet (queued or in flight), by platform.
Read at each scrape of `/metrics` (`Feature.outbox_depth`); one grouped count on the queue's
index."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select

from bot.metrics import DepthReader
from bot.services import Services
from commands.announce.store.outbox_rows import UNSETTLED, c

_DEPTH = (
    select(c.platform, func.count().label("n")).where(c.state.in_(UNSETTLED)).group_by(c.platform)
)


def outbox_depth(services: Services) -> DepthReader:
    async def read() -> Mapping[str, int]:
        async with services.db.read() as conn:
            return {r.platform: r.n for r in await conn.execute(_DEPTH)}

    return read
