"""The OAuth `state`, without a row per page view: a signed, expiring token.

`/slack/install` is public: anyone may load it as often as they like. The `state` it puts in the
"Add to Slack" link is therefore not stored; it carries its own proof:
`<issued at, hex seconds>.<random nonce>.<HMAC-SHA256>`, signed with a key derived from
SLACK_CLIENT_SECRET (which only Slack and this app know, and which OAuth needs anyway). Any
process of the bot can check it. When Slack sends the installer back to the redirect, the state
must carry a valid signature and be under `expiration_seconds` old (bolt's default: 10 minutes);
its digest is then recorded with a unique constraint, so it is used once: a replayed state finds
its digest already there. One row per return through the redirect, purged once expired.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import Column, String, Table
from sqlalchemy.dialects import postgresql, sqlite

from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.schema import UTCDateTime, metadata

log = logging.getLogger(__name__)

# The digests of the states already used (migration `0002_slack` named the column `state`).
slack_oauth_states = Table(
    "slack_oauth_states",
    metadata,
    Column("state", String(64), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False),
)

_DOMAIN = b"fedbot/slack-oauth-state/v1"  # this key signs states and nothing else
CLOCK_SKEW = 60  # seconds: processes behind one load balancer may disagree slightly
MAX_LENGTH = 120


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SignedStateStore(AsyncOAuthStateStore):
    def __init__(
        self, db: Database, clock: Clock, client_secret: str, expiration_seconds: int = 600
    ) -> None:
        if not client_secret:
            raise ValueError("the OAuth state needs SLACK_CLIENT_SECRET")
        self.db = db
        self.clock = clock
        self.expiration = expiration_seconds
        self._key = hmac.new(client_secret.encode(), _DOMAIN, hashlib.sha256).digest()

    @property
    def logger(self) -> logging.Logger:
        return log

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state; nothing is written."""
        payload = f"{int(self.clock.now().timestamp()):x}.{secrets.token_urlsafe(12)}"
        return f"{payload}.{self._mac(payload)}"

    async def async_consume(self, state: str) -> bool:
        """True once for a genuine state under its expiration; False if forged, expired or
        already used."""
        issued = self._issued_at(state)
        if issued is None:
            log.warning("Slack OAuth state refused: not signed by this app")
            return False
        now = self.clock.now()
        expires = issued + timedelta(seconds=self.expiration)
        if not issued - timedelta(seconds=CLOCK_SKEW) <= now < expires:
            log.info("Slack OAuth state refused: expired")
            return False
        return await self._first_use(hashlib.sha256(state.encode()).hexdigest(), expires, now)

    def _issued_at(self, state: str) -> datetime | None:
        parts = state.split(".") if len(state) <= MAX_LENGTH else []
        if len(parts) != 3:
            return None
        stamp, nonce, mac = parts
        if not hmac.compare_digest(mac.encode(), self._mac(f"{stamp}.{nonce}").encode()):
            return None
        try:
            return datetime.fromtimestamp(int(stamp, 16), UTC)
        except (ValueError, OverflowError, OSError):
            return None

    async def _first_use(self, digest: str, expires: datetime, now: datetime) -> bool:
        table = slack_oauth_states
        async with self.db.write() as conn:
            await conn.execute(table.delete().where(table.c.expires_at <= now))
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            result = await conn.execute(
                insert(table).values(state=digest, expires_at=expires).on_conflict_do_nothing()
            )
        if result.rowcount != 1:
            log.warning("Slack OAuth state refused: already used")
            return False
        return True
