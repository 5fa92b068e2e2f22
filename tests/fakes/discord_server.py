"""An in-process fake of Discord (REST API v10 + gateway) for over-the-wire tests.

Why a fake server rather than mocks: discord.py does a lot of work on the wire
(rate-limit buckets and 429 retries, the zlib-compressed gateway stream,
IDENTIFY/RESUME, ``?with_response=1`` interaction callbacks, follow-up
webhooks).  Mocking its internals couples tests to private APIs and hides the
protocol mistakes our adapter can make (answering an interaction twice, a
follow-up before the acknowledgement, invalid command payloads...).
:class:`FakeDiscord` serves the real protocol on ``127.0.0.1`` (random free
port) so the *unmodified* ``discord.Client`` and ``app_commands.CommandTree``
talk to it, and nothing ever leaves the machine.

What it models:

* REST: ``users/@me``, ``gateway[/bot]``, ``oauth2/applications/@me``,
  application commands (bulk overwrite, with light validation; slash commands
  and context menus, :meth:`FakeDiscord.message_commands`), interaction
  callbacks, interaction webhooks (follow-ups, ``@original`` edits), channel
  messages (incl. multipart uploads served back as attachments; read back as
  the app may see them: without the Message Content intent in
  ``application_flags``, others' server messages come without content), DMs,
  channels, guilds, scheduled events (create/modify/delete/list, who is
  interested; Discord's validation, status transitions and the Manage/Create
  Events permission, which the bot holds through a managed role per guild as
  on Discord: :meth:`FakeDiscord.set_bot_permissions`).  Every request is recorded in
  :attr:`FakeDiscord.requests`; failures (429 with the headers discord.py
  needs, 5xx, any status) are injected with :meth:`FakeDiscord.fail_next`.
* Gateway (``/gateway``): HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeat
  ACKs, RESUME (with replay of missed dispatches) or INVALID_SESSION, and
  ``zlib-stream`` transport compression (discord.py asks for it by default).
  Several sessions at once, one per shard (IDENTIFY's ``shard: [id, count]``;
  none means ``[0, 1]``): as on Discord, a guild's events go only to the
  session of shard ``(guild_id >> 22) % count``, direct messages to shard 0,
  an invalid shard is closed with 4010, a shard holding more than
  ``max_guilds_per_shard`` servers with 4011, and ``GET /gateway/bot``
  recommends ``recommended_shards``.
  GUILD_SCHEDULED_EVENT_CREATE/UPDATE/DELETE follow REST changes, and members
  clicking "Interested" (:meth:`FakeDiscord.scheduled_event_user_add` /
  ``_remove``) or an admin deleting an event by hand
  (:meth:`FakeDiscord.delete_scheduled_event_by_hand`) are dispatched as
  Discord does, only to a client with the GUILD_SCHEDULED_EVENTS intent.
* Messages from members (:meth:`FakeDiscord.post_user_message`, replies
  included), threads started from a message (:meth:`FakeDiscord.start_thread`:
  the thread takes the message's id) and forum posts
  (:meth:`FakeDiscord.open_forum_post`: the first message lives in the post).
* Interactions: payload builders (slash with sub-command paths, autocomplete,
  message commands with their resolved target, components, modal submits)
  shaped like Discord's, dispatched as
  INTERACTION_CREATE; Discord's acknowledgement rules are enforced (unknown
  interaction -> 404/10062, second callback -> 400/40060, first follow-up after
  a deferred response replaces the "thinking" message).

Usage::

    async with FakeDiscord() as fake:          # also points discord.py at the fake
        client = discord.Client(intents=discord.Intents.default())
        tree = app_commands.CommandTree(client)
        ...                                     # register commands
        async with fake.run_client(client):     # start + wait until ready + close
            await tree.sync()
            interaction = await fake.dispatch_interaction(
                fake.slash_interaction("event create", {"title": "Forum"}, locale="fr")
            )
            body = await fake.wait_for_callback(interaction)
            assert body["type"] == 4 and body["data"]["flags"] == 64

discord.py quirks this fake caters for (2.7):

* JSON is parsed only when ``Content-Type`` is exactly ``application/json``
  (no ``; charset=...``), so responses set that header by hand.
* A 429 without a ``Via`` header is treated as a Cloudflare ban; the retry
  delay is read from ``retry_after`` in the JSON body.
* 500/502/504 are retried after ``1 + 2 * attempt`` seconds (so an injected
  5xx costs about a second).
* ``Client.connect`` dials ``DiscordWebSocket.DEFAULT_GATEWAY`` directly and
  ``Route.BASE`` is read when a route is built: both are class attributes that
  :meth:`FakeDiscord.patch_discord` swaps (and restores).
* ``Client`` waits ``guild_ready_timeout`` (2 s by default) after the last
  GUILD_CREATE before ``on_ready``; :meth:`FakeDiscord.run_client` lowers it.
* Re-IDENTIFY after INVALID_SESSION goes through ``before_identify_hook`` which
  sleeps 5 s: prefer :meth:`FakeDiscord.request_reconnect` (a RESUME).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import re
import secrets
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import yarl
from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    import discord

__all__ = [
    "ALL_PERMISSIONS",
    "APP_FLAG_MESSAGE_CONTENT",
    "DEFAULT_APPLICATION_ID",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_GUILD_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_USER_ID",
    "CallbackRecord",
    "FailureRule",
    "FakeChannel",
    "FakeDiscord",
    "FakeDiscordTimeout",
    "FakeGuild",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "FollowupRecord",
    "PERM_ADMINISTRATOR",
    "PERM_CREATE_EVENTS",
    "PERM_MANAGE_EVENTS",
    "RecordedFile",
    "RecordedRequest",
]

Json = dict[str, Any]
_Match = Mapping[str, str]
T = TypeVar("T")

DISCORD_EPOCH_MS = 1_420_070_400_000
API_PREFIX = r"/api/v{version:\d+}"

DEFAULT_TOKEN = "fake-bot-token"
DEFAULT_APPLICATION_ID = 1_000_000_000_000_000_001
DEFAULT_OWNER_ID = 1_000_000_000_000_000_002
DEFAULT_USER_ID = 1_000_000_000_000_000_003
DEFAULT_GUILD_ID = 1_000_000_000_000_000_100
DEFAULT_CLIENT_SECRET = "fake-discord-client-secret"
OAUTH_TOKEN_SECONDS = 604_800  # Discord's access tokens last a week
DEFAULT_CHANNEL_ID = 1_000_000_000_000_000_101

# Gateway opcodes.
OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE_UPDATE = 3
OP_VOICE_STATE_UPDATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_MESSAGE_CONTENT = 1 << 15  # privileged
INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16

# Application flags: the Message Content intent switched on in the developer portal (the
# "limited" one for apps in fewer than 100 servers). It decides what REST reads show.
APP_FLAG_MESSAGE_CONTENT = 1 << 18
APP_FLAG_MESSAGE_CONTENT_LIMITED = 1 << 19

# Message flags.
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_HAS_THREAD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_IS_COMPONENTS_V2 = 1 << 15
_SETTABLE_FLAGS = (
    FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_IS_COMPONENTS_V2
)

# Interaction and callback types.
INTERACTION_PING = 1
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_MESSAGE_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4
INTERACTION_MODAL_SUBMIT = 5
CALLBACK_PONG = 1
CALLBACK_CHANNEL_MESSAGE = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE_MESSAGE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE_RESULT = 8
CALLBACK_MODAL = 9
CALLBACK_LAUNCH_ACTIVITY = 12
_KNOWN_CALLBACK_TYPES = {1, 4, 5, 6, 7, 8, 9, 10, 12}
UNKNOWN_SCHEDULED_EVENT = 10070

# Application command types, and how many context menus of a type a scope may hold.
COMMAND_CHAT_INPUT = 1
COMMAND_USER = 2
COMMAND_MESSAGE = 3
CONTEXT_MENUS_MAX = 5

# Channel types of threads (announcement, public, private), and of a forum.
THREAD_TYPES = (10, 11, 12)
CHANNEL_FORUM = 15

# Application command option types.
OPT_SUB_COMMAND = 1
OPT_SUB_COMMAND_GROUP = 2
OPT_STRING = 3
OPT_INTEGER = 4
OPT_BOOLEAN = 5
OPT_USER = 6
OPT_CHANNEL = 7
OPT_ROLE = 8
OPT_MENTIONABLE = 9
OPT_NUMBER = 10
OPT_ATTACHMENT = 11

# Permission bits (only the ones the defaults need).
PERM_ADMINISTRATOR = 1 << 3
PERM_ADD_REACTIONS = 1 << 6
PERM_VIEW_CHANNEL = 1 << 10
PERM_SEND_MESSAGES = 1 << 11
PERM_EMBED_LINKS = 1 << 14
PERM_ATTACH_FILES = 1 << 15
PERM_READ_MESSAGE_HISTORY = 1 << 16
PERM_USE_APPLICATION_COMMANDS = 1 << 31
PERM_MANAGE_EVENTS = 1 << 33
PERM_CREATE_EVENTS = 1 << 44
#: Every permission bit discord.py 2.7 knows about (what Discord sends for admins).
ALL_PERMISSIONS = (1 << 53) - 1
DEFAULT_EVERYONE_PERMISSIONS = (
    PERM_ADD_REACTIONS
    | PERM_VIEW_CHANNEL
    | PERM_SEND_MESSAGES
    | PERM_EMBED_LINKS
    | PERM_ATTACH_FILES
    | PERM_READ_MESSAGE_HISTORY
    | PERM_USE_APPLICATION_COMMANDS
)

# Scheduled events: entity types, statuses, privacy level.
ENTITY_STAGE, ENTITY_VOICE, ENTITY_EXTERNAL = 1, 2, 3
EVENT_SCHEDULED, EVENT_ACTIVE, EVENT_COMPLETED, EVENT_CANCELED = 1, 2, 3, 4
_EVENT_TRANSITIONS = {
    EVENT_SCHEDULED: {EVENT_SCHEDULED, EVENT_ACTIVE, EVENT_CANCELED},
    EVENT_ACTIVE: {EVENT_ACTIVE, EVENT_COMPLETED},
}
PRIVACY_GUILD_ONLY = 2

ATTACHMENT_SIZE_LIMIT = 25 * 1024 * 1024
_HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
_COMMAND_NAME_RE = re.compile(r"^[-_\w]{1,32}$")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _snowflake_str(value: int | str | None) -> str | None:
    return None if value is None else str(value)


class _Snowflakes:
    """Time-based snowflakes, so discord.py's ``snowflake_time`` logic stays realistic."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        candidate = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (1 << 17)
        self._last = max(candidate, self._last + 1)
        return self._last


# --------------------------------------------------------------------------- model


