"""The dashboard's section of a member's data export: when they signed in, and on which
platform. Never a token: the database holds only their hashes, and the export not even those.
Erasure needs nothing here: sessions reference `members.id` ON DELETE CASCADE."""

from __future__ import annotations

from typing import Any

from bot.privacy import register_exporter
from bot.services import Services
from commands.dashboard.store.sessions import SessionStore


async def export_sessions(services: Services, member_id: int) -> dict[str, Any]:
    return {"sessions": await services.get(SessionStore).of_member(member_id)}


register_exporter("dashboard", export_sessions, tables=("dashboard_sessions",))
