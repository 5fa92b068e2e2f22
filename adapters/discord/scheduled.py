"""Discord scheduled events (a server's Events tab): the core's calendar port, and the interest
members show there.

Out (`DiscordCalendar`): a mirror is an event of the server, "external" at the event's place
or link, or held in a voice or stage channel of the server when the event's link points to
one. Discord wants an end for external events: one without an end shows `DEFAULT_LENGTH`.
The key the core gives is the description's last line; `find` looks for it among the
server's events created by the bot.

In: GUILD_SCHEDULED_EVENT_USER_ADD/REMOVE (intent GUILD_SCHEDULED_EVENTS) carry a user id
only, and discord.py drops them when the user is not in its cache, which is most of the time
(the bot asks for no member list). So their raw payloads are read here, the member is looked
up (name, roles) and the core is told; a deletion by hand arrives through discord.py's own
`on_scheduled_event_delete`. Who counts is the core's call (`NativeCalendars.interest`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar

import discord

from adapters.discord.inbound import PLATFORM, role_groups
from adapters.discord.sender import FAILURES, send_error
from bot.identity import Caller
from bot.native_events import MirrorGone, NativeEvent
from bot.platform_settings import DiscordSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_LENGTH = timedelta(hours=2)
MAX_NAME, MAX_DESCRIPTION, MAX_LOCATION = 100, 1000, 100
GUILD_ONLY = 2  # privacy level
STAGE, VOICE, EXTERNAL = 1, 2, 3  # entity types
CANCELED = 4  # status
UNKNOWN_EVENT = 10070  # Discord's error code for a scheduled event that does not exist
USERS_PAGE = 100
REASON = "fedbot: mirror of a federation event"
_CHANNEL_LINK = re.compile(
    r"^https://(?:ptb\.|canary\.)?discord(?:app)?\.com/channels/(\d+)/(\d+)/?$"
)

InterestCallback = Callable[[Caller, str, bool], Awaitable[None]]


def _fit(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class DiscordCalendar:
    """The scheduled events of the servers listed in `discord.scheduled_events`."""

    platform = PLATFORM

    def __init__(self, client: discord.Client, settings: DiscordSettings) -> None:
        self.client = client
        self.guilds = frozenset(settings.scheduled_events)
        self.horizon = timedelta(days=settings.scheduled_events_days)
        self.recreate_deleted = settings.scheduled_events_deleted == "recreate"

    def enabled(self, workspace: str) -> bool:
        return workspace in self.guilds

    async def create(self, workspace: str, event: NativeEvent) -> str:
        payload = await self._payload(workspace, event)
        http = self.client.http
        data = await _call(
            http.create_guild_scheduled_event(int(workspace), reason=REASON, **payload)
        )
        return str(data["id"])

    async def update(self, workspace: str, mirror_id: str, event: NativeEvent) -> None:
        payload = await self._payload(workspace, event)
        http = self.client.http
        await _call(
            http.edit_scheduled_event(int(workspace), int(mirror_id), reason=REASON, **payload)
        )

    async def cancel(self, workspace: str, mirror_id: str) -> None:
        http = self.client.http
        await _call(
            http.edit_scheduled_event(
                int(workspace), int(mirror_id), reason=REASON, status=CANCELED
            )
        )

    async def delete(self, workspace: str, mirror_id: str) -> None:
        http = self.client.http
        await _call(http.delete_scheduled_event(int(workspace), int(mirror_id), reason=REASON))

    async def find(self, workspace: str, key: str) -> list[str]:
        found = await _call(self.client.http.get_scheduled_events(int(workspace), False))
        me = str(self.client.user.id) if self.client.user else ""
        return [
            str(item["id"])
            for item in found
            if str(item.get("creator_id") or "") == me and key in (item.get("description") or "")
        ]

    async def interested(self, workspace: str, mirror_id: str) -> list[Caller]:
        locale = await self._locale(workspace)
        people: list[Caller] = []
        after: int | None = None
        while True:
            page = await _call(
                self.client.http.get_scheduled_event_users(
                    int(workspace), int(mirror_id), USERS_PAGE, True, after=after
                )
            )
            for entry in page:
                people.append(_entry_caller(workspace, entry, locale))
            if len(page) < USERS_PAGE:
                return people
            after = int(page[-1]["user"]["id"])

    async def _locale(self, workspace: str) -> str:
        """The server's language; over REST when it is on another process's shard."""
        guild = self.client.get_guild(int(workspace))
        if guild is not None:
            return guild.preferred_locale.value
        data = await _call(self.client.http.get_guild(int(workspace), with_counts=False))
        return str(data.get("preferred_locale") or "fr")

    async def _payload(self, workspace: str, event: NativeEvent) -> dict[str, Any]:
        end = event.ends_at or event.starts_at + DEFAULT_LENGTH
        body = _fit(event.description, MAX_DESCRIPTION - len(event.key) - 2)
        payload: dict[str, Any] = {
            "name": _fit(event.title, MAX_NAME),
            "description": f"{body}\n\n{event.key}" if body else event.key,
            "privacy_level": GUILD_ONLY,
            "scheduled_start_time": _iso(event.starts_at),
            "scheduled_end_time": _iso(end),
        }
        channel = await self._channel(workspace, event.link)
        if channel is not None:
            kind = STAGE if isinstance(channel, discord.StageChannel) else VOICE
            return payload | {
                "entity_type": kind,
                "channel_id": channel.id,
                "entity_metadata": None,
            }
        location = _fit(event.place or event.link or "—", MAX_LOCATION)
        return payload | {
            "entity_type": EXTERNAL,
            "channel_id": None,
            "entity_metadata": {"location": location},
        }

    async def _channel(self, workspace: str, link: str) -> Any:
        """The server's voice or stage channel the event's link points to, if it does (over
        REST when the server is on another process's shard)."""
        match = _CHANNEL_LINK.match(link or "")
        if match is None or match.group(1) != workspace:
            return None
        guild = self.client.get_guild(int(workspace))
        channel: Any = guild.get_channel(int(match.group(2))) if guild is not None else None
        if guild is None:
            try:
                channel = await self.client.fetch_channel(int(match.group(2)))
            except (discord.NotFound, discord.Forbidden):
                channel = None
        return channel if isinstance(channel, discord.VoiceChannel | discord.StageChannel) else None


async def _call(request: Coroutine[Any, Any, T]) -> T:
    try:
        return await request
    except discord.NotFound as exc:
        if exc.code == UNKNOWN_EVENT:
            raise MirrorGone(str(exc)) from exc
        raise send_error(exc) from exc
    except FAILURES as exc:
        raise send_error(exc) from exc


def _entry_caller(workspace: str, entry: dict[str, Any], locale: str) -> Caller:
    user = entry.get("user") or {}
    member = entry.get("member") or {}
    name = member.get("nick") or user.get("global_name") or user.get("username") or ""
    return Caller(
        platform=PLATFORM,
        workspace=workspace,
        user_id=str(user.get("id", "")),
        display_name=name,
        locale=locale,
        groups=frozenset(str(r) for r in member.get("roles") or ()),
        is_bot=bool(user.get("bot")),
    )


class InterestListener:
    """Reads GUILD_SCHEDULED_EVENT_USER_ADD/REMOVE off the gateway for the listed servers and
    tells the core, in the background (a gateway parser must not wait)."""

    def __init__(self, client: discord.Client, guilds: frozenset[str], tell: InterestCallback):
        self.client = client
        self.guilds = guilds
        self.tell = tell
        self.tasks: set[asyncio.Task[None]] = set()

    def install(self) -> None:
        # discord.py keeps its gateway parsers in this table; its own still run (they keep
        # its cache), ours read what it drops.
        parsers = self.client._connection.parsers  # noqa: SLF001
        for name, interested in (
            ("GUILD_SCHEDULED_EVENT_USER_ADD", True),
            ("GUILD_SCHEDULED_EVENT_USER_REMOVE", False),
        ):
            parsers[name] = self._wrap(parsers[name], interested)

    def _wrap(self, original: Callable[[Any], None], interested: bool) -> Callable[[Any], None]:
        def parse(data: Any) -> None:
            original(data)
            if str(data.get("guild_id")) in self.guilds:
                task = asyncio.ensure_future(self._report(data, interested))
                self.tasks.add(task)
                task.add_done_callback(self._done)

        return parse

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("interest in a Discord event not handled", exc_info=error)

    async def _report(self, data: dict[str, Any], interested: bool) -> None:
        caller = await self.caller(str(data["guild_id"]), int(data["user_id"]))
        await self.tell(caller, str(data["guild_scheduled_event_id"]), interested)

    async def caller(self, workspace: str, user_id: int) -> Caller:
        """The member as the server knows them (name, roles); the payload has the id only."""
        guild = self.client.get_guild(int(workspace))
        member: discord.Member | None = None
        if guild is not None:
            member = guild.get_member(user_id)
            if member is None:
                try:
                    member = await guild.fetch_member(user_id)
                except FAILURES:
                    member = None
        return Caller(
            platform=PLATFORM,
            workspace=workspace,
            user_id=str(user_id),
            display_name=member.display_name if member is not None else "",
            locale=guild.preferred_locale.value if guild is not None else "fr",
            groups=role_groups(member) if member is not None else frozenset(),
            is_bot=member.bot if member is not None else False,
        )

    async def stop(self) -> None:
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=5)