@dataclass
class FakeUser:
    """A Discord user as the fake serves it (``bot`` marks bot accounts)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    locale: str = "en-US"  # sent by /users/@me to an OAuth2 app with the `identify` scope

    def payload(self) -> Json:
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class FakeRole:
    """A guild role; ``permissions`` is the raw permission integer."""

    id: int
    name: str
    permissions: int = 0
    position: int = 1
    managed: bool = False

    def payload(self) -> Json:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class FakeChannel:
    """A guild channel. ``type``: 0 text, 2 voice, 4 category, 5 announcement, 11 public
    thread (``parent_id`` its channel, ``owner_id`` who started it), 15 forum."""

    id: int
    name: str
    type: int = 0
    topic: str | None = None
    parent_id: int | None = None
    position: int = 0
    extra: Json = field(default_factory=dict)
    owner_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    def payload(self, guild_id: int) -> Json:
        if self.is_thread:
            return self._thread_payload(guild_id)
        data: Json = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "parent_id": _snowflake_str(self.parent_id),
            "nsfw": False,
            "flags": 0,
        }
        if self.type in (0, 5):
            data.update(
                topic=self.topic,
                last_message_id=None,
                rate_limit_per_user=0,
                default_auto_archive_duration=1440,
            )
        elif self.type in (2, 13):
            data.update(
                bitrate=64000,
                user_limit=0,
                rtc_region=None,
                video_quality_mode=1,
                last_message_id=None,
                rate_limit_per_user=0,
            )
        data.update(self.extra)
        return data

    def _thread_payload(self, guild_id: int) -> Json:
        """A thread is a channel without position or overwrites, with its own metadata."""
        created = _now_iso()
        data: Json = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(guild_id),
            "parent_id": _snowflake_str(self.parent_id),
            "owner_id": _snowflake_str(self.owner_id),
            "name": self.name,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": created,
                "locked": False,
                "create_timestamp": created,
            },
        }
        data.update(self.extra)
        return data


@dataclass
class FakeMember:
    """A guild member: a user plus its role ids (``@everyone`` is implicit)."""

    user: FakeUser
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = "2024-01-01T00:00:00+00:00"

    def payload(self) -> Json:
        return {
            "user": self.user.payload(),
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }


@dataclass
class FakeGuild:
    """A guild served in GUILD_CREATE.

    Defaults keep tests short: without ``channels`` a ``#general`` text channel
    with id ``id + 1`` is created, and the ``@everyone`` role (id == guild id)
    is added when missing.
    """

    id: int = DEFAULT_GUILD_ID
    name: str = "Fake Guild"
    channels: list[FakeChannel] = field(default_factory=list)
    roles: list[FakeRole] = field(default_factory=list)
    members: list[FakeMember] = field(default_factory=list)
    owner_id: int = DEFAULT_OWNER_ID
    preferred_locale: str = "en-US"
    features: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.channels:
            self.channels = [FakeChannel(id=self.id + 1, name="general")]
        if not any(role.id == self.id for role in self.roles):
            everyone = FakeRole(
                id=self.id, name="@everyone", permissions=DEFAULT_EVERYONE_PERMISSIONS, position=0
            )
            self.roles.insert(0, everyone)

    def channel(self, channel_id: int) -> FakeChannel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def role(self, role_id: int) -> FakeRole | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def member(self, user_id: int) -> FakeMember | None:
        return next((m for m in self.members if m.user.id == user_id), None)

    def permissions_for(self, role_ids: Sequence[int]) -> int:
        """Base guild permissions (no channel overwrites), like Discord computes them."""
        value = 0
        for role in self.roles:
            if role.id == self.id or role.id in role_ids:
                value |= role.permissions
        return ALL_PERMISSIONS if value & PERM_ADMINISTRATOR else value

    def payload(self) -> Json:
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "features": list(self.features),
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.preferred_locale,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
        }


# --------------------------------------------------------------------------- records


@dataclass
class RecordedFile:
    """A file part of a multipart request (``field`` is e.g. ``files[0]``)."""

    field: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request as received. ``path`` is API-relative (``/channels/1/messages``)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    route: str
    files: list[RecordedFile] = field(default_factory=list)
    status: int = 0
    injected: bool = False
    at: float = 0.0

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}{' (injected)' if self.injected else ''}"


@dataclass
class CallbackRecord:
    """A ``POST interactions/{id}/{token}/callback`` that the fake accepted."""

    interaction_id: int
    token: str
    body: Json

    @property
    def type(self) -> int:
        return int(self.body.get("type", 0))

    @property
    def data(self) -> Json:
        return self.body.get("data") or {}

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)


@dataclass
class FollowupRecord:
    """A follow-up (``POST webhooks/{app_id}/{token}``) and the message it produced.

    ``replaced_original`` is true for the first follow-up after a deferred
    (type 5) response: Discord turns the "thinking" message into it.
    """

    token: str
    body: Json
    message_id: int
    replaced_original: bool = False

    @property
    def flags(self) -> int:
        return int(self.body.get("flags") or 0)


@dataclass
class FailureRule:
    """An injected failure, created by :meth:`FakeDiscord.fail_next`."""

    method: str | None
    pattern: re.Pattern[str]
    status: int
    remaining: int
    retry_after: float
    is_global: bool
    scope: str
    body: Json | None
    headers: dict[str, str]
    hits: list[RecordedRequest] = field(default_factory=list)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.pattern.fullmatch(path.lstrip("/")) is not None


class FakeDiscordTimeout(AssertionError):
    """A ``wait_for_*`` helper gave up; the message says what was awaited and what happened."""


class _ApiError(Exception):
    """Raised by route handlers to answer with a Discord-style JSON error."""

    def __init__(self, status: int, message: str, code: int = 0, errors: Json | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.errors = errors

    def response(self) -> web.Response:
        body: Json = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return _json_response(body, status=self.status)


def _bearer(rec: RecordedRequest) -> str | None:
    auth = rec.headers.get("Authorization", "")
    return auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else None


def _json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """JSON with ``Content-Type`` exactly ``application/json`` (discord.py needs that)."""
    merged = {"Content-Type": "application/json"}
    merged.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=merged)


def _compile_route_pattern(pattern: str) -> tuple[str | None, re.Pattern[str]]:
    """``"POST channels/{id}/messages"`` -> (``"POST"``, regex on the API-relative path).

    ``{name}`` and ``*`` match one path segment, ``**`` matches anything; the
    method is optional; a leading ``/`` and an ``/api/v10`` prefix are ignored.
    """
    method: str | None = None
    text = pattern.strip()
    head, _, rest = text.partition(" ")
    if rest and head.upper() in _HTTP_METHODS:
        method, text = head.upper(), rest.strip()
    text = re.sub(r"^/?api/v\d+", "", text).lstrip("/")
    parts: list[str] = []
    for segment in text.split("/"):
        if segment == "**":
            parts.append(".*")
        elif segment == "*" or re.fullmatch(r"\{[^}]*\}", segment):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return method, re.compile("/".join(parts))


# --------------------------------------------------------------------------- gateway state


class _GatewayConnection:
    """One websocket; serialises sends so the zlib stream stays in order."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None, fake: FakeDiscord):
        self.ws = ws
        self.fake = fake
        self._lock = asyncio.Lock()
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self.session: _GatewaySession | None = None

    async def send(self, frame: Json) -> bool:
        """Send one gateway frame; False if the socket is already gone."""
        raw = json.dumps(frame).encode()
        async with self._lock:
            if self.ws.closed:
                return False
            try:
                if self._zlib is not None:
                    chunk = self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(chunk)
                else:
                    await self.ws.send_str(raw.decode())
            except (ConnectionError, RuntimeError):
                return False
        self.fake.gateway_sent.append(frame)
        return True


@dataclass
class _GatewaySession:
    session_id: str
    identify: Json
    shard: tuple[int, int] = (0, 1)  # (id, count)
    seq: int = 0
    history: list[Json] = field(default_factory=list)
    connection: _GatewayConnection | None = None
    resumes: int = 0

    def owns(self, guild_id: int | None) -> bool:
        """Discord's routing: a guild's events go to shard (guild_id >> 22) % count, the
        rest (direct messages) to shard 0."""
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id if guild_id is not None else shard_id == 0


@dataclass
class _InteractionState:
    payload: Json
    channel_id: int
    guild_id: int | None
    message_id: int | None
    callback: CallbackRecord | None = None
    original_message_id: int | None = None
    loading: bool = False
    followup_message_ids: list[int] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def token(self) -> str:
        return str(self.payload["token"])


# --------------------------------------------------------------------------- the fake


