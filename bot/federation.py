"""Who belongs to the federation: the trust boundary every platform crosses in the core.

A caller belongs when their workspace is one of the federation's: listed in config
(`[federation]`), or approved later by an admin (stored). The console is the operator's own
terminal and always belongs. A Discord direct message belongs to no server: it belongs when the
platform says the user is a member of a federation server (`Caller.home_workspaces`).

The stored approvals are read at most every `REFRESH` seconds, so an approval or a revocation
made by another process applies within that time (at once in this process).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.grants import SLACK_ENTERPRISE, SLACK_TEAM, SNOWFLAKE
from bot.identity import Caller, ChannelRef
from bot.settings import FederationSettings
from bot.storage.workspaces import APPROVED, PENDING, REFUSED, WorkspaceRepo

log = logging.getLogger(__name__)

REFRESH = 30.0  # seconds; "a revoked right stops working within a minute"
TRUSTED_PLATFORMS = frozenset({"console"})


@dataclass(frozen=True, slots=True)
class WorkspaceStatus:
    """One line of `workspaces list`: listed in config, or approved, pending or refused."""

    platform: str
    workspace_id: str
    status: str  # listed, approved, pending, refused
    name: str = ""


def parse_workspace(text: str) -> tuple[str, str]:
    """`T0123ABCD` / `E0123ABCD` (Slack) or a Discord server id, optionally `platform:`-prefixed.
    Raises ValueError for anything else."""
    text = text.strip()
    platform, _, ident = text.rpartition(":")
    if SLACK_TEAM.match(ident) or SLACK_ENTERPRISE.match(ident):
        found = "slack"
    elif SNOWFLAKE.match(ident):
        found = "discord"
    else:
        raise ValueError(text)
    if platform and platform != found:
        raise ValueError(text)
    return found, ident


@dataclass(frozen=True, slots=True)
class Admission:
    """What happened to a workspace that asked to join (an install, a Discord invite)."""

    admitted: bool
    status: str  # approved (listed or approved), pending or refused


class Federation:
    def __init__(
        self,
        settings: FederationSettings,
        repo: WorkspaceRepo,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self._monotonic = monotonic
        self._listed = {
            ("slack", w) for w in (*settings.slack_teams, *settings.slack_enterprises)
        } | {("discord", g) for g in settings.discord_guilds}
        self._approved: set[tuple[str, str]] = set()
        self._read_at: float | None = None

    def listed(self, platform: str) -> list[str]:
        return sorted(w for p, w in self._listed if p == platform)

    async def belongs(self, caller: Caller) -> bool:
        if caller.platform in TRUSTED_PLATFORMS:
            return True
        allowed = await self._allowed()
        places = (caller.workspace, caller.organisation, *caller.home_workspaces)
        return any((caller.platform, w) in allowed for w in places if w)

    async def admits(
        self, platform: str, workspace_id: str, organisation: str | None = None
    ) -> bool:
        allowed = await self._allowed()
        return any((platform, w) in allowed for w in (workspace_id, organisation) if w)

    async def admits_channel(self, channel: ChannelRef) -> bool:
        """A channel the bot may post to on the federation's behalf."""
        if channel.platform in TRUSTED_PLATFORMS:
            return True
        return await self.admits(channel.platform, channel.workspace)

    async def _allowed(self) -> set[tuple[str, str]]:
        now = self._monotonic()
        if self._read_at is None or now - self._read_at >= REFRESH:
            self._approved = await self.repo.approved()
            self._read_at = now
        return self._listed | self._approved

    def invalidate(self) -> None:
        self._read_at = None

    async def ask_to_join(
        self,
        platform: str,
        workspace_id: str,
        name: str,
        now: datetime,
        *,
        organisation: str | None = None,
        invited: bool = False,
    ) -> Admission:
        """A workspace installs the bot: admitted when it belongs or brings a valid invite,
        else held as pending (or refused, by config). An admin's refusal stands."""
        if await self.admits(platform, workspace_id, organisation):
            return Admission(True, APPROVED)
        if invited:
            await self.approve(platform, workspace_id, now, name)
            return Admission(True, APPROVED)
        known = await self.repo.get(platform, workspace_id)
        if known is not None and known.status == REFUSED:
            return Admission(False, REFUSED)
        if self.settings.unlisted_installs == "refuse":
            log.warning(
                "%s workspace %s (%s) refused: not in the federation", platform, workspace_id, name
            )
            return Admission(False, REFUSED)
        if await self.repo.request(platform, workspace_id, name, now):
            log.warning(
                "%s workspace %s (%s) is pending: approve with `fedbot workspaces approve %s`",
                platform,
                workspace_id,
                name,
                workspace_id,
            )
        return Admission(False, PENDING)

    async def overview(self) -> list[WorkspaceStatus]:
        """Every workspace the federation knows: listed in config first, then the stored ones."""
        listed = [WorkspaceStatus(p, w, "listed") for p, w in sorted(self._listed)]
        stored = [
            WorkspaceStatus(w.platform, w.workspace_id, w.status, w.name)
            for w in await self.repo.all()
            if (w.platform, w.workspace_id) not in self._listed
        ]
        return listed + stored

    async def approve(
        self, platform: str, workspace_id: str, now: datetime, name: str = ""
    ) -> None:
        await self.repo.decide(platform, workspace_id, APPROVED, now, name)
        self.invalidate()
        log.warning("%s workspace %s approved", platform, workspace_id)

    async def revoke(self, platform: str, workspace_id: str, now: datetime) -> None:
        await self.repo.decide(platform, workspace_id, REFUSED, now)
        self.invalidate()
        log.warning("%s workspace %s refused", platform, workspace_id)


__all__ = [
    "APPROVED",
    "PENDING",
    "REFUSED",
    "Admission",
    "Federation",
    "WorkspaceStatus",
    "parse_workspace",
]
