"""Slack installations (one bot token per workspace) and OAuth states, in our database.

Bolt's OAuth flow and authorization talk to these through slack_sdk's store interfaces; the
rows live in our own tables (migration `0002_slack`), on SQLite or PostgreSQL like the rest.
Only bot tokens are kept, encrypted (FEDBOT_SECRET_KEY): fedbot asks for no user scopes.
`app_uninstalled` and `tokens_revoked` delete the workspace's row (bolt's built-in listeners
call `async_delete_*`).
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import Boolean, Column, Integer, String, Table, false, select

from adapters.slack.install_gate import CURRENT_ATTEMPT
from bot.clock import Clock
from bot.federation import Federation
from bot.secret_box import SecretBox, SecretKeyError
from bot.storage.database import Database
from bot.storage.schema import UTCDateTime, metadata

log = logging.getLogger(__name__)

# This adapter's Alembic branch ("slack"): its tables live with it, not in the core.
MIGRATIONS = Path(__file__).with_name("migrations")

slack_installations = Table(
    "slack_installations",
    metadata,
    Column("id", Integer, primary_key=True),
    # team id, or enterprise id for an org-wide install: one bot token per key
    Column("workspace_key", String(64), nullable=False, unique=True),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("app_id", String(32)),
    Column("bot_token", String(2000), nullable=False),  # encrypted: bot.secret_box
    Column("bot_id", String(32), nullable=False, server_default=""),
    Column("bot_user_id", String(32), nullable=False, server_default=""),
    Column("bot_scopes", String(1000), nullable=False, server_default=""),
    Column("bot_refresh_token", String(2000)),
    Column("bot_token_expires_at", UTCDateTime()),
    Column("installer_user_id", String(32)),
    Column("is_enterprise_install", Boolean, nullable=False, server_default=false()),
    Column("installed_at", UTCDateTime(), nullable=False),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    metadata,
    Column("state", String(64), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False),
)


def _key(enterprise_id: str | None, team_id: str | None, org_wide: bool | None) -> str:
    return (enterprise_id if org_wide else team_id) or team_id or enterprise_id or ""


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _moment(value: int | float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class InstallationStore(AsyncInstallationStore):
    """Bot installations, one row per workspace (bot-only: `installation_store_bot_only`).

    An installation from outside the federation is kept only while pending (so an admin's
    approval takes effect without a new install); a refused one is never stored. Tokens are
    encrypted with FEDBOT_SECRET_KEY (`bot.secret_box`); who installed the app is not kept
    (a bot-only install never needs it, and it would be personal data)."""

    def __init__(self, db: Database, clock: Clock, federation: Federation, box: SecretBox) -> None:
        self.db = db
        self.clock = clock
        self.federation = federation
        self.box = box

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        bot = installation.to_bot()
        attempt = CURRENT_ATTEMPT.get()
        now = self.clock.now()
        invited = bool(
            attempt
            and attempt.invite
            and await self.federation.repo.use_invite(attempt.invite, now)
        )
        org_wide = bool(bot.is_enterprise_install)
        workspace = (bot.enterprise_id if org_wide else bot.team_id) or ""
        name = (bot.enterprise_name if org_wide else bot.team_name) or ""
        admission = await self.federation.ask_to_join(
            "slack", workspace, name, now, organisation=bot.enterprise_id, invited=invited
        )
        if attempt is not None:
            attempt.status = admission.status
        if admission.status == "refused":
            log.warning("Slack installation from %s refused: not in the federation", workspace)
            return
        await self.async_save_bot(bot)

    async def async_save_bot(self, bot: Bot) -> None:
        key = _key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        row: dict[str, Any] = {
            "workspace_key": key,
            "enterprise_id": bot.enterprise_id,
            "enterprise_name": bot.enterprise_name,
            "team_id": bot.team_id,
            "team_name": bot.team_name,
            "app_id": bot.app_id,
            "bot_token": self.box.seal(bot.bot_token or ""),
            "bot_id": bot.bot_id or "",
            "bot_user_id": bot.bot_user_id or "",
            "bot_scopes": ",".join(bot.bot_scopes or ()),
            "bot_refresh_token": (
                self.box.seal(bot.bot_refresh_token) if bot.bot_refresh_token else None
            ),
            "bot_token_expires_at": _moment(bot.bot_token_expires_at),
            "installer_user_id": None,
            "is_enterprise_install": bool(bot.is_enterprise_install),
            "installed_at": self.clock.now(),
        }
        table = slack_installations
        async with self.db.write() as conn:
            old = (
                await conn.execute(select(table.c.id).where(table.c.workspace_key == key))
            ).first()
            if old is not None:
                await conn.execute(table.update().where(table.c.workspace_key == key).values(row))
            else:
                await conn.execute(table.insert().values(row))
        log.info("Slack installation saved for %s", key)

    async def _row(self, enterprise_id: str | None, team_id: str | None, org_wide: bool | None):
        table = slack_installations
        key = _key(enterprise_id, team_id, org_wide)
        async with self.db.read() as conn:
            return (await conn.execute(select(table).where(table.c.workspace_key == key))).first()

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        row = await self._row(enterprise_id, team_id, is_enterprise_install)
        if row is None:
            return None
        return Bot(**self._bot_fields(row))

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        row = await self._row(enterprise_id, team_id, is_enterprise_install)
        if row is None or user_id is not None:  # bot-only: no user's installation is kept
            return None
        return Installation(**self._bot_fields(row), user_id="")

    def _bot_fields(self, row: Any) -> dict[str, Any]:
        """What a stored installation says about the bot: shared by `Bot` and
        `Installation`, tokens decrypted."""
        refresh = row.bot_refresh_token
        return {
            "app_id": row.app_id,
            "enterprise_id": row.enterprise_id,
            "enterprise_name": row.enterprise_name,
            "team_id": row.team_id,
            "team_name": row.team_name,
            "bot_token": self.box.open(row.bot_token),
            "bot_id": row.bot_id,
            "bot_user_id": row.bot_user_id,
            "bot_scopes": row.bot_scopes,
            "bot_refresh_token": self.box.open(refresh) if refresh else None,
            "bot_token_expires_at": _epoch(row.bot_token_expires_at),
            "is_enterprise_install": row.is_enterprise_install,
            "installed_at": row.installed_at.timestamp(),
        }

    # -- secrets at rest

    async def seal_all(self) -> int:
        """Encrypt the tokens stored before encryption existed, and re-encrypt the others with
        the first key (a rotation); returns how many rows changed. Refuses without a key."""
        table = slack_installations
        changed = 0
        async with self.db.write() as conn:
            rows = (
                await conn.execute(select(table.c.id, table.c.bot_token, table.c.bot_refresh_token))
            ).all()
            for row in rows:
                refresh = row.bot_refresh_token
                await conn.execute(
                    table.update()
                    .where(table.c.id == row.id)
                    .values(
                        bot_token=self.box.reseal(row.bot_token),
                        bot_refresh_token=self.box.reseal(refresh) if refresh else None,
                    )
                )
                changed += 1
        return changed

    async def check_secrets(self) -> None:
        """At start: stored tokens need the key (a clear error otherwise); plain ones left by
        an older version are encrypted now."""
        table = slack_installations
        async with self.db.read() as conn:
            tokens = [r.bot_token for r in await conn.execute(select(table.c.bot_token))]
        if not tokens:
            return
        if not self.box.enabled:
            raise SecretKeyError(
                f"FEDBOT_SECRET_KEY is not set, and {len(tokens)} Slack installation token(s) "
                "are stored: set it (`fedbot secrets generate` prints a new key)"
            )
        self.box.open(tokens[0])  # a wrong key says so now, not at the first command
        if any(not SecretBox.is_sealed(t) for t in tokens):
            log.warning("encrypting %d Slack token(s) stored in clear", await self.seal_all())

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        table = slack_installations
        key = team_id or enterprise_id or ""
        async with self.db.write() as conn:
            await conn.execute(table.delete().where(table.c.workspace_key == key))
        log.info("Slack installation deleted for %s", key)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is None:  # no user tokens are kept: only a whole uninstall has work to do
            await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def workspaces(self) -> list[str]:
        """The installed workspace keys (for logs and diagnostics)."""
        table = slack_installations
        async with self.db.read() as conn:
            rows = await conn.execute(select(table.c.workspace_key).order_by(table.c.id))
            return [r.workspace_key for r in rows]


class OAuthStateStore(AsyncOAuthStateStore):
    """Single-use OAuth `state` values, valid `expiration_seconds` (bolt's default: 10 min)."""

    def __init__(self, db: Database, clock: Clock, expiration_seconds: int = 600) -> None:
        self.db = db
        self.clock = clock
        self.expiration = timedelta(seconds=expiration_seconds)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        now = self.clock.now()
        table = slack_oauth_states
        async with self.db.write() as conn:
            await conn.execute(table.delete().where(table.c.expires_at <= now))
            await conn.execute(table.insert().values(state=state, expires_at=now + self.expiration))
        return state

    async def async_consume(self, state: str) -> bool:
        table = slack_oauth_states
        async with self.db.write() as conn:
            result = await conn.execute(
                table.delete().where(table.c.state == state, table.c.expires_at > self.clock.now())
            )
        return result.rowcount == 1