class FakeDiscord:
    """Fake Discord REST API + gateway on 127.0.0.1 for the real discord.py client.

    Use as ``async with FakeDiscord(...) as fake``: the server starts on a free
    port and (with ``patch_discord=True``, the default) discord.py's
    ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` point at it until
    the block exits.  See the module docstring for an example.
    """

    def __init__(
        self,
        *,
        guilds: Sequence[FakeGuild] | None = None,
        bot_user: FakeUser | None = None,
        application_id: int | None = None,
        owner: FakeUser | None = None,
        default_user: FakeUser | None = None,
        users: Sequence[FakeUser] = (),
        token: str | None = DEFAULT_TOKEN,
        heartbeat_interval_ms: int = 41_250,
        application_flags: int = 0,
        bot_permissions: int = ALL_PERMISSIONS,
        patch_discord: bool = True,
        host: str = "127.0.0.1",
        recommended_shards: int = 1,
        max_guilds_per_shard: int = 2500,
        now: Callable[[], datetime] | None = None,
        client_secret: str = DEFAULT_CLIENT_SECRET,
    ) -> None:
        self.bot_user = bot_user or FakeUser(
            id=application_id or DEFAULT_APPLICATION_ID, username="fedbot", bot=True
        )
        self.application_id = application_id or self.bot_user.id
        self.owner = owner or FakeUser(id=DEFAULT_OWNER_ID, username="app-owner")
        self.default_user = default_user or FakeUser(
            id=DEFAULT_USER_ID, username="tester", global_name="Tester"
        )
        default_guild = FakeGuild(channels=[FakeChannel(id=DEFAULT_CHANNEL_ID, name="general")])
        self.guilds: list[FakeGuild] = list(guilds) if guilds is not None else [default_guild]
        self.left_guild_ids: list[int] = []  # guilds the bot left (DELETE /users/@me/guilds/…)
        #: Accepted bot token; ``None`` accepts any token.
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.application_flags = application_flags
        self.bot_permissions = bot_permissions
        self.host = host
        #: What ``GET /gateway/bot`` answers in ``shards``.
        self.recommended_shards = recommended_shards
        #: More servers than this on one shard: IDENTIFY is closed with 4011 (Discord: 2,500).
        self.max_guilds_per_shard = max_guilds_per_shard
        self._patch_on_enter = patch_discord
        # OAuth2 (sign-in on a web page): the app's secret, who consents on the authorize page,
        # the codes it issued (code -> user, scopes, redirect_uri) and the tokens they became.
        self.client_secret = client_secret
        self.oauth_user: int | None = None
        self.oauth_consent = True
        self.oauth_codes: dict[str, tuple[int, frozenset[str], str]] = {}
        self.oauth_tokens: dict[str, tuple[int, frozenset[str]]] = {}
        #: Discord's clock (scheduled events may not start in its past); tests whose bot
        #: lives on a fixed clock pass the same one.
        self.now = now or (lambda: datetime.now(UTC))

        for guild in self.guilds:
            for user in (self.bot_user, self.default_user):
                if guild.member(user.id) is None:
                    guild.members.append(FakeMember(user=user))
        self._users: dict[int, FakeUser] = {}
        for user in (self.bot_user, self.owner, self.default_user, *users):
            self._users[user.id] = user
        for guild in self.guilds:
            for member in guild.members:
                self._users.setdefault(member.user.id, member.user)

        # Recorded traffic and server-side state.
        #: Every HTTP request received, in order (including injected failures).
        self.requests: list[RecordedRequest] = []
        #: Every gateway frame received from clients (decoded JSON).
        self.gateway_received: list[Json] = []
        #: Every gateway frame sent to clients.
        self.gateway_sent: list[Json] = []
        #: Query string of every gateway connection (``v``, ``encoding``, ``compress``).
        self.gateway_queries: list[dict[str, str]] = []
        #: IDENTIFY ``d`` payloads, in order.
        self.identify_payloads: list[Json] = []
        #: Accepted interaction callbacks, in order.
        self.callbacks: list[CallbackRecord] = []
        #: Follow-up webhook executions, in order.
        self.followups: list[FollowupRecord] = []
        #: Things a real Discord would have rejected or that the fake could not handle.
        self.protocol_errors: list[str] = []
        #: Ids of deleted messages, in order.
        self.deleted_message_ids: list[int] = []
        self.failure_rules: list[FailureRule] = []

        self._ids = _Snowflakes()
        self._bot_roles: dict[int, int] = {}  # guild id -> the bot's managed role
        for guild in self.guilds:
            self._give_bot_role(guild)
        self._messages: dict[int, Json] = {}
        self._dm_channels: dict[int, Json] = {}  # recipient id -> channel payload
        self._command_payloads: dict[int | None, list[Json]] = {}
        self._commands: dict[int | None, list[Json]] = {}
        self._scheduled_events: dict[int, Json] = {}
        self._event_users: dict[int, list[int]] = {}  # scheduled event -> interested users
        self._attachments: dict[int, bytes] = {}
        self._interactions: dict[int, _InteractionState] = {}
        #: Identified sessions by shard ``(id, count)``: a new IDENTIFY of a shard replaces its
        #: session, as Discord does.
        self._sessions: dict[tuple[int, int], _GatewaySession] = {}
        #: Shards refused (close code 4010), as sent in IDENTIFY.
        self.refused_shards: list[Any] = []
        self._connections: set[_GatewayConnection] = set()
        self._changed = asyncio.Event()

        self._runner: web.AppRunner | None = None
        self._exit_stack: contextlib.ExitStack | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be set to."""
        return f"ws://{self.host}:{self.port}/gateway"

    async def start(self) -> None:
        """Start the server on a random free port (idempotent)."""
        if self._runner is not None:
            return
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self._register_routes(app)
        # A short shutdown timeout keeps teardown fast even if a handler hangs.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Close gateway sockets and the server (idempotent)."""
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"fake discord shutting down")
        self._connections.clear()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        if self._patch_on_enter:
            self._exit_stack = contextlib.ExitStack()
            self._exit_stack.enter_context(self.patch_discord())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self.stop()
        finally:
            if self._exit_stack is not None:
                self._exit_stack.close()
                self._exit_stack = None

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway at this fake, then restore.

        Both are process-wide class attributes (``Route.BASE`` is read when a
        route is built, ``DiscordWebSocket.DEFAULT_GATEWAY`` when connecting),
        so there is no per-client setting; the previous values come back on exit.
        """
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE = old_base
            DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    def configure_client(
        self, client: discord.Client, *, guild_ready_timeout: float = 0.05
    ) -> None:
        """Make ``client`` fast against the fake: shorten the post-GUILD_CREATE wait.

        discord.py waits ``guild_ready_timeout`` (2 s) after the last
        GUILD_CREATE before ``on_ready``; clients built by code under test
        cannot easily pass the constructor argument, so this sets the
        (private) state attribute.  URLs are patched by :meth:`patch_discord`.
        """
        client._connection.guild_ready_timeout = guild_ready_timeout

    @contextlib.asynccontextmanager
    async def run_client(
        self,
        client: discord.Client,
        *,
        token: str | None = None,
        ready_timeout: float = 5.0,
        close_timeout: float = 5.0,
        guild_ready_timeout: float | None = 0.05,
    ) -> AsyncIterator[discord.Client]:
        """Run ``client.start()`` against the fake until the block exits.

        Waits until the client is ready (READY + GUILD_CREATEs processed),
        yields it, then closes it and awaits the task; an exception from the
        client task (e.g. ``LoginFailure``) is raised here.
        """
        if guild_ready_timeout is not None:
            self.configure_client(client, guild_ready_timeout=guild_ready_timeout)
        task = asyncio.create_task(
            client.start(token if token is not None else (self.token or DEFAULT_TOKEN)),
            name="fake-discord-client",
        )
        failed = False
        try:
            deadline = asyncio.get_running_loop().time() + ready_timeout
            while not client.is_ready():
                if task.done():
                    task.result()
                    raise RuntimeError("discord client stopped before becoming ready")
                if asyncio.get_running_loop().time() > deadline:
                    raise FakeDiscordTimeout(
                        f"client not ready after {ready_timeout}s; {self._describe_traffic()}"
                    )
                await asyncio.sleep(0.01)
            yield client
        except BaseException:
            failed = True
            raise
        finally:
            await client.close()
            done, _ = await asyncio.wait({task}, timeout=close_timeout)
            if not done:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
                if not failed:
                    raise FakeDiscordTimeout(f"client did not stop within {close_timeout}s")
            elif not failed and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    # ------------------------------------------------------------------ failure injection

    def fail_next(
        self,
        route_pattern: str,
        *,
        status: int = 429,
        retry_after: float = 0.05,
        count: int = 1,
        is_global: bool = False,
        scope: str = "user",
        body: Json | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FailureRule:
        """Answer the next ``count`` matching requests with ``status``.

        ``route_pattern`` is ``"[METHOD] path"`` relative to ``/api/v10``, where
        ``{name}``/``*`` match one segment and ``**`` anything, e.g.
        ``"POST channels/{channel_id}/messages"``.  A 429 carries what
        discord.py 2.7 needs to retry (``Via`` header, ``retry_after`` in a JSON
        body) plus realistic ``X-RateLimit-*``/``Retry-After`` headers; other
        statuses get a Discord-style ``{"message", "code"}`` body unless
        ``body`` is given.  Rules are checked in creation order.
        """
        method, pattern = _compile_route_pattern(route_pattern)
        rule = FailureRule(
            method=method,
            pattern=pattern,
            status=status,
            remaining=count,
            retry_after=retry_after,
            is_global=is_global,
            scope="global" if is_global else scope,
            body=body,
            headers=dict(headers or {}),
        )
        self.failure_rules.append(rule)
        return rule

    def _take_failure(self, rec: RecordedRequest) -> FailureRule | None:
        for rule in self.failure_rules:
            if rule.remaining > 0 and rule.matches(rec.method, rec.path):
                rule.remaining -= 1
                rule.hits.append(rec)
                return rule
        return None

    def _failure_response(self, rule: FailureRule, rec: RecordedRequest) -> web.Response:
        bucket = _bucket_hash(rec.route or rec.path)
        headers: dict[str, str] = {}
        if rule.status == 429:
            body = rule.body or {
                "message": "You are being rate limited.",
                "retry_after": rule.retry_after,
                "global": rule.is_global,
            }
            headers.update(
                {
                    "Via": "1.1 google",
                    "Retry-After": str(max(1, int(rule.retry_after + 0.999))),
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": f"{time.time() + rule.retry_after:.3f}",
                    "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
                    "X-RateLimit-Bucket": bucket,
                    "X-RateLimit-Scope": rule.scope,
                }
            )
            if rule.is_global:
                headers["X-RateLimit-Global"] = "true"
        else:
            body = rule.body or {"message": f"{rule.status}: injected failure", "code": 0}
            headers["Via"] = "1.1 google"
        headers.update(rule.headers)
        return _json_response(body, status=rule.status, headers=headers)

    # ------------------------------------------------------------------ inspection helpers

    def requests_matching(self, route_pattern: str) -> list[RecordedRequest]:
        """Recorded requests matching a :meth:`fail_next`-style pattern."""
        method, pattern = _compile_route_pattern(route_pattern)
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and pattern.fullmatch(r.path.lstrip("/"))
        ]

    @property
    def unhandled_requests(self) -> list[RecordedRequest]:
        """Requests to routes the fake does not implement (answered 404)."""
        return [r for r in self.requests if not r.route]

    def messages_in(self, channel_id: int) -> list[Json]:
        """Live (not deleted) messages of a channel, oldest first, however they were created."""
        return [
            copy.deepcopy(m)
            for mid, m in sorted(self._messages.items())
            if int(m["channel_id"]) == int(channel_id)
        ]

    def message(self, message_id: int) -> Json | None:
        """A stored message by id (a copy), or None."""
        found = self._messages.get(int(message_id))
        return copy.deepcopy(found) if found is not None else None

    @property
    def command_payloads(self) -> dict[int | None, list[Json]]:
        """Last bulk-overwrite payload as sent, keyed by guild id (``None`` = global)."""
        return copy.deepcopy(self._command_payloads)

    def commands(self, guild_id: int | None = None) -> list[Json]:
        """Registered commands (with ids) for a guild, or global ones."""
        return copy.deepcopy(self._commands.get(guild_id, []))

    def message_commands(self, guild_id: int | None = None) -> list[Json]:
        """Registered message context menu commands (type 3) of a guild, or global ones."""
        return [c for c in self.commands(guild_id) if c["type"] == COMMAND_MESSAGE]

    def scheduled_events(self, guild_id: int | None = None) -> list[Json]:
        """Scheduled events not deleted (cancelled ones too), optionally for one guild."""
        return [
            copy.deepcopy(e)
            for e in self._scheduled_events.values()
            if guild_id is None or int(e["guild_id"]) == int(guild_id)
        ]

    def interested_users(self, event_id: int | str) -> list[int]:
        """Ids of the users interested in a scheduled event, in the order they clicked."""
        return list(self._event_users.get(int(event_id), []))

    def bot_permissions_in(self, guild_id: int) -> int:
        """The bot's server-wide permissions in a guild, as Discord computes them."""
        guild = self._guild(guild_id)
        if guild.owner_id == self.bot_user.id:
            return ALL_PERMISSIONS
        member = guild.member(self.bot_user.id)
        return guild.permissions_for(member.roles if member is not None else [])

    def dm_channel_id(self, user_id: int) -> int | None:
        """Id of the DM channel opened with ``user_id``, if any."""
        channel = self._dm_channels.get(int(user_id))
        return int(channel["id"]) if channel else None

    def original_response(self, interaction: int | str | Mapping[str, Any]) -> Json | None:
        """The current ``@original`` message of an interaction, or None."""
        state = self._interactions.get(_interaction_id(interaction))
        if state is None or state.original_message_id is None:
            return None
        return self.message(state.original_message_id)

    @property
    def connected(self) -> bool:
        """True while an identified client is attached to the gateway."""
        return any(s.connection is not None for s in self._sessions.values())

    @property
    def _session(self) -> _GatewaySession | None:
        """The session of shard 0 (the only one when the client does not shard)."""
        return self._session_of(None)

    def _session_of(self, guild_id: int | None) -> _GatewaySession | None:
        """The session whose shard owns the guild (direct messages: shard 0), if any."""
        return next((s for s in self._sessions.values() if s.owns(guild_id)), None)

    def sessions(self) -> dict[tuple[int, int], str]:
        """Identified shards ``(id, count)`` and their session ids."""
        return {shard: s.session_id for shard, s in self._sessions.items()}

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        async def poll() -> T:
            while True:
                result = probe()
                if result is not None:
                    return result
                await self._changed.wait()

        try:
            return await asyncio.wait_for(poll(), timeout)
        except TimeoutError:
            raise FakeDiscordTimeout(
                f"timed out after {timeout}s waiting for {what}; {self._describe_traffic()}"
            ) from None

    def _describe_traffic(self) -> str:
        recent = ", ".join(str(r) for r in self.requests[-8:]) or "none"
        errors = "; ".join(self.protocol_errors[-5:]) or "none"
        return f"recent requests: {recent}; protocol errors: {errors}"

    async def wait_for_callback(
        self, interaction: int | str | Mapping[str, Any], timeout: float = 5.0
    ) -> Json:
        """Wait for the interaction's callback; returns its body (``{"type", "data"}``)."""
        iid = _interaction_id(interaction)

        def probe() -> Json | None:
            return next((c.body for c in self.callbacks if c.interaction_id == iid), None)

        return await self._wait(probe, timeout, f"callback of interaction {iid}")

    async def wait_for_followup(
        self,
        interaction_or_token: str | int | Mapping[str, Any],
        index: int = 0,
        timeout: float = 5.0,
    ) -> Json:
        """Wait for the ``index``-th follow-up of an interaction; return its body.

        Accepts the interaction payload, its id or its token.
        """
        token = self._token_of(interaction_or_token)

        def probe() -> Json | None:
            matching = [f for f in self.followups if f.token == token]
            return matching[index].body if len(matching) > index else None

        return await self._wait(probe, timeout, f"follow-up #{index} of token {token[:16]}...")

    async def wait_for_request(
        self, route_pattern: str, count: int = 1, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Wait until ``count`` requests matched the pattern; returns them."""

        def probe() -> list[RecordedRequest] | None:
            found = self.requests_matching(route_pattern)
            return found if len(found) >= count else None

        return await self._wait(probe, timeout, f"{count} x {route_pattern}")

    async def wait_for_message(
        self,
        channel_id: int,
        predicate: Callable[[Json], bool] | None = None,
        timeout: float = 5.0,
    ) -> Json:
        """Wait for a message in ``channel_id`` (optionally matching ``predicate``)."""

        def probe() -> Json | None:
            return next(
                (m for m in self.messages_in(channel_id) if predicate is None or predicate(m)),
                None,
            )

        return await self._wait(probe, timeout, f"a message in channel {channel_id}")

    async def wait_for_identify(self, timeout: float = 5.0) -> Json:
        """Wait until a client has identified; returns the IDENTIFY payload."""
        return await self._wait(
            lambda: self.identify_payloads[-1] if self.identify_payloads else None,
            timeout,
            "IDENTIFY",
        )

    async def wait_for_resume(self, count: int = 1, timeout: float = 5.0) -> int:
        """Wait until the session has been resumed ``count`` times."""

        def probe() -> int | None:
            session = self._session
            if session is not None and session.resumes >= count and session.connection:
                return session.resumes
            return None

        return await self._wait(probe, timeout, f"{count} RESUME(s)")

    # ------------------------------------------------------------------ gateway control

    async def dispatch(self, event: str, data: Json, *, timeout: float = 5.0) -> int:
        """Send a DISPATCH (op 0) to the session of the shard owning the event's guild
        (``guild_id``, or ``id`` for GUILD_* events; none: shard 0); returns its sequence
        number.

        Waits up to ``timeout`` for that shard to identify.  If the client is
        momentarily disconnected the event is kept and replayed on RESUME.
        """
        guild_id = _event_guild(event, data)
        session = await self._wait_session(guild_id, timeout)
        return await self._dispatch_to(session, event, data)

    async def _wait_session(self, guild_id: int | None, timeout: float) -> _GatewaySession:
        return await self._wait(
            lambda: self._session_of(guild_id),
            timeout,
            f"the shard of guild {guild_id} to IDENTIFY" if guild_id else "a client to IDENTIFY",
        )

    async def _dispatch_to(self, session: _GatewaySession, event: str, data: Json) -> int:
        session.seq += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.history.append(frame)
        if session.connection is not None:
            await session.connection.send(frame)
        return session.seq

    async def join_guild(self, guild: FakeGuild, *, timeout: float = 5.0) -> int:
        """Someone invites the bot to ``guild``: it is added and GUILD_CREATE dispatched."""
        session = await self._wait_session(guild.id, timeout)
        self.guilds.append(guild)
        self._give_bot_role(guild)
        intents = int(session.identify.get("intents") or 0)
        payload = self._guild_create_payload(guild, intents)
        del payload["unavailable"]  # a join, not a server coming back (discord.py tells them so)
        return await self._dispatch_to(session, "GUILD_CREATE", payload)

    def _give_bot_role(self, guild: FakeGuild) -> None:
        """Like Discord: a bot invited with permissions holds them through a managed role
        named after it (``bot_permissions``; change them with :meth:`set_bot_permissions`)."""
        if guild.id in self._bot_roles:
            return
        member = guild.member(self.bot_user.id)
        if member is None:
            member = FakeMember(user=self.bot_user)
            guild.members.append(member)
        role = FakeRole(
            id=self._ids.next(),
            name=self.bot_user.username,
            permissions=self.bot_permissions,
            managed=True,
        )
        guild.roles.append(role)
        member.roles.append(role.id)
        self._bot_roles[guild.id] = role.id

    async def set_bot_permissions(self, guild_id: int, permissions: int) -> None:
        """An admin edits the bot's role in a guild (GUILD_ROLE_UPDATE is dispatched)."""
        guild = self._guild(guild_id)
        role = guild.role(self._bot_roles[guild.id])
        assert role is not None
        role.permissions = permissions
        await self._dispatch_if_connected(
            "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}
        )

    async def _dispatch_if_connected(self, event: str, data: Json, intent: int = 0) -> None:
        """What Discord does after a change: tell the shard owning the guild, if its intents
        ask."""
        session = self._session_of(_event_guild(event, data))
        if session is None:
            return
        if intent and not int(session.identify.get("intents") or 0) & intent:
            return
        await self._dispatch_to(session, event, data)

    async def scheduled_event_user_add(
        self, guild_id: int, event_id: int | str, user_id: int, *, dispatch: bool = True
    ) -> None:
        """A member clicks "Interested": GUILD_SCHEDULED_EVENT_USER_ADD, as Discord sends it
        (ids only) to a client with the GUILD_SCHEDULED_EVENTS intent. ``dispatch=False``:
        the click happens while the bot is away (only the users list shows it)."""
        event = self._live_event(guild_id, event_id)
        users = self._event_users.setdefault(int(event["id"]), [])
        if int(user_id) in users:
            return
        if self._guild(guild_id).member(int(user_id)) is None:
            raise ValueError(f"user {user_id} is not a member of guild {guild_id}")
        users.append(int(user_id))
        event["user_count"] = len(users)
        if dispatch:
            await self._dispatch_if_connected(
                "GUILD_SCHEDULED_EVENT_USER_ADD",
                self._interest_payload(guild_id, event, user_id),
                INTENT_GUILD_SCHEDULED_EVENTS,
            )

    async def scheduled_event_user_remove(
        self, guild_id: int, event_id: int | str, user_id: int, *, dispatch: bool = True
    ) -> None:
        """The member clicks "Interested" again: GUILD_SCHEDULED_EVENT_USER_REMOVE."""
        event = self._live_event(guild_id, event_id)
        users = self._event_users.setdefault(int(event["id"]), [])
        if int(user_id) not in users:
            return
        users.remove(int(user_id))
        event["user_count"] = len(users)
        if dispatch:
            await self._dispatch_if_connected(
                "GUILD_SCHEDULED_EVENT_USER_REMOVE",
                self._interest_payload(guild_id, event, user_id),
                INTENT_GUILD_SCHEDULED_EVENTS,
            )

    async def delete_scheduled_event_by_hand(self, guild_id: int, event_id: int | str) -> None:
        """A server admin deletes the event in Discord: GUILD_SCHEDULED_EVENT_DELETE."""
        event = self._live_event(guild_id, event_id, any_status=True)
        del self._scheduled_events[int(event["id"])]
        self._event_users.pop(int(event["id"]), None)
        await self._dispatch_if_connected(
            "GUILD_SCHEDULED_EVENT_DELETE", copy.deepcopy(event), INTENT_GUILD_SCHEDULED_EVENTS
        )

    def _live_event(self, guild_id: int, event_id: int | str, any_status: bool = False) -> Json:
        event = self._scheduled_events.get(int(event_id))
        if event is None or int(event["guild_id"]) != int(guild_id):
            raise ValueError(f"no scheduled event {event_id} in guild {guild_id}")
        if not any_status and event["status"] not in (EVENT_SCHEDULED, EVENT_ACTIVE):
            raise ValueError(f"scheduled event {event_id} is over or cancelled")
        return event

    @staticmethod
    def _interest_payload(guild_id: int, event: Json, user_id: int) -> Json:
        return {
            "guild_scheduled_event_id": str(event["id"]),
            "user_id": str(user_id),
            "guild_id": str(guild_id),
        }

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: discord.py closes and RESUMEs (fast, no re-IDENTIFY)."""
        conn = self._current_connection()
        await conn.send({"op": OP_RECONNECT, "d": None, "s": None, "t": None})

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the gateway socket with ``code``; 4000 makes discord.py RESUME."""
        conn = self._current_connection()
        await conn.ws.close(code=code, message=b"fake discord dropped the connection")

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION.

        Beware: with ``resumable=False`` discord.py re-IDENTIFYs through
        ``before_identify_hook``, which sleeps 5 s by default.
        """
        conn = self._current_connection()
        if not resumable:
            self._sessions = {k: s for k, s in self._sessions.items() if s.connection is not conn}
        await conn.send({"op": OP_INVALID_SESSION, "d": resumable, "s": None, "t": None})

    def _current_connection(self) -> _GatewayConnection:
        if self._session is None or self._session.connection is None:
            raise RuntimeError("no client is connected to the fake gateway")
        return self._session.connection

    # ------------------------------------------------------------------ interactions

    async def dispatch_interaction(self, payload: Json, *, timeout: float = 5.0) -> Json:
        """Send INTERACTION_CREATE with ``payload`` (from a builder); returns the payload.

        From now on the fake accepts exactly one callback for it, and
        follow-ups/edits on its token once acknowledged.
        """
        message = payload.get("message")
        state = _InteractionState(
            payload=payload,
            channel_id=int(payload["channel_id"]),
            guild_id=int(payload["guild_id"]) if payload.get("guild_id") else None,
            message_id=int(message["id"]) if message else None,
        )
        self._interactions[state.id] = state
        await self.dispatch("INTERACTION_CREATE", payload, timeout=timeout)
        return payload

    def slash_interaction(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Json] | None = None,
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
        member_roles: Sequence[int] | None = None,
        permissions: int | None = None,
        command_id: int | None = None,
        resolved: Json | None = None,
    ) -> Json:
        """Build a chat-input (slash) INTERACTION_CREATE payload.

        ``name`` may be a path: ``"event create"`` or ``"admin event create"``
        (group/sub-command).  ``options`` maps option names to values; option
        types come from the synced command schema when there is one, else from
        the Python type (bool, int, float, str, FakeUser/FakeRole/FakeChannel).
        User/role/channel options are resolved from the configured guild.
        A raw list of option dicts is used as-is.
        """
        return self._command_interaction(
            INTERACTION_APPLICATION_COMMAND,
            name,
            options,
            focused=None,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            dm=dm,
            locale=locale,
            member_roles=member_roles,
            permissions=permissions,
            command_id=command_id,
            resolved=resolved,
        )

    def autocomplete_interaction(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Json] | None = None,
        *,
        focused: str,
        user_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
        member_roles: Sequence[int] | None = None,
        permissions: int | None = None,
        command_id: int | None = None,
    ) -> Json:
        """Build an autocomplete (type 4) payload; ``focused`` names the option being typed.

        Like Discord, no ``resolved`` data is sent and the focused value is
        passed through as given (usually the partial string typed).
        """
        return self._command_interaction(
            INTERACTION_AUTOCOMPLETE,
            name,
            options,
            focused=focused,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            dm=dm,
            locale=locale,
            member_roles=member_roles,
            permissions=permissions,
            command_id=command_id,
            resolved=None,
        )

    def component_interaction(
        self,
        custom_id: str,
        message_id: int | None = None,
        *,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        user_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
        member_roles: Sequence[int] | None = None,
        permissions: int | None = None,
    ) -> Json:
        """Build a message-component (button/select) payload.

        ``message`` is the stored message ``message_id`` when the fake has it
        (e.g. one the bot sent with the view), otherwise a synthetic bot message
        in the channel.  ``values`` is for selects (``component_type`` 3/5-8).
        """
        stored = self._messages.get(int(message_id)) if message_id is not None else None
        if stored is not None and channel_id is None:
            channel_id = int(stored["channel_id"])
            if stored.get("guild_id") is None:
                dm = True
            elif guild_id is None:
                guild_id = int(stored["guild_id"])
        payload = self._interaction_base(
            INTERACTION_MESSAGE_COMPONENT,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            dm=dm,
            locale=locale,
            member_roles=member_roles,
            permissions=permissions,
        )
        data: Json = {"custom_id": custom_id, "component_type": component_type}
        if values is not None or component_type in (3, 5, 6, 7, 8):
            data["values"] = list(values or [])
        payload["data"] = data
        if stored is not None:
            payload["message"] = copy.deepcopy(stored)
        else:
            payload["message"] = self._build_message(
                channel_id=int(payload["channel_id"]),
                body={"content": ""},
                author=self.bot_user.payload(),
                message_id=message_id,
            )
        return payload

    def modal_submit_interaction(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        user_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
        member_roles: Sequence[int] | None = None,
        permissions: int | None = None,
    ) -> Json:
        """Build a modal-submit (type 5) payload: text inputs ``custom_id -> value``."""
        payload = self._interaction_base(
            INTERACTION_MODAL_SUBMIT,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            dm=dm,
            locale=locale,
            member_roles=member_roles,
            permissions=permissions,
        )
        payload["data"] = {
            "custom_id": custom_id,
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
                for key, value in values.items()
            ],
        }
        return payload

    def post_user_message(
        self,
        channel_id: int,
        content: str,
        *,
        user_id: int | None = None,
        reply_to: int | None = None,
        message_id: int | None = None,
    ) -> Json:
        """Store a message from a user (``reply_to``: a Discord reply to that message), without
        telling the bot: what a bot without the GUILD_MESSAGES intent misses."""
        user = self._user(user_id if user_id is not None else self.default_user.id)
        body: Json = {"content": content}
        guild = self._guild_of_channel(channel_id)
        if reply_to is not None:
            body["message_reference"] = {
                "type": 0,  # a reply (1 would be a forward)
                "message_id": str(reply_to),
                "channel_id": str(channel_id),
                "guild_id": _snowflake_str(guild.id if guild is not None else None),
            }
        message = self._build_message(
            channel_id=channel_id, body=body, author=user.payload(), message_id=message_id
        )
        if guild is not None:
            member = guild.member(user.id) or FakeMember(user=user)
            partial = member.payload()
            partial.pop("user")
            message["member"] = partial
        self._messages[int(message["id"])] = message
        return copy.deepcopy(message)

    async def dispatch_user_message(
        self,
        channel_id: int,
        content: str,
        *,
        user_id: int | None = None,
        reply_to: int | None = None,
        timeout: float = 5.0,
    ) -> Json:
        """Store a message from a user and send it as MESSAGE_CREATE; returns the payload."""
        message = self.post_user_message(channel_id, content, user_id=user_id, reply_to=reply_to)
        guild = self._guild_of_channel(channel_id)
        session = await self._wait_session(guild.id if guild is not None else None, timeout)
        intents = int(session.identify.get("intents") or 0)
        # Like Discord: guild messages only with GUILD_MESSAGES, and their content only with
        # the privileged MESSAGE_CONTENT intent (or when the bot is mentioned).
        if guild is not None and not intents & INTENT_GUILD_MESSAGES:
            return message
        sent = copy.deepcopy(message)
        mentioned = any(int(u["id"]) == self.bot_user.id for u in sent["mentions"])
        if guild is not None and not intents & INTENT_MESSAGE_CONTENT and not mentioned:
            sent.update(content="", embeds=[], attachments=[], components=[])
        await self._dispatch_to(session, "MESSAGE_CREATE", sent)
        return message

    async def start_thread(
        self, channel_id: int, message_id: int, name: str, *, user_id: int | None = None
    ) -> FakeChannel:
        """A member starts a thread from a message ("Create Thread"): the thread takes the
        message's id and lives beside it in its guild; the message stays in ``channel_id``,
        marked as having a thread. THREAD_CREATE goes to a bot with the GUILDS intent."""
        message = self._get_message(channel_id, message_id)
        guild = self._guild_of_channel(channel_id)
        if guild is None:
            raise ValueError(f"channel {channel_id} is in no guild")
        owner = user_id if user_id is not None else int(message["author"]["id"])
        thread = FakeChannel(message_id, name, type=11, parent_id=channel_id, owner_id=owner)
        guild.channels.append(thread)
        message["flags"] = int(message["flags"]) | FLAG_HAS_THREAD
        message["thread"] = thread.payload(guild.id)
        await self._thread_created(guild, thread)
        return thread

    async def open_forum_post(
        self, forum_id: int, title: str, content: str, *, user_id: int | None = None
    ) -> tuple[FakeChannel, Json]:
        """A member opens a post in a forum channel: a thread whose first message, with the
        thread's id, lives in the thread itself. Returns the thread and that message."""
        guild = self._guild_of_channel(forum_id)
        forum = guild.channel(forum_id) if guild is not None else None
        if guild is None or forum is None or forum.type != CHANNEL_FORUM:
            raise ValueError(f"channel {forum_id} is no forum")
        user = self._user(user_id if user_id is not None else self.default_user.id)
        post = FakeChannel(self._ids.next(), title, type=11, parent_id=forum_id, owner_id=user.id)
        guild.channels.append(post)
        first = self.post_user_message(post.id, content, user_id=user.id, message_id=post.id)
        await self._thread_created(guild, post)
        return post, first

    async def _thread_created(self, guild: FakeGuild, thread: FakeChannel) -> None:
        await self._dispatch_if_connected(
            "THREAD_CREATE", {**thread.payload(guild.id), "newly_created": True}, INTENT_GUILDS
        )

    def message_command_interaction(
        self,
        name: str,
        message_id: int,
        *,
        user_id: int | None = None,
        locale: str = "en-US",
        member_roles: Sequence[int] | None = None,
        permissions: int | None = None,
        command_id: int | None = None,
        with_referenced: bool = True,
    ) -> Json:
        """Build a message command (context menu, type 3) payload: ``name`` is the menu entry
        picked on the stored message ``message_id``, used in that message's channel.

        As on Discord, ``data.resolved.messages`` holds the target with its content (even for
        an app without the Message Content intent) and, for a reply, the message it replies to
        as the app may see it (``_as_seen_by_app``); ``with_referenced=False`` leaves that one
        out, as Discord does when it did not look it up.
        """
        stored = self._messages.get(int(message_id))
        if stored is None:
            raise ValueError(f"unknown message {message_id}")
        channel_id = int(stored["channel_id"])
        guild_id = int(stored["guild_id"]) if stored.get("guild_id") else None
        payload = self._interaction_base(
            INTERACTION_APPLICATION_COMMAND,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            dm=guild_id is None,
            locale=locale,
            member_roles=member_roles,
            permissions=permissions,
        )
        command, scope = self._find_command(name, guild_id, COMMAND_MESSAGE)
        target = self._as_seen_by_app(stored, target=True)
        if not with_referenced:
            target.pop("referenced_message", None)
        data: Json = {
            "id": str(command_id or (command["id"] if command else self._ids.next())),
            "name": name,
            "type": COMMAND_MESSAGE,
            "target_id": str(message_id),
            "resolved": {"messages": {str(message_id): target}},
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        payload["data"] = data
        return payload

    def _command_interaction(
        self,
        itype: int,
        name: str,
        options: Mapping[str, Any] | Sequence[Json] | None,
        *,
        focused: str | None,
        user_id: int | None,
        guild_id: int | None,
        channel_id: int | None,
        dm: bool,
        locale: str,
        member_roles: Sequence[int] | None,
        permissions: int | None,
        command_id: int | None,
        resolved: Json | None,
    ) -> Json:
        payload = self._interaction_base(
            itype,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            dm=dm,
            locale=locale,
            member_roles=member_roles,
            permissions=permissions,
        )
        guild = self._guild(int(payload["guild_id"])) if payload.get("guild_id") else None
        path = name.split()
        root, subpath = path[0], path[1:]
        command, scope = self._find_command(root, guild.id if guild else None)
        schema: list[Json] | None = command.get("options") if command else None
        data: Json = {
            "id": str(command_id or (command["id"] if command else self._ids.next())),
            "name": root,
            "type": 1,
        }
        if scope is not None:
            data["guild_id"] = str(scope)

        built_resolved: Json = {}
        container: list[Json] = []
        data["options"] = container
        for depth, sub in enumerate(subpath):
            sub_schema = _find_option(schema, sub)
            is_last = depth == len(subpath) - 1
            default_type = OPT_SUB_COMMAND if is_last else OPT_SUB_COMMAND_GROUP
            node: Json = {
                "name": sub,
                "type": sub_schema["type"] if sub_schema else default_type,
                "options": [],
            }
            container.append(node)
            container = node["options"]
            schema = sub_schema.get("options") if sub_schema else None

        if options is not None:
            if isinstance(options, Mapping):
                for opt_name, value in options.items():
                    opt = self._build_option(
                        opt_name,
                        value,
                        _find_option(schema, opt_name),
                        guild,
                        built_resolved,
                        with_resolved=itype != INTERACTION_AUTOCOMPLETE,
                    )
                    if focused == opt_name:
                        opt["focused"] = True
                    container.append(opt)
            else:
                container.extend(copy.deepcopy(list(options)))
        if focused is not None and not any(o.get("name") == focused for o in container):
            container.append({"name": focused, "type": OPT_STRING, "value": "", "focused": True})
        if resolved is not None:
            built_resolved.update(resolved)
        if built_resolved:
            data["resolved"] = built_resolved
        payload["data"] = data
        return payload

    def _build_option(
        self,
        name: str,
        value: Any,
        schema: Json | None,
        guild: FakeGuild | None,
        resolved: Json,
        *,
        with_resolved: bool,
    ) -> Json:
        opt_type = int(schema["type"]) if schema else _infer_option_type(value)
        if opt_type in (OPT_USER, OPT_CHANNEL, OPT_ROLE, OPT_MENTIONABLE, OPT_ATTACHMENT):
            if isinstance(value, FakeMember):
                value = value.user
            snowflake = int(getattr(value, "id", value))
            if with_resolved:
                self._resolve_option(opt_type, snowflake, guild, resolved)
            return {"name": name, "type": opt_type, "value": str(snowflake)}
        if opt_type == OPT_INTEGER and not isinstance(value, str):
            value = int(value)
        elif opt_type == OPT_NUMBER and not isinstance(value, str):
            value = float(value)
        elif opt_type == OPT_BOOLEAN:
            value = bool(value)
        elif opt_type == OPT_STRING:
            value = str(value)
        return {"name": name, "type": opt_type, "value": value}

    def _resolve_option(
        self, opt_type: int, snowflake: int, guild: FakeGuild | None, resolved: Json
    ) -> None:
        role = guild.role(snowflake) if guild else None
        if opt_type == OPT_ROLE or (opt_type == OPT_MENTIONABLE and role is not None):
            if role is not None:
                resolved.setdefault("roles", {})[str(snowflake)] = role.payload()
            return
        if opt_type in (OPT_USER, OPT_MENTIONABLE):
            user = self._user(snowflake)
            resolved.setdefault("users", {})[str(snowflake)] = user.payload()
            member = guild.member(snowflake) if guild else None
            if member is not None and guild is not None:
                partial = member.payload()
                partial.pop("user")
                partial["permissions"] = str(guild.permissions_for(member.roles))
                resolved.setdefault("members", {})[str(snowflake)] = partial
            return
        if opt_type == OPT_CHANNEL:
            channel_payload = self._channel_payload(snowflake)
            if channel_payload is not None:
                channel_payload["permissions"] = str(ALL_PERMISSIONS)
                resolved.setdefault("channels", {})[str(snowflake)] = channel_payload

    def _interaction_base(
        self,
        itype: int,
        *,
        user_id: int | None,
        guild_id: int | None,
        channel_id: int | None,
        dm: bool,
        locale: str,
        member_roles: Sequence[int] | None,
        permissions: int | None,
    ) -> Json:
        user = self._user(user_id if user_id is not None else self.default_user.id)
        payload: Json = {
            "id": str(self._ids.next()),
            "application_id": str(self.application_id),
            "type": itype,
            "token": f"fake-interaction-{secrets.token_hex(24)}",
            "version": 1,
            "locale": locale,
            "app_permissions": str(self.bot_permissions),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if dm:
            channel = (
                self._open_dm(user.id) if channel_id is None else self._channel_payload(channel_id)
            )
            if channel is None:
                raise ValueError(f"unknown DM channel {channel_id}")
            payload.update(
                channel_id=channel["id"],
                channel=copy.deepcopy(channel),
                user=user.payload(),
                context=1,
                authorizing_integration_owners={"0": "0"},
            )
            return payload

        guild = self._guild(guild_id if guild_id is not None else self.guilds[0].id)
        if channel_id is None:
            channel_obj = next((c for c in guild.channels if c.type in (0, 5)), guild.channels[0])
        else:
            found = guild.channel(channel_id)
            if found is None:
                raise ValueError(f"channel {channel_id} is not in guild {guild.id}")
            channel_obj = found
        member = copy.deepcopy(guild.member(user.id)) or FakeMember(user=user)
        if member_roles is not None:
            member.roles = list(member_roles)
        perms = permissions if permissions is not None else guild.permissions_for(member.roles)
        member_payload = member.payload()
        member_payload["permissions"] = str(perms)
        channel_payload = channel_obj.payload(guild.id)
        channel_payload["permissions"] = str(perms)
        payload.update(
            guild_id=str(guild.id),
            guild={
                "id": str(guild.id),
                "locale": guild.preferred_locale,
                "features": guild.features,
            },
            guild_locale=guild.preferred_locale,
            channel_id=str(channel_obj.id),
            channel=channel_payload,
            member=member_payload,
            context=0,
            authorizing_integration_owners={"0": str(guild.id)},
        )
        return payload

    def _find_command(
        self, name: str, guild_id: int | None, ctype: int = COMMAND_CHAT_INPUT
    ) -> tuple[Json | None, int | None]:
        scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for command in self._commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == ctype:
                    return command, scope
        return None, None

    # ------------------------------------------------------------------ lookups

    def _user(self, user_id: int) -> FakeUser:
        user = self._users.get(int(user_id))
        if user is None:
            user = FakeUser(id=int(user_id), username=f"user{user_id}")
            self._users[user.id] = user
        return user

    def _guild(self, guild_id: int) -> FakeGuild:
        guild = next((g for g in self.guilds if g.id == int(guild_id)), None)
        if guild is None:
            raise ValueError(f"unknown guild {guild_id}")
        return guild

    def _guild_of_channel(self, channel_id: int) -> FakeGuild | None:
        return next((g for g in self.guilds if g.channel(int(channel_id)) is not None), None)

    def _channel_payload(self, channel_id: int) -> Json | None:
        guild = self._guild_of_channel(channel_id)
        if guild is not None:
            found = guild.channel(int(channel_id))
            assert found is not None
            return found.payload(guild.id)
        for channel in self._dm_channels.values():
            if int(channel["id"]) == int(channel_id):
                return copy.deepcopy(channel)
        return None

    def _open_dm(self, user_id: int) -> Json:
        channel = self._dm_channels.get(int(user_id))
        if channel is None:
            channel = {
                "id": str(self._ids.next()),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self._user(user_id).payload()],
            }
            self._dm_channels[int(user_id)] = channel
        return channel

    def _token_of(self, value: str | int | Mapping[str, Any]) -> str:
        if isinstance(value, Mapping):
            return str(value["token"])
        if isinstance(value, int):
            state = self._interactions.get(value)
            if state is None:
                raise ValueError(f"unknown interaction {value}")
            return state.token
        return value

    def _interaction_by_token(self, webhook_id: str, token: str) -> _InteractionState:
        if webhook_id != str(self.application_id):
            raise _ApiError(404, "Unknown Webhook", 10015)
        state = next((s for s in self._interactions.values() if s.token == token), None)
        if state is None:
            raise _ApiError(404, "Unknown Webhook", 10015)
        return state

    # ------------------------------------------------------------------ messages

    def _build_message(
        self,
        *,
        channel_id: int,
        body: Json,
        author: Json,
        files: Sequence[RecordedFile] = (),
        message_id: int | None = None,
        msg_type: int = 0,
    ) -> Json:
        """A complete message object (what discord.py needs to build ``discord.Message``)."""
        mid = message_id or self._ids.next()
        guild = self._guild_of_channel(channel_id)
        content = body.get("content") or ""
        message: Json = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._make_attachments(channel_id, body, files, []),
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": msg_type,
            "flags": int(body.get("flags") or 0) & _SETTABLE_FLAGS,
        }
        self._fill_mentions(message, guild)
        if guild is not None:
            message["guild_id"] = str(guild.id)
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if body.get("poll") is not None:
            message["poll"] = body["poll"]
        reference = body.get("message_reference")
        if reference:
            ref = {k: v for k, v in reference.items() if k != "fail_if_not_exists"}
            ref.setdefault("channel_id", str(channel_id))
            message["message_reference"] = ref
            message["type"] = 19 if msg_type == 0 else msg_type
            referenced = self._messages.get(int(reference.get("message_id") or 0))
            if referenced is not None:  # one level deep: not the message it replies to
                shown = {k: v for k, v in referenced.items() if k != "referenced_message"}
                message["referenced_message"] = copy.deepcopy(shown)
        return message

    def _fill_mentions(self, message: Json, guild: FakeGuild | None) -> None:
        content = message["content"]
        user_ids = dict.fromkeys(int(m) for m in re.findall(r"<@!?(\d+)>", content))
        message["mentions"] = [self._user(uid).payload() for uid in user_ids]
        message["mention_roles"] = list(dict.fromkeys(re.findall(r"<@&(\d+)>", content)))
        message["mention_everyone"] = "@everyone" in content or "@here" in content

    def _make_attachments(
        self, channel_id: int, body: Json, files: Sequence[RecordedFile], existing: list[Json]
    ) -> list[Json]:
        wanted = body.get("attachments")
        kept: list[Json] = []
        if wanted is not None:
            keep_ids = {str(a.get("id")) for a in wanted}
            kept = [a for a in existing if a["id"] in keep_ids]
        else:
            kept = list(existing)
        by_index = {str(a.get("id")): a for a in (wanted or [])}
        for position, upload in enumerate(files):
            match = re.fullmatch(r"files\[(\d+)\]", upload.field)
            index = match.group(1) if match else str(position)
            meta = by_index.get(index, {})
            attachment_id = self._ids.next()
            filename = meta.get("filename") or upload.filename
            self._attachments[attachment_id] = upload.data
            url = f"{self.url}/attachments/{channel_id}/{attachment_id}/{filename}"
            attachment: Json = {
                "id": str(attachment_id),
                "filename": filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url,
                "content_type": upload.content_type,
            }
            if meta.get("description"):
                attachment["description"] = meta["description"]
            kept.append(attachment)
        return kept

    def _edit_message(self, message: Json, body: Json, files: Sequence[RecordedFile]) -> Json:
        if "content" in body:
            message["content"] = body["content"] or ""
            self._fill_mentions(message, self._guild_of_channel(int(message["channel_id"])))
        for key in ("embeds", "components"):
            if key in body:
                message[key] = body[key] or []
        if "poll" in body and body["poll"] is not None:
            message["poll"] = body["poll"]
        flags = int(message.get("flags") or 0) & ~FLAG_LOADING
        if body.get("flags") is not None:
            editable = FLAG_SUPPRESS_EMBEDS | FLAG_IS_COMPONENTS_V2
            flags = (flags & ~editable) | (int(body["flags"]) & editable)
        message["flags"] = flags
        if "attachments" in body or files:
            message["attachments"] = self._make_attachments(
                int(message["channel_id"]), body, files, message.get("attachments", [])
            )
        message["edited_timestamp"] = _now_iso()
        return message

    def _interaction_message(
        self, state: _InteractionState, body: Json, files: Sequence[RecordedFile], *, flags: int
    ) -> Json:
        payload = state.payload
        user = payload.get("member", {}).get("user") or payload.get("user")
        itype = int(payload["type"])
        message = self._build_message(
            channel_id=state.channel_id,
            body={**body, "flags": flags},
            author=self.bot_user.payload(),
            files=files,
            msg_type=20 if itype == INTERACTION_APPLICATION_COMMAND else 0,
        )
        message["flags"] = flags
        message["webhook_id"] = str(self.application_id)
        message["application_id"] = str(self.application_id)
        metadata: Json = {
            "id": str(state.id),
            "type": itype,
            "user": user,
            "authorizing_integration_owners": payload.get("authorizing_integration_owners", {}),
        }
        if state.original_message_id is not None:
            metadata["original_response_message_id"] = str(state.original_message_id)
        if state.message_id is not None:
            metadata["interacted_message_id"] = str(state.message_id)
        data = payload.get("data") or {}
        if itype == INTERACTION_APPLICATION_COMMAND and data.get("type") == COMMAND_MESSAGE:
            metadata["target_message_id"] = data["target_id"]
        message["interaction_metadata"] = metadata
        self._messages[int(message["id"])] = message
        return message

    def _get_message(self, channel_id: int, message_id: int) -> Json:
        message = self._messages.get(message_id)
        if message is None or int(message["channel_id"]) != channel_id:
            raise _ApiError(404, "Unknown Message", 10008)
        return message

    def _as_seen_by_app(self, message: Json, *, target: bool = False) -> Json:
        """A message (a copy) as Discord shows it to this application. Without the Message
        Content intent switched on for it (``application_flags``), the content of others'
        server messages is empty, except where the bot is mentioned and in the ``target`` of
        a message command; a message it replies to is shown by the same rule."""
        seen = copy.deepcopy(message)
        if not target and self._content_hidden(seen):
            seen.update(content="", embeds=[], attachments=[], components=[])
            seen.pop("poll", None)
        if "referenced_message" in seen:  # as it is now: null once deleted
            live = self._messages.get(int(seen["message_reference"]["message_id"]))
            shown = {k: v for k, v in live.items() if k != "referenced_message"} if live else None
            seen["referenced_message"] = self._as_seen_by_app(shown) if shown else None
        return seen

    def _content_hidden(self, message: Json) -> bool:
        if self.application_flags & (APP_FLAG_MESSAGE_CONTENT | APP_FLAG_MESSAGE_CONTENT_LIMITED):
            return False
        if message.get("guild_id") is None or message["author"]["id"] == str(self.bot_user.id):
            return False  # direct messages and the bot's own
        return not any(int(u["id"]) == self.bot_user.id for u in message.get("mentions", []))

    # ------------------------------------------------------------------ HTTP plumbing

    def _register_routes(self, app: web.Application) -> None:
        routes: list[tuple[str, str, Callable[..., Any], bool]] = [
            # OAuth2: a user's own token (Bearer) or the bot's; checked by the handlers.
            ("POST", "/oauth2/token", self._h_oauth_token, False),
            ("GET", "/users/@me", self._h_me, False),
            ("GET", "/users/@me/guilds", self._h_my_guilds, False),
            ("GET", "/users/@me/guilds/{guild_id}/member", self._h_my_member, False),
            ("DELETE", "/users/@me/guilds/{guild_id}", self._h_leave_guild, True),
            ("GET", "/users/{user_id}", self._h_get_user, True),
            ("POST", "/users/{user_id}/channels", self._h_open_dm, True),
            ("GET", "/gateway", self._h_gateway_info, False),
            ("GET", "/gateway/bot", self._h_gateway_bot, True),
            ("GET", "/oauth2/applications/@me", self._h_application_info, True),
            ("GET", "/applications/@me", self._h_application_info, True),
            ("GET", "/applications/{app_id}/commands", self._h_get_commands, True),
            ("PUT", "/applications/{app_id}/commands", self._h_put_commands, True),
            ("POST", "/applications/{app_id}/commands", self._h_post_command, True),
            (
                "GET",
                "/applications/{app_id}/guilds/{guild_id}/commands",
                self._h_get_commands,
                True,
            ),
            (
                "PUT",
                "/applications/{app_id}/guilds/{guild_id}/commands",
                self._h_put_commands,
                True,
            ),
            (
                "POST",
                "/applications/{app_id}/guilds/{guild_id}/commands",
                self._h_post_command,
                True,
            ),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._h_callback, False),
            ("GET", "/webhooks/{webhook_id}/{token}", self._h_get_webhook, False),
            ("PATCH", "/webhooks/{webhook_id}/{token}", self._h_get_webhook, False),
            ("DELETE", "/webhooks/{webhook_id}/{token}", self._h_delete_webhook, False),
            ("POST", "/webhooks/{webhook_id}/{token}", self._h_followup, False),
            (
                "GET",
                "/webhooks/{webhook_id}/{token}/messages/{message_id}",
                self._h_webhook_message,
                False,
            ),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{token}/messages/{message_id}",
                self._h_webhook_message,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{token}/messages/{message_id}",
                self._h_webhook_message,
                False,
            ),
            ("GET", "/channels/{channel_id}", self._h_get_channel, True),
            ("GET", "/channels/{channel_id}/messages", self._h_list_messages, True),
            ("POST", "/channels/{channel_id}/messages", self._h_create_message, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._h_get_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._h_edit_message, True),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}",
                self._h_delete_message,
                True,
            ),
            ("POST", "/channels/{channel_id}/typing", self._h_no_content, True),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{who}",
                self._h_no_content,
                True,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{who}",
                self._h_no_content,
                True,
            ),
            ("GET", "/guilds/{guild_id}", self._h_get_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self._h_guild_channels, True),
            ("GET", "/guilds/{guild_id}/roles", self._h_guild_roles, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._h_guild_member, True),
            ("GET", "/guilds/{guild_id}/scheduled-events", self._h_list_events, True),
            ("POST", "/guilds/{guild_id}/scheduled-events", self._h_create_event, True),
            ("GET", "/guilds/{guild_id}/scheduled-events/{event_id}", self._h_event, True),
            ("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}", self._h_event, True),
            ("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}", self._h_event, True),
            (
                "GET",
                "/guilds/{guild_id}/scheduled-events/{event_id}/users",
                self._h_event_users,
                True,
            ),
        ]
        for method, template, handler, auth in routes:
            app.router.add_route(
                method, API_PREFIX + template, self._endpoint(method, template, handler, auth)
            )
        app.router.add_route("GET", "/oauth2/authorize", self._h_oauth_authorize)
        app.router.add_route("GET", "/gateway", self._gateway_handler)
        app.router.add_route("GET", "/gateway/", self._gateway_handler)
        app.router.add_route(
            "GET", "/attachments/{channel_id}/{attachment_id}/{filename}", self._h_attachment
        )
        app.router.add_route(
            "*", API_PREFIX + "/{tail:.*}", self._endpoint("*", "", self._h_not_found, False)
        )

    def _endpoint(
        self, method: str, template: str, handler: Callable[..., Any], auth: bool
    ) -> Callable[[web.Request], Any]:
        route = f"{method} {template}" if template else ""

        async def endpoint(request: web.Request) -> web.StreamResponse:
            rec = await self._record(request, route)
            try:
                rule = self._take_failure(rec)
                if rule is not None:
                    rec.injected = True
                    response: web.StreamResponse = self._failure_response(rule, rec)
                elif auth and not self._authorized(request):
                    response = _ApiError(401, "401: Unauthorized").response()
                else:
                    response = await handler(rec, request.match_info)
            except _ApiError as exc:
                self.protocol_errors.append(f"{rec.method} {rec.path}: {exc.status} {exc.message}")
                response = exc.response()
            except Exception as exc:  # a bug in the fake: surface it loudly
                self.protocol_errors.append(f"{rec.method} {rec.path}: fake crashed: {exc!r}")
                response = _json_response(
                    {"message": f"fake crashed: {exc!r}", "code": 0}, status=500
                )
            rec.status = response.status
            if response.status != 429 and not rec.injected:
                response.headers.update(_ratelimit_headers(route or rec.path))
            self._notify()
            return response

        return endpoint

    async def _record(self, request: web.Request, route: str) -> RecordedRequest:
        body: Any = None
        files: list[RecordedFile] = []
        if request.can_read_body:
            if request.content_type == "application/json":
                raw = await request.read()
                body = json.loads(raw) if raw else None
            elif request.content_type == "multipart/form-data":
                reader = await request.multipart()
                while True:
                    part = await reader.next()
                    if part is None:
                        break
                    if part.name == "payload_json":  # type: ignore[union-attr]
                        body = json.loads(await part.text())  # type: ignore[union-attr]
                    elif getattr(part, "filename", None):
                        files.append(
                            RecordedFile(
                                field=part.name or "",  # type: ignore[union-attr]
                                filename=part.filename or "",  # type: ignore[union-attr]
                                content_type=part.headers.get("Content-Type"),
                                data=bytes(await part.read()),  # type: ignore[union-attr]
                            )
                        )
            elif request.content_type == "application/x-www-form-urlencoded":
                body = dict(await request.post())
            else:
                await request.read()
        path = re.sub(r"^/api/v\d+", "", request.path)
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            json=body,
            headers=dict(request.headers),
            route=route,
            files=files,
            at=asyncio.get_running_loop().time(),
        )
        self.requests.append(rec)
        return rec

    def _authorized(self, request: web.Request) -> bool:
        if self.token is None:
            return request.headers.get("Authorization", "").startswith("Bot ")
        return request.headers.get("Authorization") == f"Bot {self.token}"

    # ------------------------------------------------------------------ REST handlers

    async def _h_not_found(self, rec: RecordedRequest, match: _Match) -> web.Response:
        self.protocol_errors.append(f"unhandled route {rec.method} {rec.path}")
        return _ApiError(404, "404: Not Found").response()

    async def _h_no_content(self, rec: RecordedRequest, match: _Match) -> web.Response:
        if "channel_id" in match and self._channel_payload(int(match["channel_id"])) is None:
            raise _ApiError(404, "Unknown Channel", 10003)
        return web.Response(status=204)

    async def _h_get_user(self, rec: RecordedRequest, match: _Match) -> web.Response:
        if match["user_id"] == "@me":
            data = self.bot_user.payload()
            data.update(verified=True, mfa_enabled=False, locale="en-US", email=None)
            return _json_response(data)
        return _json_response(self._user(int(match["user_id"])).payload())

    async def _h_open_dm(self, rec: RecordedRequest, match: _Match) -> web.Response:
        if match["user_id"] != "@me":
            raise _ApiError(403, "Missing Access", 50001)
        recipient = (rec.json or {}).get("recipient_id")
        if recipient is None:
            raise _ApiError(400, "Invalid Form Body", 50035, {"recipient_id": "required"})
        return _json_response(copy.deepcopy(self._open_dm(int(recipient))))

    async def _h_gateway_info(self, rec: RecordedRequest, match: _Match) -> web.Response:
        return _json_response({"url": self.gateway_url})

    async def _h_gateway_bot(self, rec: RecordedRequest, match: _Match) -> web.Response:
        return _json_response(
            {
                "url": self.gateway_url,
                "shards": self.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _h_application_info(self, rec: RecordedRequest, match: _Match) -> web.Response:
        return _json_response(
            {
                "id": str(self.application_id),
                "name": self.bot_user.username,
                "icon": None,
                "description": "",
                "summary": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "bot": self.bot_user.payload(),
                "owner": self.owner.payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": self.application_flags,
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(self.guilds),
                "integration_types_config": {"0": {}},
            }
        )

    def _check_app(self, match: Mapping[str, str]) -> int | None:
        if match["app_id"] != str(self.application_id):
            raise _ApiError(403, "Missing Access", 50001)
        guild_id = match.get("guild_id")
        if guild_id is None:
            return None
        if not any(g.id == int(guild_id) for g in self.guilds):
            raise _ApiError(403, "Missing Access", 50001)
        return int(guild_id)

    async def _h_get_commands(self, rec: RecordedRequest, match: _Match) -> web.Response:
        scope = self._check_app(match)
        return _json_response(self._commands.get(scope, []))

    async def _h_put_commands(self, rec: RecordedRequest, match: _Match) -> web.Response:
        scope = self._check_app(match)
        payload = rec.json
        if not isinstance(payload, list):
            raise _ApiError(400, "Invalid Form Body", 50035, {"_errors": "expected an array"})
        errors = {str(i): e for i, cmd in enumerate(payload) if (e := _validate_command(cmd))}
        for ctype in (COMMAND_USER, COMMAND_MESSAGE):
            menus = [c for c in payload if isinstance(c, dict) and c.get("type") == ctype]
            if len(menus) > CONTEXT_MENUS_MAX:
                errors["_errors"] = f"at most {CONTEXT_MENUS_MAX} context menus of type {ctype}"
        if errors:
            raise _ApiError(400, "Invalid Form Body", 50035, errors)
        previous = self._commands.get(scope, [])
        self._command_payloads[scope] = copy.deepcopy(payload)
        self._commands[scope] = [self._store_command(cmd, scope, previous) for cmd in payload]
        return _json_response(self._commands[scope])

    async def _h_post_command(self, rec: RecordedRequest, match: _Match) -> web.Response:
        scope = self._check_app(match)
        cmd = rec.json or {}
        error = _validate_command(cmd)
        if error:
            raise _ApiError(400, "Invalid Form Body", 50035, error)
        previous = self._commands.get(scope, [])
        stored = self._store_command(cmd, scope, previous)
        self._commands[scope] = [
            c for c in previous if (c["name"], c["type"]) != (stored["name"], stored["type"])
        ] + [stored]
        return _json_response(stored, status=201)

    def _store_command(self, cmd: Json, scope: int | None, previous: list[Json]) -> Json:
        ctype = int(cmd.get("type", 1))
        old = next((c for c in previous if c["name"] == cmd["name"] and c["type"] == ctype), None)
        stored: Json = {
            "id": old["id"] if old else str(self._ids.next()),
            "application_id": str(self.application_id),
            "version": str(self._ids.next()),
            "type": ctype,
            "name": cmd["name"],
            "description": cmd.get("description", ""),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "dm_permission": cmd.get("dm_permission", True),
            "nsfw": cmd.get("nsfw", False),
            "name_localizations": cmd.get("name_localizations"),
            "description_localizations": cmd.get("description_localizations"),
            "integration_types": cmd.get("integration_types", [0]),
            "contexts": cmd.get("contexts"),
        }
        if ctype == COMMAND_CHAT_INPUT:  # context menus have no options
            stored["options"] = copy.deepcopy(cmd.get("options", []))
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    async def _h_callback(self, rec: RecordedRequest, match: _Match) -> web.Response:
        state = self._interactions.get(int(match["interaction_id"]))
        if state is None or state.token != match["token"]:
            raise _ApiError(404, "Unknown interaction", 10062)
        if state.callback is not None:
            raise _ApiError(400, "Interaction has already been acknowledged.", 40060)
        body = rec.json if isinstance(rec.json, dict) else {}
        ctype = int(body.get("type", 0))
        if ctype not in _KNOWN_CALLBACK_TYPES:
            raise _ApiError(400, "Invalid Form Body", 50035, {"type": f"unknown type {ctype}"})
        data = body.get("data") or {}
        itype = int(state.payload["type"])
        allowed = {
            INTERACTION_PING: {CALLBACK_PONG},
            INTERACTION_APPLICATION_COMMAND: {4, 5, 9, 10, 12},
            INTERACTION_MESSAGE_COMPONENT: {4, 5, 6, 7, 9, 10, 12},
            INTERACTION_AUTOCOMPLETE: {CALLBACK_AUTOCOMPLETE_RESULT},
            INTERACTION_MODAL_SUBMIT: {4, 5, 6, 7, 10, 12},
        }[itype]
        if ctype not in allowed:
            raise _ApiError(
                400, f"Interaction callback type {ctype} invalid for type {itype}", 50035
            )

        message: Json | None = None
        if ctype == CALLBACK_CHANNEL_MESSAGE:
            flags = int(data.get("flags") or 0) & _SETTABLE_FLAGS
            message = self._interaction_message(state, data, rec.files, flags=flags)
            state.original_message_id = int(message["id"])
        elif ctype == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._interaction_message(state, {"content": ""}, (), flags=flags)
            state.original_message_id = int(message["id"])
            state.loading = True
        elif ctype in (CALLBACK_DEFERRED_UPDATE_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            if state.message_id is not None:
                target = self._messages.get(state.message_id)
                if target is None:  # synthetic message from the builder: materialise it
                    target = copy.deepcopy(state.payload["message"])
                    self._messages[state.message_id] = target
                if ctype == CALLBACK_UPDATE_MESSAGE:
                    self._edit_message(target, data, rec.files)
                message = target
                state.original_message_id = state.message_id

        record = CallbackRecord(interaction_id=state.id, token=state.token, body=body)
        state.callback = record
        self.callbacks.append(record)
        if rec.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        interaction: Json = {
            "id": str(state.id),
            "type": itype,
            "response_message_loading": ctype == CALLBACK_DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(message and int(message["flags"]) & FLAG_EPHEMERAL),
        }
        resource: Json = {"type": ctype}
        if message is not None:
            interaction["response_message_id"] = message["id"]
            resource["message"] = copy.deepcopy(message)
        return _json_response({"interaction": interaction, "resource": resource})

    async def _h_get_webhook(self, rec: RecordedRequest, match: _Match) -> web.Response:
        self._interaction_by_token(match["webhook_id"], match["token"])
        return _json_response(
            {
                "id": str(self.application_id),
                "type": 3,
                "name": self.bot_user.username,
                "avatar": None,
                "channel_id": None,
                "guild_id": None,
                "application_id": str(self.application_id),
            }
        )

    async def _h_delete_webhook(self, rec: RecordedRequest, match: _Match) -> web.Response:
        self._interaction_by_token(match["webhook_id"], match["token"])
        return web.Response(status=204)

    async def _h_followup(self, rec: RecordedRequest, match: _Match) -> web.Response:
        state = self._interaction_by_token(match["webhook_id"], match["token"])
        if state.callback is None:
            raise _ApiError(404, "Unknown Webhook", 10015)
        body = rec.json if isinstance(rec.json, dict) else {}
        replaced = False
        if state.loading and state.original_message_id is not None:
            # Discord turns the deferred "thinking" message into the first follow-up;
            # its ephemerality was fixed by the defer.
            message = self._messages[state.original_message_id]
            self._edit_message(message, body, rec.files)
            state.loading = False
            replaced = True
        else:
            flags = int(body.get("flags") or 0) & _SETTABLE_FLAGS
            message = self._interaction_message(state, body, rec.files, flags=flags)
            state.followup_message_ids.append(int(message["id"]))
        self.followups.append(
            FollowupRecord(
                token=state.token,
                body=body,
                message_id=int(message["id"]),
                replaced_original=replaced,
            )
        )
        if rec.query.get("wait", "").lower() in ("1", "true"):
            return _json_response(copy.deepcopy(message))
        return web.Response(status=204)

    async def _h_webhook_message(self, rec: RecordedRequest, match: _Match) -> web.Response:
        state = self._interaction_by_token(match["webhook_id"], match["token"])
        raw_id = match["message_id"]
        if raw_id == "@original":
            if state.original_message_id is None:
                raise _ApiError(404, "Unknown Message", 10008)
            message_id = state.original_message_id
        else:
            message_id = int(raw_id)
            if (
                message_id != state.original_message_id
                and message_id not in state.followup_message_ids
            ):
                raise _ApiError(404, "Unknown Message", 10008)
        message = self._messages.get(message_id)
        if message is None:
            raise _ApiError(404, "Unknown Message", 10008)
        if rec.method == "GET":
            return _json_response(copy.deepcopy(message))
        if rec.method == "DELETE":
            del self._messages[message_id]
            self.deleted_message_ids.append(message_id)
            return web.Response(status=204)
        body = rec.json if isinstance(rec.json, dict) else {}
        if message_id == state.original_message_id:
            state.loading = False
        return _json_response(copy.deepcopy(self._edit_message(message, body, rec.files)))

    async def _h_get_channel(self, rec: RecordedRequest, match: _Match) -> web.Response:
        channel = self._channel_payload(int(match["channel_id"]))
        if channel is None:
            raise _ApiError(404, "Unknown Channel", 10003)
        return _json_response(channel)

    async def _h_list_messages(self, rec: RecordedRequest, match: _Match) -> web.Response:
        channel_id = int(match["channel_id"])
        if self._channel_payload(channel_id) is None:
            raise _ApiError(404, "Unknown Channel", 10003)
        limit = int(rec.query.get("limit", "50"))
        before = int(rec.query.get("before", str(1 << 63)))
        after = int(rec.query.get("after", "0"))
        found = [m for m in self.messages_in(channel_id) if after < int(m["id"]) < before]
        found.reverse()  # newest first, like Discord
        return _json_response([self._as_seen_by_app(m) for m in found[:limit]])

    async def _h_create_message(self, rec: RecordedRequest, match: _Match) -> web.Response:
        channel_id = int(match["channel_id"])
        if self._channel_payload(channel_id) is None:
            raise _ApiError(404, "Unknown Channel", 10003)
        body = rec.json if isinstance(rec.json, dict) else {}
        if (
            not any(body.get(k) for k in ("content", "embeds", "components", "sticker_ids", "poll"))
            and not rec.files
        ):
            raise _ApiError(400, "Cannot send an empty message", 50006)
        if body.get("enforce_nonce") and body.get("nonce") is not None:
            # Discord: a message by the same author with the same nonce, created in the past
            # few minutes, is returned instead of creating another one.
            earlier = self._by_nonce(channel_id, str(body["nonce"]))
            if earlier is not None:
                return _json_response(copy.deepcopy(earlier))
        message = self._build_message(
            channel_id=channel_id, body=body, author=self.bot_user.payload(), files=rec.files
        )
        # Only interaction responses can be ephemeral.
        message["flags"] = int(message["flags"]) & ~FLAG_EPHEMERAL
        self._messages[int(message["id"])] = message
        return _json_response(copy.deepcopy(message))

    def _by_nonce(self, channel_id: int, nonce: str) -> Json | None:
        horizon = time.time() - NONCE_WINDOW
        for message in self._messages.values():
            if (
                int(message["channel_id"]) == channel_id
                and str(message.get("nonce")) == nonce
                and message["author"]["id"] == str(self.bot_user.id)
                and _created(message) >= horizon
            ):
                return message
        return None

    async def _h_get_message(self, rec: RecordedRequest, match: _Match) -> web.Response:
        message = self._get_message(int(match["channel_id"]), int(match["message_id"]))
        return _json_response(self._as_seen_by_app(message))

    async def _h_edit_message(self, rec: RecordedRequest, match: _Match) -> web.Response:
        message = self._get_message(int(match["channel_id"]), int(match["message_id"]))
        if message["author"]["id"] != str(self.bot_user.id):
            raise _ApiError(403, "Cannot edit a message authored by another user", 50005)
        body = rec.json if isinstance(rec.json, dict) else {}
        return _json_response(copy.deepcopy(self._edit_message(message, body, rec.files)))

    async def _h_delete_message(self, rec: RecordedRequest, match: _Match) -> web.Response:
        message = self._get_message(int(match["channel_id"]), int(match["message_id"]))
        del self._messages[int(message["id"])]
        self.deleted_message_ids.append(int(message["id"]))
        return web.Response(status=204)

    def _guild_or_404(self, guild_id: str) -> FakeGuild:
        guild = next((g for g in self.guilds if str(g.id) == guild_id), None)
        if guild is None:
            raise _ApiError(404, "Unknown Guild", 10004)
        return guild

    async def _h_my_guilds(self, rec: RecordedRequest, match: _Match) -> web.Response:
        """Partial guilds the bot is in (GET /users/@me/guilds); with a user's OAuth2 token
        (scope `guilds`), the guilds that user is a member of."""
        guilds = self.guilds
        if _bearer(rec) is not None:
            user_id = self._oauth_user(rec, "guilds")
            guilds = [g for g in self.guilds if g.member(user_id) is not None]
        elif not self._bot_authorized(rec):
            raise _ApiError(401, "401: Unauthorized")
        return _json_response(
            [
                {"id": str(g.id), "name": g.name, "icon": None, "owner": False,
                 "permissions": "0", "features": list(g.features)}
                for g in guilds
            ]
        )  # fmt: skip

    # ------------------------------------------------------------------ OAuth2 (web sign-in)

    def sign_in_as(self, user_id: int | None, *, consent: bool = True) -> None:
        """Who "clicks Authorize" on the next authorize pages (``consent=False``: Cancel)."""
        self.oauth_user = user_id
        self.oauth_consent = consent

    @property
    def authorize_url(self) -> str:
        """What ``https://discord.com/oauth2/authorize`` is on the fake."""
        return f"{self.url}/oauth2/authorize"

    async def _h_oauth_authorize(self, request: web.Request) -> web.Response:
        """The consent page, answered at once as ``oauth_user`` would. A wrong client id, an
        unknown scope or a missing redirect gets an error page, like Discord's."""
        q = request.query
        scopes = frozenset(q.get("scope", "").split())
        known = {"identify", "email", "guilds", "guilds.members.read", "connections"}
        redirect_uri = q.get("redirect_uri", "")
        if q.get("client_id") != str(self.application_id):
            return web.Response(status=400, text="Unknown Application", content_type="text/html")
        if q.get("response_type") != "code" or not scopes or not scopes <= known:
            return web.Response(status=400, text="invalid_scope", content_type="text/html")
        if not redirect_uri.startswith(("http://", "https://")):
            return web.Response(status=400, text="Invalid redirect_uri", content_type="text/html")
        answer = {"state": q.get("state", "")}
        if not self.oauth_consent or self.oauth_user is None:
            answer.update(
                error="access_denied",
                error_description="The resource owner or authorization server denied the request",
            )
        else:
            code = secrets.token_urlsafe(20)
            self.oauth_codes[code] = (self.oauth_user, scopes, redirect_uri)
            answer["code"] = code
        location = str(yarl.URL(redirect_uri).update_query(answer))
        return web.Response(status=302, headers={"Location": location})

    async def _h_oauth_token(self, rec: RecordedRequest, match: _Match) -> web.Response:
        """POST /oauth2/token (form): client authentication (HTTP Basic or form fields), then
        a single-use code, for the redirect_uri it was issued to."""
        form = rec.json if isinstance(rec.json, dict) else {}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = rec.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            with contextlib.suppress(ValueError):
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != str(self.application_id) or secret != self.client_secret:
            return _json_response({"error": "invalid_client"}, status=401)
        if form.get("grant_type") != "authorization_code":
            return _json_response({"error": "unsupported_grant_type"}, status=400)
        found = self.oauth_codes.pop(str(form.get("code", "")), None)
        if found is None:
            return _json_response(
                {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'},
                status=400,
            )
        user_id, scopes, redirect_uri = found
        if form.get("redirect_uri") != redirect_uri:
            return _json_response(
                {
                    "error": "invalid_grant",
                    "error_description": 'Invalid "redirect_uri" in request.',
                },
                status=400,
            )
        token = secrets.token_urlsafe(24)
        self.oauth_tokens[token] = (user_id, scopes)
        return _json_response(
            {
                "token_type": "Bearer",
                "access_token": token,
                "expires_in": OAUTH_TOKEN_SECONDS,
                "refresh_token": secrets.token_urlsafe(24),
                "scope": " ".join(sorted(scopes)),
            }
        )

    def _bot_authorized(self, rec: RecordedRequest) -> bool:
        auth = rec.headers.get("Authorization", "")
        if self.token is None:
            return auth.startswith("Bot ")
        return auth == f"Bot {self.token}"

    def _oauth_user(self, rec: RecordedRequest, scope: str) -> int:
        """The user of a Bearer token that has `scope` (Discord: 401 without a valid token,
        403 Missing Access without the scope)."""
        found = self.oauth_tokens.get(_bearer(rec) or "")
        if found is None:
            raise _ApiError(401, "401: Unauthorized")
        user_id, scopes = found
        if scope not in scopes:
            raise _ApiError(403, "Missing Access", 50001)
        return user_id

    async def _h_me(self, rec: RecordedRequest, match: _Match) -> web.Response:
        if _bearer(rec) is None:
            if not self._bot_authorized(rec):
                raise _ApiError(401, "401: Unauthorized")
            return await self._h_get_user(rec, {"user_id": "@me"})
        user = self._user(self._oauth_user(rec, "identify"))
        data = user.payload()
        data.update(locale=user.locale, mfa_enabled=False, premium_type=0)
        return _json_response(data)

    async def _h_my_member(self, rec: RecordedRequest, match: _Match) -> web.Response:
        """GET /users/@me/guilds/{guild}/member: the user's own membership (scope
        `guilds.members.read`); 404 Unknown Guild when they are not in it."""
        user_id = self._oauth_user(rec, "guilds.members.read")
        guild = next((g for g in self.guilds if str(g.id) == match["guild_id"]), None)
        member = guild.member(user_id) if guild is not None else None
        if member is None:
            raise _ApiError(404, "Unknown Guild", 10004)
        return _json_response(member.payload())

    async def _h_leave_guild(self, rec: RecordedRequest, match: _Match) -> web.Response:
        """The bot leaves: the guild is gone for it, and the gateway says GUILD_DELETE."""
        guild = self._guild_or_404(match["guild_id"])
        self.guilds.remove(guild)
        self.left_guild_ids.append(guild.id)
        session = self._session_of(guild.id)
        if session is not None:
            await self._dispatch_to(session, "GUILD_DELETE", {"id": str(guild.id)})
        return web.Response(status=204)

    async def _h_get_guild(self, rec: RecordedRequest, match: _Match) -> web.Response:
        return _json_response(self._guild_or_404(match["guild_id"]).payload())

    async def _h_guild_channels(self, rec: RecordedRequest, match: _Match) -> web.Response:
        guild = self._guild_or_404(match["guild_id"])
        # Like Discord, threads are not listed with the channels.
        return _json_response([c.payload(guild.id) for c in guild.channels if not c.is_thread])

    async def _h_guild_roles(self, rec: RecordedRequest, match: _Match) -> web.Response:
        guild = self._guild_or_404(match["guild_id"])
        return _json_response([r.payload() for r in guild.roles])

    async def _h_guild_member(self, rec: RecordedRequest, match: _Match) -> web.Response:
        guild = self._guild_or_404(match["guild_id"])
        member = guild.member(int(match["user_id"]))
        if member is None:
            raise _ApiError(404, "Unknown Member", 10007)
        return _json_response(member.payload())

    async def _h_list_events(self, rec: RecordedRequest, match: _Match) -> web.Response:
        guild = self._guild_or_404(match["guild_id"])
        found = self.scheduled_events(guild.id)
        if not _truthy(rec.query.get("with_user_count")):
            for event in found:
                event.pop("user_count", None)
        return _json_response(found)

    def _check_event_permission(self, guild: FakeGuild, event: Json | None = None) -> None:
        """Creating needs Create Events or Manage Events; changing an event the bot created
        too; changing someone else's needs Manage Events."""
        perms = self.bot_permissions_in(guild.id)
        own = event is None or str(event.get("creator_id")) == str(self.bot_user.id)
        needed = PERM_MANAGE_EVENTS | (PERM_CREATE_EVENTS if own else 0)
        if not perms & needed:
            raise _ApiError(403, "Missing Permissions", 50013)

    async def _h_create_event(self, rec: RecordedRequest, match: _Match) -> web.Response:
        guild = self._guild_or_404(match["guild_id"])
        self._check_event_permission(guild)
        body = rec.json if isinstance(rec.json, dict) else {}
        errors = _validate_event(body, guild, self.now(), creating=True)
        if errors:
            raise _ApiError(400, "Invalid Form Body", 50035, errors)
        external = body["entity_type"] == ENTITY_EXTERNAL
        event: Json = {
            "id": str(self._ids.next()),
            "guild_id": str(guild.id),
            "channel_id": None if external else _snowflake_str(body.get("channel_id")),
            "creator_id": str(self.bot_user.id),
            "creator": self.bot_user.payload(),
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body["privacy_level"],
            "status": EVENT_SCHEDULED,
            "entity_type": body["entity_type"],
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata") if external else None,
            "user_count": 0,
            "image": _image_hash(body.get("image")),
            "recurrence_rule": body.get("recurrence_rule"),
        }
        self._scheduled_events[int(event["id"])] = event
        self._event_users[int(event["id"])] = []
        await self._dispatch_if_connected(
            "GUILD_SCHEDULED_EVENT_CREATE", copy.deepcopy(event), INTENT_GUILD_SCHEDULED_EVENTS
        )
        return _json_response(copy.deepcopy(event))

    async def _h_event(self, rec: RecordedRequest, match: _Match) -> web.Response:
        guild = self._guild_or_404(match["guild_id"])
        event = self._scheduled_events.get(int(match["event_id"]))
        if event is None or int(event["guild_id"]) != guild.id:
            raise _ApiError(404, "Unknown Guild Scheduled Event", UNKNOWN_SCHEDULED_EVENT)
        if rec.method == "GET":
            found = copy.deepcopy(event)
            if not _truthy(rec.query.get("with_user_count")):
                found.pop("user_count", None)
            return _json_response(found)
        self._check_event_permission(guild, event)
        if rec.method == "DELETE":
            del self._scheduled_events[int(event["id"])]
            self._event_users.pop(int(event["id"]), None)
            await self._dispatch_if_connected(
                "GUILD_SCHEDULED_EVENT_DELETE", copy.deepcopy(event), INTENT_GUILD_SCHEDULED_EVENTS
            )
            return web.Response(status=204)
        body = rec.json if isinstance(rec.json, dict) else {}
        if event["status"] not in _EVENT_TRANSITIONS:
            raise _ApiError(400, "Cannot modify a completed or canceled event", 180000)
        errors = _validate_event({**event, **body}, guild, self.now(), creating=False, changed=body)
        status = body.get("status", event["status"])
        if status not in _EVENT_TRANSITIONS[event["status"]]:
            errors["status"] = f"cannot go from {event['status']} to {status}"
        if errors:
            raise _ApiError(400, "Invalid Form Body", 50035, errors)
        for key, value in body.items():
            if key == "image":
                event["image"] = _image_hash(value)
            elif key == "channel_id":
                event["channel_id"] = _snowflake_str(value)
            elif key in _EVENT_FIELDS:
                event[key] = value
        if event["entity_type"] == ENTITY_EXTERNAL:
            event["channel_id"] = None
        else:
            event["entity_metadata"] = None
        await self._dispatch_if_connected(
            "GUILD_SCHEDULED_EVENT_UPDATE", copy.deepcopy(event), INTENT_GUILD_SCHEDULED_EVENTS
        )
        return _json_response(copy.deepcopy(event))

    async def _h_event_users(self, rec: RecordedRequest, match: _Match) -> web.Response:
        """Who is interested: by user id ascending, `limit` (at most 100) after/before an id,
        each with their member object when `with_member` is true."""
        guild = self._guild_or_404(match["guild_id"])
        event = self._scheduled_events.get(int(match["event_id"]))
        if event is None or int(event["guild_id"]) != guild.id:
            raise _ApiError(404, "Unknown Guild Scheduled Event", UNKNOWN_SCHEDULED_EVENT)
        limit = int(rec.query.get("limit") or 100)
        if not 1 <= limit <= 100:
            raise _ApiError(400, "Invalid Form Body", 50035, {"limit": "between 1 and 100"})
        ids = sorted(self._event_users.get(int(event["id"]), []))
        if rec.query.get("after"):
            ids = [i for i in ids if i > int(rec.query["after"])]
        if rec.query.get("before"):
            ids = [i for i in ids if i < int(rec.query["before"])][-limit:]
        page = []
        for user_id in ids[:limit]:
            entry: Json = {
                "guild_scheduled_event_id": str(event["id"]),
                "user": self._user(user_id).payload(),
            }
            member = guild.member(user_id)
            if _truthy(rec.query.get("with_member")) and member is not None:
                entry["member"] = member.payload()
            page.append(entry)
        return _json_response(page)

    async def _h_attachment(self, request: web.Request) -> web.Response:
        data = self._attachments.get(int(request.match_info["attachment_id"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    # ------------------------------------------------------------------ gateway

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        encoding = request.query.get("encoding", "json")
        compress = request.query.get("compress")
        conn = _GatewayConnection(ws, compress, self)
        self._connections.add(conn)
        try:
            if encoding != "json" or compress not in (None, "zlib-stream"):
                self.protocol_errors.append(
                    f"gateway: unsupported encoding={encoding!r} compress={compress!r}"
                )
                await ws.close(code=4000, message=b"unsupported encoding/compression")
                return ws
            await conn.send(
                {
                    "op": OP_HELLO,
                    "d": {
                        "heartbeat_interval": self.heartbeat_interval_ms,
                        "_trace": ["fake-discord"],
                    },
                    "s": None,
                    "t": None,
                }
            )
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_frame(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await self._on_gateway_frame(conn, msg.data.decode())
        finally:
            self._connections.discard(conn)
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
            self._notify()
        return ws

    async def _on_gateway_frame(self, conn: _GatewayConnection, raw: str) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            self.protocol_errors.append(f"gateway: undecodable frame {raw[:80]!r}")
            await conn.ws.close(code=4002, message=b"Error while decoding payload.")
            return
        self.gateway_received.append(frame)
        op, data = frame.get("op"), frame.get("d")
        if op == OP_HEARTBEAT:
            await conn.send({"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            await self._resume(conn, data or {})
        elif op == OP_REQUEST_GUILD_MEMBERS:
            await self._request_members(conn, data or {})
        elif op in (OP_PRESENCE_UPDATE, OP_VOICE_STATE_UPDATE):
            pass
        else:
            self.protocol_errors.append(f"gateway: unknown opcode {op!r}")
            await conn.ws.close(code=4001, message=b"Unknown opcode.")
        self._notify()

    async def _identify(self, conn: _GatewayConnection, data: Json) -> None:
        if self.token is not None and data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        self.identify_payloads.append(data)
        shard = _valid_shard(data.get("shard", [0, 1]))
        if shard is None:
            self.refused_shards.append(data.get("shard"))
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        session = _GatewaySession(
            session_id=secrets.token_hex(16), identify=data, shard=shard, connection=conn
        )
        if len(self._guilds_of(session)) > self.max_guilds_per_shard:
            self.refused_shards.append(data.get("shard"))
            await conn.ws.close(code=4011, message=b"Sharding required.")
            return
        old = self._sessions.get(shard)
        if old is not None and old.connection is not None and old.connection is not conn:
            with contextlib.suppress(Exception):
                await old.connection.ws.close(code=4009, message=b"Session replaced.")
        self._sessions[shard] = session
        conn.session = session
        ready: Json = {
            "v": 10,
            "user": {**self.bot_user.payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self._guilds_of(session)],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["fake-discord"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self._dispatch_to(session, "READY", ready)
        for guild in self._guilds_of(session):
            payload = self._guild_create_payload(guild, int(data.get("intents") or 0))
            await self._dispatch_to(session, "GUILD_CREATE", payload)

    def _guilds_of(self, session: _GatewaySession) -> list[FakeGuild]:
        return [g for g in self.guilds if session.owns(g.id)]

    def _guild_create_payload(self, guild: FakeGuild, intents: int) -> Json:
        """Full guild; like Discord, other members only with the GUILD_MEMBERS intent."""
        members = [
            m
            for m in guild.members
            if intents & INTENT_GUILD_MEMBERS or m.user.id == self.bot_user.id
        ]
        data = guild.payload()
        data.update(
            unavailable=False,
            joined_at="2024-01-01T00:00:00+00:00",
            large=False,
            member_count=len(guild.members),
            members=[m.payload() for m in members],
            channels=[
                {k: v for k, v in c.payload(guild.id).items() if k != "guild_id"}
                for c in guild.channels
                if not c.is_thread
            ],
            threads=[c.payload(guild.id) for c in guild.channels if c.is_thread],
            presences=[],
            voice_states=[],
            stage_instances=[],
            guild_scheduled_events=self.scheduled_events(guild.id),
            soundboard_sounds=[],
        )
        return data

    async def _resume(self, conn: _GatewayConnection, data: Json) -> None:
        wanted = data.get("session_id")
        session = next((s for s in self._sessions.values() if s.session_id == wanted), None)
        valid = (
            session is not None
            and data.get("session_id") == session.session_id
            and (self.token is None or data.get("token") == self.token)
        )
        if not valid or session is None:
            await conn.send({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        previous = session.connection
        if previous is not None and previous is not conn:
            with contextlib.suppress(Exception):
                await previous.ws.close(code=4009, message=b"Session resumed elsewhere.")
        session.connection = conn
        conn.session = session
        last_seen = int(data.get("seq") or 0)
        for frame in [f for f in session.history if f["s"] > last_seen]:
            await conn.send(frame)
        session.resumes += 1
        await self._dispatch_to(session, "RESUMED", {"_trace": ["fake-discord"]})

    async def _request_members(self, conn: _GatewayConnection, data: Json) -> None:
        session = conn.session
        guild_id = data.get("guild_id")
        guild = next((g for g in self.guilds if str(g.id) == str(guild_id)), None)
        if session is None or guild is None:
            return
        wanted = {str(u) for u in (data.get("user_ids") or [])}
        members = [m.payload() for m in guild.members if not wanted or str(m.user.id) in wanted]
        chunk: Json = {
            "guild_id": str(guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)


# --------------------------------------------------------------------------- helpers


NONCE_WINDOW = 300.0  # seconds Discord remembers an enforced nonce ("the past few minutes")


def _valid_shard(value: Any) -> tuple[int, int] | None:
    """``[id, count]`` with 0 <= id < count, else None (Discord closes with 4010)."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return None
    shard_id, count = value
    return (shard_id, count) if 0 <= shard_id < count else None


def _event_guild(event: str, data: Json) -> int | None:
    """The guild a dispatch is about: GUILD_CREATE/UPDATE/DELETE carry it as ``id``."""
    found = data.get("id") if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") else None
    found = data.get("guild_id") or found
    return int(found) if found else None


def _created(message: Json) -> float:
    """A message's creation time from its snowflake id (Discord epoch 2015-01-01)."""
    return ((int(message["id"]) >> 22) + 1_420_070_400_000) / 1000


def _interaction_id(value: int | str | Mapping[str, Any]) -> int:
    if isinstance(value, Mapping):
        return int(value["id"])
    return int(value)


def _bucket_hash(route: str) -> str:
    return hashlib.sha1(route.encode()).hexdigest()[:32]


def _ratelimit_headers(route: str) -> dict[str, str]:
    """Headers of a roomy bucket: discord.py tracks them but never has to wait."""
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": _bucket_hash(route),
    }


def _find_option(schema: list[Json] | None, name: str) -> Json | None:
    if not schema:
        return None
    return next((o for o in schema if o.get("name") == name), None)


def _infer_option_type(value: Any) -> int:
    if isinstance(value, bool):
        return OPT_BOOLEAN
    if isinstance(value, int):
        return OPT_INTEGER
    if isinstance(value, float):
        return OPT_NUMBER
    if isinstance(value, FakeUser | FakeMember):
        return OPT_USER
    if isinstance(value, FakeRole):
        return OPT_ROLE
    if isinstance(value, FakeChannel):
        return OPT_CHANNEL
    return OPT_STRING


def _validate_options(options: Sequence[Json], where: str, errors: Json) -> None:
    if len(options) > 25:
        errors[f"{where}.options"] = "must have at most 25 options"
    seen_optional = False
    for index, opt in enumerate(options):
        at = f"{where}.options.{index}"
        name = str(opt.get("name", ""))
        if not _COMMAND_NAME_RE.fullmatch(name) or name != name.lower():
            errors[f"{at}.name"] = f"invalid option name {name!r}"
        description = str(opt.get("description", ""))
        if not 1 <= len(description) <= 100:
            errors[f"{at}.description"] = "must be 1-100 characters"
        if len(opt.get("choices") or []) > 25:
            errors[f"{at}.choices"] = "must have at most 25 choices"
        if opt.get("type") in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP):
            _validate_options(opt.get("options") or [], at, errors)
            continue
        if opt.get("required"):
            if seen_optional:
                errors[f"{at}.required"] = (
                    "required options must be placed before non-required options"
                )
        else:
            seen_optional = True


def _validate_command(cmd: Any) -> Json:
    """The subset of Discord's command validation that catches real mistakes."""
    if not isinstance(cmd, dict):
        return {"_errors": "expected an object"}
    errors: Json = {}
    ctype = int(cmd.get("type", 1))
    name = str(cmd.get("name", ""))
    if ctype == COMMAND_CHAT_INPUT:
        if not _COMMAND_NAME_RE.fullmatch(name) or name != name.lower():
            errors["name"] = f"invalid command name {name!r}"
        if not 1 <= len(str(cmd.get("description", ""))) <= 100:
            errors["description"] = "must be 1-100 characters"
        _validate_options(cmd.get("options") or [], "", errors)
    elif ctype in (COMMAND_USER, COMMAND_MESSAGE):
        # A context menu's name is what the menu shows: any case, spaces allowed.
        names = [name, *(cmd.get("name_localizations") or {}).values()]
        if not all(1 <= len(str(n)) <= 32 for n in names):
            errors["name"] = "must be 1-32 characters (localisations too)"
        if cmd.get("description"):
            errors["description"] = "must be empty for a context menu"
        if cmd.get("options"):
            errors["options"] = "a context menu takes no options"
    else:
        errors["type"] = f"unknown command type {ctype}"
    return errors


_EVENT_FIELDS = {
    "channel_id",
    "entity_metadata",
    "name",
    "privacy_level",
    "scheduled_start_time",
    "scheduled_end_time",
    "description",
    "entity_type",
    "status",
    "image",
}


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def _parse_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _image_hash(value: Any) -> str | None:
    """An image is sent as a data URI; Discord keeps a hash of it."""
    if value is None:
        return None
    return hashlib.md5(str(value).encode()).hexdigest()


def _validate_event(
    body: Json, guild: FakeGuild, now: datetime, *, creating: bool, changed: Json | None = None
) -> Json:
    """Discord's checks on a scheduled event, as documented (create / modify)."""
    errors: Json = {}
    changed = body if changed is None else changed
    for key in ("name", "privacy_level", "scheduled_start_time", "entity_type"):
        if creating and body.get(key) in (None, ""):
            errors[key] = "required"
    if not 1 <= len(str(body.get("name") or "")) <= 100:
        errors.setdefault("name", "must be 1-100 characters")
    description = body.get("description")
    if description is not None and not 1 <= len(description) <= 1000:
        errors["description"] = "must be 1-1000 characters"
    if body.get("privacy_level") != PRIVACY_GUILD_ONLY:
        errors.setdefault("privacy_level", "only GUILD_ONLY (2)")
    kind = body.get("entity_type")
    if kind == ENTITY_EXTERNAL:
        location = str((body.get("entity_metadata") or {}).get("location") or "")
        if not 1 <= len(location) <= 100:
            errors["entity_metadata.location"] = "required for external events, 1-100 characters"
        if not body.get("scheduled_end_time"):
            errors["scheduled_end_time"] = "required for external events"
        if "entity_type" in changed and not creating and changed.get("channel_id", 0) is not None:
            errors["channel_id"] = "must be set to null when changing to an external event"
    elif kind in (ENTITY_STAGE, ENTITY_VOICE):
        channel = guild.channel(int(body.get("channel_id") or 0))
        wanted = 13 if kind == ENTITY_STAGE else 2
        if channel is None or channel.type != wanted:
            errors["channel_id"] = "a stage or voice channel of this guild, as the type says"
    elif kind is not None:
        errors["entity_type"] = "unknown entity type"
    start = _parse_time(body.get("scheduled_start_time"))
    end = _parse_time(body.get("scheduled_end_time")) if body.get("scheduled_end_time") else None
    if start is None and body.get("scheduled_start_time"):
        errors["scheduled_start_time"] = "not an ISO8601 timestamp"
    elif start is not None and "scheduled_start_time" in changed and start < now:
        errors["scheduled_start_time"] = "Cannot schedule event in the past."
    if start is not None and end is not None and end <= start:
        errors["scheduled_end_time"] = "Cannot schedule event to end before starting."
    image = changed.get("image")
    if image is not None and not re.match(r"^data:image/(png|jpeg|gif|webp);base64,", str(image)):
        errors["image"] = "Invalid image data"
    return errors
