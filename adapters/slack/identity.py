"""Who is calling: Slack user -> the core's `Caller` (name, language, user group ids).

`users.info` (with the locale) is asked once per user and cached; user groups are asked once
per workspace (`usergroups.list` with users) and cached at most a minute (a user removed from
a group loses its rights within that time), and only when the config grants roles to Slack
groups at all. Only group ids are kept: a handle is a name anyone can choose.

A lookup that fails never blocks a command: the caller gets the name from the payload and the
default language, and the failure is cached briefly so a missing scope does not cost a Web API
call per command.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.cache import TtlCache
from adapters.slack.inbound import PLATFORM
from bot.config import Config
from bot.errors import SendError
from bot.grants import parse_grant
from bot.i18n import LANGS
from bot.identity import Caller

log = logging.getLogger(__name__)

FAILURE_TTL = 60.0
LOOKUP_ERRORS = (SlackApiError, aiohttp.ClientError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Profile:
    display_name: str
    locale: str | None
    is_bot: bool = False


def language(locale: str | None, default: str) -> str:
    """`fr-FR` -> `fr`; a language we do not speak -> the configured default."""
    head = (locale or "").replace("_", "-").split("-", 1)[0].lower()
    return head if head in LANGS else default


class IdentityResolver:
    def __init__(self, config: Config, now: Callable[[], float] = time.monotonic) -> None:
        settings = config.slack
        self.default_lang = config.bot.default_locale
        self.profiles: TtlCache[tuple[str, str], Profile] = TtlCache(
            settings.user_cache_seconds, now=now
        )
        self.groups: TtlCache[str, dict[str, frozenset[str]]] = TtlCache(
            settings.group_cache_seconds, max_entries=1000, now=now
        )
        # Asking Slack for user groups costs a call per workspace and a scope: only when the
        # config grants a role to a Slack group.
        roles = config.roles
        grants = [
            *roles.admin,
            *roles.staff,
            *roles.faq_editor,
            *(g for agency in config.agencies for g in agency.moderators),
        ]
        self.wants_groups = any(
            (grant := parse_grant(text)).platform == PLATFORM and grant.is_group for text in grants
        )

    def cached_lang(self, team_id: str, user_id: str) -> str:
        profile = self.profiles.get((team_id, user_id))
        return language(profile.locale if profile else None, self.default_lang)

    async def caller(
        self,
        client: AsyncWebClient,
        team_id: str,
        user_id: str,
        fallback_name: str = "",
        enterprise_id: str | None = None,
    ) -> Caller:
        profile = await self.profile(client, team_id, user_id, fallback_name)
        groups = await self.user_groups(client, team_id, user_id) if self.wants_groups else ()
        return Caller(
            platform=PLATFORM,
            workspace=team_id,
            user_id=user_id,
            display_name=profile.display_name or fallback_name,
            locale=language(profile.locale, self.default_lang),
            groups=frozenset(groups),
            is_bot=profile.is_bot,
            organisation=enterprise_id,
        )

    async def profile(
        self, client: AsyncWebClient, team_id: str, user_id: str, fallback_name: str
    ) -> Profile:
        key = (team_id, user_id)
        cached = self.profiles.get(key)
        if cached is not None:
            return cached
        try:
            response = await client.users_info(user=user_id, include_locale=True)
        except LOOKUP_ERRORS as exc:
            log.info("users.info failed for %s:%s: %s", team_id, user_id, _reason(exc))
            profile = Profile(fallback_name, None)
            self.profiles.put(key, profile, ttl=FAILURE_TTL)
            return profile
        user = response.get("user") or {}
        info = user.get("profile") or {}
        name = info.get("display_name") or info.get("real_name") or user.get("name") or ""
        profile = Profile(name, user.get("locale"), bool(user.get("is_bot")))
        self.profiles.put(key, profile)
        return profile

    async def user_groups(
        self, client: AsyncWebClient, team_id: str, user_id: str
    ) -> frozenset[str]:
        """The ids of the user groups the user belongs to."""
        members = self.groups.get(team_id)
        if members is None:
            members = await self._load_groups(client, team_id)
        return members.get(user_id, frozenset())

    async def groups_via(
        self,
        client_for: Callable[[str], Awaitable[AsyncWebClient]],
        team_id: str,
        user_id: str,
    ) -> frozenset[str]:
        """The user's groups for a caller that comes from no Slack event (the dashboard's
        sign-in), with the workspace's own client; nothing when no grant names a group."""
        if not self.wants_groups:
            return frozenset()
        try:
            client = await client_for(team_id)
        except SendError as err:
            log.info("no user groups for %s:%s: %s", team_id, user_id, err.reason)
            return frozenset()
        return await self.user_groups(client, team_id, user_id)

    async def _load_groups(self, client: AsyncWebClient, team_id: str) -> dict[str, frozenset[str]]:
        try:
            response = await client.usergroups_list(include_users=True)
        except LOOKUP_ERRORS as exc:
            log.warning("usergroups.list failed for %s: %s", team_id, _reason(exc))
            self.groups.put(team_id, {}, ttl=FAILURE_TTL)
            return {}
        found: dict[str, set[str]] = {}
        for group in response.get("usergroups") or []:
            group_id = group.get("id")
            if not group_id:
                continue
            for user in group.get("users") or []:
                found.setdefault(user, set()).add(group_id)
        members = {user: frozenset(names) for user, names in found.items()}
        self.groups.put(team_id, members)
        return members


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__
