"""Who is calling: Slack user -> the core's `Caller` (name, language, user groups).

`users.info` (with the locale) is asked once per user and cached; user groups are asked once
per workspace (`usergroups.list` with users) and cached, and only when the config grants roles
to Slack groups at all. A lookup that fails never blocks a command: the caller gets the name
from the payload and the default language, and the failure is cached briefly so a missing scope
does not cost a Web API call per command.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.cache import TtlCache
from adapters.slack.inbound import PLATFORM
from bot.config import Config
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
        self.wants_groups = any(
            ident.startswith(f"{PLATFORM}:")
            for idents in config.roles.groups.values()
            for ident in idents
        )

    def cached_lang(self, team_id: str, user_id: str) -> str:
        profile = self.profiles.get((team_id, user_id))
        return language(profile.locale if profile else None, self.default_lang)

    async def caller(
        self, client: AsyncWebClient, team_id: str, user_id: str, fallback_name: str = ""
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
        """The ids and handles of the user groups the user belongs to."""
        members = self.groups.get(team_id)
        if members is None:
            members = await self._load_groups(client, team_id)
        return members.get(user_id, frozenset())

    async def _load_groups(self, client: AsyncWebClient, team_id: str) -> dict[str, frozenset[str]]:
        try:
            response = await client.usergroups_list(include_users=True)
        except LOOKUP_ERRORS as exc:
            log.warning("usergroups.list failed for %s: %s", team_id, _reason(exc))
            self.groups.put(team_id, {}, ttl=FAILURE_TTL)
            return {}
        found: dict[str, set[str]] = {}
        for group in response.get("usergroups") or []:
            names = {group.get("id") or "", group.get("handle") or ""} - {""}
            for user in group.get("users") or []:
                found.setdefault(user, set()).update(names)
        members = {user: frozenset(names) for user, names in found.items()}
        self.groups.put(team_id, members)
        return members


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__
