"""Sign-in tokens and browser sessions, server-side.

A token is 32 random bytes, given once to whoever signs in (a link printed by `fedbot web
link`, an OAuth `state`, a session cookie); the database keeps its SHA-256 only. A link or a
state is used at most once: the UPDATE that marks it used is guarded by `used_at IS NULL` and
its expiry, so two browsers racing with the same link get one session between them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.identity import Caller
from bot.spec import Role
from bot.storage.database import Database
from commands.dashboard.store.tables import LINK, STATE, dashboard_sessions, dashboard_tokens

LINK_LIFETIME = timedelta(minutes=10)
STATE_LIFETIME = timedelta(minutes=10)  # the time to click through the platform's consent page

S, K = dashboard_sessions.c, dashboard_tokens.c


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _ids(values: Iterable[int] | None) -> str | None:
    return None if values is None else ",".join(str(v) for v in sorted(values))


def _parse_ids(text: str | None) -> frozenset[int] | None:
    return None if text is None else frozenset(int(v) for v in text.split(",") if v)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a sign-in says the person is: what a `Caller` is built from."""

    platform: str
    workspace: str
    user_id: str
    display_name: str = ""
    organisation: str | None = None
    groups: frozenset[str] = frozenset()
    assumed_role: Role | None = None  # the console operator's own terminal only
    assumed_agencies: frozenset[int] | None = None

    def caller(self, lang: str) -> Caller:
        return Caller(
            platform=self.platform,
            workspace=self.workspace,
            user_id=self.user_id,
            display_name=self.display_name or self.user_id,
            locale=lang,
            groups=self.groups,
            assumed_role=self.assumed_role,
            assumed_agencies=self.assumed_agencies,
            organisation=self.organisation,
        )


@dataclass(frozen=True, slots=True)
class Flash:
    """A notice shown once, on the next page (what an action did, or why it did not)."""

    text: str
    error: bool = False


@dataclass(frozen=True, slots=True)
class WebSession:
    id: int
    member_id: int
    identity: Identity
    lang: str
    csrf: str
    created_at: datetime
    expires_at: datetime
    groups_read_at: datetime
    flash: Flash | None = None

    @property
    def caller(self) -> Caller:
        return self.identity.caller(self.lang)


def _identity(row: Any) -> Identity:
    role = row.assumed_role
    return Identity(
        platform=row.platform,
        workspace=row.workspace,
        user_id=row.user_id,
        display_name=getattr(row, "display_name", ""),
        organisation=getattr(row, "organisation", None),
        groups=frozenset(g for g in getattr(row, "groups", "").split(",") if g),
        assumed_role=Role.parse(role) if role else None,
        assumed_agencies=_parse_ids(row.assumed_agencies),
    )


def _session(row: Any) -> WebSession:
    return WebSession(
        row.id,
        row.member_id,
        _identity(row),
        row.lang,
        row.csrf,
        row.created_at,
        row.expires_at,
        row.groups_read_at,
        _flash(row.flash),
    )


def _flash(text: str | None) -> Flash | None:
    if not text:
        return None
    data = json.loads(text)
    return Flash(str(data["text"]), bool(data.get("error")))


class SessionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- single-use tokens --------------------------------------------------------------

    async def create_link(self, who: Identity, now: datetime) -> str:
        """A sign-in link's token, valid 10 minutes, once."""
        return await self._token(LINK, who.platform, now, LINK_LIFETIME, who)

    async def use_link(self, token: str, now: datetime) -> Identity | None:
        row = await self._use(LINK, token, now)
        return _identity(row) if row is not None else None

    async def create_state(self, provider: str, now: datetime) -> str:
        """The OAuth `state` of a sign-in with `provider` (slack, discord)."""
        return await self._token(STATE, provider, now, STATE_LIFETIME)

    async def use_state(self, provider: str, token: str, now: datetime) -> bool:
        row = await self._use(STATE, token, now)
        return row is not None and row.platform == provider

    async def _token(
        self,
        kind: str,
        platform: str,
        now: datetime,
        lifetime: timedelta,
        who: Identity | None = None,
    ) -> str:
        token = new_token()
        values: dict[str, Any] = {
            "kind": kind,
            "token_hash": digest(token),
            "platform": platform,
            "created_at": now,
            "expires_at": now + lifetime,
        }
        if who is not None:
            values.update(
                workspace=who.workspace,
                user_id=who.user_id,
                assumed_role=who.assumed_role.key if who.assumed_role else None,
                assumed_agencies=_ids(who.assumed_agencies),
            )
        async with self.db.write() as conn:
            await conn.execute(dashboard_tokens.insert().values(values))
        return token

    async def _use(self, kind: str, token: str, now: datetime) -> Any:
        hashed = digest(token)
        async with self.db.write() as conn:
            used = await conn.execute(
                dashboard_tokens.update()
                .where(
                    K.token_hash == hashed,
                    K.kind == kind,
                    K.used_at.is_(None),
                    K.expires_at > now,
                )
                .values(used_at=now)
            )
            if used.rowcount != 1:
                return None
            return (
                await conn.execute(select(dashboard_tokens).where(K.token_hash == hashed))
            ).one()

    # --- sessions ----------------------------------------------------------------------

    async def open(
        self, who: Identity, member_id: int, lang: str, now: datetime, lifetime: timedelta
    ) -> tuple[str, WebSession]:
        """A new session: the cookie's token (returned once) and the session."""
        token = new_token()
        values = {
            "token_hash": digest(token),
            "member_id": member_id,
            "platform": who.platform,
            "workspace": who.workspace,
            "user_id": who.user_id,
            "display_name": who.display_name[:120],
            "organisation": who.organisation,
            "groups": ",".join(sorted(who.groups))[:2000],
            "assumed_role": who.assumed_role.key if who.assumed_role else None,
            "assumed_agencies": _ids(who.assumed_agencies),
            "lang": lang,
            "csrf": new_token(),
            "created_at": now,
            "expires_at": now + lifetime,
            "groups_read_at": now,
        }
        async with self.db.write() as conn:
            row = (
                await conn.execute(dashboard_sessions.insert().values(values).returning(*S))
            ).one()
        return token, _session(row)

    async def get(self, token: str, now: datetime) -> WebSession | None:
        """The session of a cookie, if it has not expired."""
        query = select(dashboard_sessions).where(S.token_hash == digest(token), S.expires_at > now)
        async with self.db.read() as conn:
            row = (await conn.execute(query)).first()
        return _session(row) if row is not None else None

    async def set_lang(self, session_id: int, lang: str) -> None:
        await self._change(session_id, lang=lang)

    async def set_groups(self, session_id: int, groups: frozenset[str], now: datetime) -> None:
        await self._change(session_id, groups=",".join(sorted(groups))[:2000], groups_read_at=now)

    async def set_flash(self, session_id: int, flash: Flash | None) -> None:
        text = None
        if flash is not None:
            text = json.dumps({"text": flash.text[:900], "error": flash.error}, ensure_ascii=False)
        await self._change(session_id, flash=text)

    async def _change(self, session_id: int, **values: Any) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                dashboard_sessions.update().where(S.id == session_id).values(**values)
            )

    async def close(self, session_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(dashboard_sessions.delete().where(S.id == session_id))

    async def purge(self, now: datetime) -> int:
        """Forget expired sessions and tokens (used ones too, once expired)."""
        async with self.db.write() as conn:
            gone = await conn.execute(dashboard_sessions.delete().where(S.expires_at <= now))
            tokens = await conn.execute(dashboard_tokens.delete().where(K.expires_at <= now))
        return gone.rowcount + tokens.rowcount

    async def of_member(self, member_id: int) -> list[dict[str, Any]]:
        """A member's sessions for their data export: when and how, never the tokens."""
        query = (
            select(S.platform, S.workspace, S.lang, S.created_at, S.expires_at)
            .where(S.member_id == member_id)
            .order_by(S.id)
        )
        async with self.db.read() as conn:
            return [dict(r._mapping) for r in await conn.execute(query)]
