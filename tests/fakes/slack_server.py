"""An in-process fake of Slack for over-the-wire tests of the Slack adapter.

Why a fake server rather than mocks: slack-bolt and slack_sdk do a lot of
work on the wire (request signing, form vs JSON bodies, query-string params,
Retry-After headers, Socket Mode envelopes and acks, per-request clients).
Mocking ``AsyncWebClient`` hides exactly the behaviour the adapter has to get
right. :class:`FakeSlack` serves the real protocol on ``127.0.0.1`` so the
real ``AsyncApp``, ``AsyncWebClient`` and ``AsyncSocketModeHandler`` talk to
it unmodified, and nothing ever leaves the machine.

Three pieces:

* :class:`FakeSlack` - Web API (``fake.api_url`` is the ``base_url`` for
  ``AsyncWebClient``), file-upload URLs, ``response_url`` hooks, OAuth, and a
  Socket Mode websocket. Every call is recorded; failures can be injected.
* :class:`SlackRequestSender` - plays Slack's side of HTTP mode: it signs and
  POSTs slash commands, block actions, message shortcuts, Events API callbacks
  and ``url_verification`` to the bot's endpoint.
* payload builders (:func:`slash_command_payload`,
  :func:`block_actions_payload` (on a message, or in a Home view),
  :func:`message_action_payload`, :func:`event_callback_payload`,
  :func:`app_home_opened_event`) - the exact shapes Slack sends, shared by HTTP
  mode and Socket Mode envelopes.

People's messages, threads included, are seeded with :meth:`FakeSlack.add_message`;
``conversations.replies`` and ``conversations.history`` read them like the bot's own.

``views.publish`` keeps each user's Home view (:meth:`FakeSlack.home_of`) and
refuses what Slack refuses: not a ``home`` view, more than 100 blocks, a block
over Block Kit's limits (``invalid_arguments`` with Slack's messages), a stale
``hash`` (``hash_conflict``), the Home tab switched off (``not_enabled``).

Usage::

    async with FakeSlack() as fake:
        client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=fake.api_url)
        app = AsyncApp(client=client, signing_secret=DEFAULT_SIGNING_SECRET)
        ...  # serve app.web_app() on 127.0.0.1, then:
        sender = SlackRequestSender(bot_url, DEFAULT_SIGNING_SECRET, fake=fake)
        resp = await sender.slash_command(text="faq ask hello")
        await fake.wait_for_call("chat.postMessage")
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import mimetypes
import secrets
import socket
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_APP_TOKEN",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_BOT_USER_ID",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_SIGNING_SECRET",
    "DEFAULT_TEAM_ID",
    "DEFAULT_USER_ID",
    "DEFAULT_VERIFICATION_TOKEN",
    "FakeSlack",
    "RecordedCall",
    "ResponseUrlPost",
    "SignedResponse",
    "SlackRequestSender",
    "app_home_opened_event",
    "SocketAck",
    "Workspace",
    "block_actions_payload",
    "event_callback_payload",
    "message_action_payload",
    "sign_request",
    "slash_command_payload",
]

# --------------------------------------------------------------------------
# Defaults: one workspace, one app, one human user. Tests that need more
# configure FakeSlack(workspaces=...) and fake.add_user(...).
# --------------------------------------------------------------------------

DEFAULT_TEAM_ID = "T0FAKE001"
DEFAULT_BOT_TOKEN = "xoxb-fake-T0FAKE001"
DEFAULT_BOT_USER_ID = "U0FEDBOT1"
DEFAULT_BOT_ID = "B0FEDBOT1"
DEFAULT_APP_ID = "A0FEDBOT1"
DEFAULT_APP_TOKEN = "xapp-1-A0FEDBOT1-fake"
DEFAULT_USER_ID = "U0ALICE01"
DEFAULT_CHANNEL_ID = "C0GENERAL"
DEFAULT_SIGNING_SECRET = "fake-signing-secret"
DEFAULT_VERIFICATION_TOKEN = "fake-verification-token"
DEFAULT_CLIENT_ID = "1111.2222"
DEFAULT_CLIENT_SECRET = "fake-client-secret"
DEFAULT_BOT_SCOPES = (
    "commands,chat:write,chat:write.public,users:read,usergroups:read,"
    "channels:read,groups:read,im:read,im:write,mpim:read,mpim:write,files:write,"
    "channels:history,groups:history,im:history"
)

#: Params that slack_sdk sends JSON-encoded inside form/query bodies but as
#: native JSON in JSON bodies. They are decoded so assertions do not depend
#: on which transport slack_sdk picked for a method.
_JSON_STRING_PARAMS = frozenset({"blocks", "attachments", "files", "metadata", "view"})

_MAX_DM_USERS = 8  # conversations.open: at most 8 other users (Slack's limit)
_RESPONSE_URL_MAX_USES = 5  # Slack: a response_url works 5 times within 30 min

# Block Kit limits views.publish enforces (Slack's reference for blocks and views).
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ACTION_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_PRIVATE_METADATA = 3000
_BLOCK_TYPES = frozenset(
    {"section", "header", "divider", "actions", "context", "image", "input", "rich_text", "video"}
)


# --------------------------------------------------------------------------
# Data records
# --------------------------------------------------------------------------


@dataclass
class Workspace:
    """One installation of the app: what ``auth.test`` reports for a token.

    Only ``team_id`` is needed; the rest is derived so that several
    workspaces configured with just a team id stay distinct.
    """

    team_id: str
    team_name: str = ""
    team_domain: str = ""
    user_id: str = ""  # the bot *user* id (auth.test user_id)
    bot_id: str = ""
    app_id: str = DEFAULT_APP_ID
    enterprise_id: str | None = None
    bot_name: str = "fedbot"
    scopes: str = DEFAULT_BOT_SCOPES

    def __post_init__(self) -> None:
        suffix = self.team_id[1:] if len(self.team_id) > 1 else self.team_id
        self.team_name = self.team_name or f"Team {self.team_id}"
        self.team_domain = self.team_domain or self.team_id.lower()
        self.user_id = self.user_id or f"UBOT{suffix}"
        self.bot_id = self.bot_id or f"BBOT{suffix}"


@dataclass
class RecordedCall:
    """One Web API call as the fake saw it (after the response was decided)."""

    method: str
    token: str | None
    params: dict[str, Any]
    http_method: str
    content_type: str
    status: int = 200
    response: dict[str, Any] | None = None
    injected: bool = False  # True when served by fail_next()

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.response is None else self.response.get("error")


@dataclass
class ResponseUrlPost:
    """A POST to a ``response_url`` created by :meth:`FakeSlack.response_url`."""

    url: str
    body: Any
    content_type: str


@dataclass
class SocketAck:
    """What the app sent back over Socket Mode for one envelope."""

    envelope_id: str
    payload: dict[str, Any] | None
    raw: dict[str, Any]
    connection: int = 0  # which connection acked it (`_SocketConnection.number`)


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int | None
    body: str | None
    delay: float
    remaining: int


@dataclass
class _SocketConnection:
    ws: web.WebSocketResponse
    app_id: str
    url: str
    number: int = 0  # 1 for the first connection opened, 2 for the next…
    drop_next_ack: bool = False  # closed when its next ack arrives, the ack lost
    unacked: dict[str, dict[str, Any]] = field(default_factory=dict)  # envelope id -> envelope


@dataclass
class _ResponseUrl:
    url: str
    team_id: str
    uses: int = 0


@dataclass
class _Ctx:
    """What a method handler needs: who is calling and with what."""

    method: str
    token: str | None
    params: dict[str, Any]
    workspace: Workspace | None
    basic_auth: tuple[str, str] | None

    @property
    def ws(self) -> Workspace:
        assert self.workspace is not None, f"{self.method} needs a workspace token"
        return self.workspace


class SlackError(Exception):
    """Raised by method handlers to produce ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


_Handler = Callable[[_Ctx], dict[str, Any]]


def _truthy(value: Any) -> bool:
    """Slack accepts ``true``/``1`` (slack_sdk converts bools to ``"1"``)."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes"}


def _split_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if str(v)]
    return [v.strip() for v in str(value).split(",") if v.strip()]


# --------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------


class FakeSlack:
    """Fake Slack Web API + Socket Mode + response_url server on loopback.

    Use as ``async with FakeSlack() as fake:``. State is plain attributes so
    tests can inspect and tweak it directly (``fake.calls``,
    ``fake.channel_errors``, ``fake.messages``, ``fake.uploaded_files`` ...).

    Realism rules: unknown tokens get ``invalid_auth``, revoked ones
    ``token_revoked``, users must be added with :meth:`add_user` (else
    ``user_not_found``). Channels are lenient by default - any id works
    unless it is in ``channel_errors`` or was added with ``is_member=False`` -
    set ``strict_channels = True`` to get ``channel_not_found`` for unknown
    ids.
    """

    def __init__(
        self,
        workspaces: Mapping[str, Workspace | Mapping[str, Any]] | None = None,
        *,
        app_tokens: Iterable[str] = (DEFAULT_APP_TOKEN,),
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        strict_channels: bool = False,
    ) -> None:
        if workspaces is None:
            workspaces = {
                DEFAULT_BOT_TOKEN: Workspace(
                    team_id=DEFAULT_TEAM_ID, user_id=DEFAULT_BOT_USER_ID, bot_id=DEFAULT_BOT_ID
                )
            }
        self.workspaces: dict[str, Workspace] = {
            token: ws if isinstance(ws, Workspace) else Workspace(**ws)
            for token, ws in workspaces.items()
        }
        self.app_tokens: set[str] = set(app_tokens)
        self.client_id = client_id
        self.client_secret = client_secret
        self.strict_channels = strict_channels

        # Recorded traffic
        self.calls: list[RecordedCall] = []
        self.response_url_posts: list[ResponseUrlPost] = []
        self.socket_acks: list[SocketAck] = []
        self.socket_received: list[Any] = []
        self.socket_connect_count = 0

        # Behaviour knobs
        self.channel_errors: dict[str, str] = {}
        self.revoked_tokens: set[str] = set()
        #: Answer the client's websocket pings. Turn off to simulate a stale
        #: Socket Mode connection (slack_sdk then reconnects).
        self.socket_respond_to_pings = True

        # Simulated Slack state
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.ephemeral_messages: list[dict[str, Any]] = []
        self.uploaded_files: dict[str, dict[str, Any]] = {}
        self.oauth_codes: dict[str, tuple[str, str]] = {}  # code -> (token, installer)
        # Sign in with Slack (OpenID Connect): who consents on the authorize page, the codes
        # it issued (code -> user, redirect_uri) and the user tokens they were exchanged for.
        self.oidc_user: str | None = None
        self.oidc_consent = True
        self.oidc_codes: dict[str, tuple[str, str]] = {}
        self.user_tokens: dict[str, str] = {}  # xoxp-… -> user id
        # Token rotation: refresh token -> the access token it renews; tokens that expire.
        self.refresh_tokens: dict[str, str] = {}
        self.rotating_tokens: set[str] = set()
        self.token_lifetime = 43_200  # seconds: Slack's rotated bot tokens live 12 hours
        #: The Home tab each user sees, by (team id, user id): the last view published.
        self.home_views: dict[tuple[str, str], dict[str, Any]] = {}
        #: Whether the app has its Home tab switched on (App Home settings, or the manifest).
        self.home_tab_enabled = True

        self._failures: dict[str, list[_Failure]] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._socket_tickets: dict[str, str] = {}
        self._socket_conns: list[_SocketConnection] = []
        self._socket_turn = 0  # round-robin over the open connections
        self._socket_numbers = 0
        #: Every envelope sent, with the number of the connection it went to, in order.
        self.socket_deliveries: list[tuple[str, int]] = []
        self._retry_of: dict[str, str] = {}  # redelivered envelope id -> the first one
        self._ack_futures: dict[str, asyncio.Future[SocketAck]] = {}
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)
        self._ts_counter = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        for ws in self.workspaces.values():
            self._add_bot_user(ws)

        self._handlers: dict[str, _Handler] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "auth.revoke": self._auth_revoke,
            "apps.uninstall": self._apps_uninstall,
            "apps.connections.open": self._apps_connections_open,
            "oauth.v2.access": self._oauth_v2_access,
            "openid.connect.token": self._openid_token,
            "openid.connect.userInfo": self._openid_user_info,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "users.info": self._users_info,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.open": self._conversations_open,
            "views.publish": self._views_publish,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.members": self._conversations_members,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port (a pre-bound socket avoids races)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_post("/hooks/{kind}/{team_id}/{n}/{secret}", self._handle_response_url)
        app.router.add_get("/link/", self._handle_socket)
        app.router.add_get("/openid/connect/authorize", self._handle_oidc_authorize)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Close websockets first so the server shutdown does not wait on them.

        A Socket Mode client that is still running will see the close and try
        to reconnect (and fail); close the handler before leaving the fake.
        """
        for conn in list(self._socket_conns):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=aiohttp.WSCloseCode.GOING_AWAY)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for fut in self._ack_futures.values():
            if not fut.done():
                fut.cancel()

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeSlack is not started; use `async with FakeSlack()`")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """``base_url`` for ``AsyncWebClient`` (trailing slash matters: urljoin)."""
        return f"{self.base_url}/api/"

    def response_url(self, team_id: str = DEFAULT_TEAM_ID, kind: str = "commands") -> str:
        """Create a unique response_url; POSTs to it land in ``response_url_posts``.

        ``kind`` mirrors Slack's path (``commands`` for slash commands,
        ``actions`` for interactivity). Like Slack, each URL takes 5 posts.
        """
        n = next(self._ids)
        url = f"{self.base_url}/hooks/{kind}/{team_id}/{n}/{secrets.token_hex(8)}"
        self._response_urls[url] = _ResponseUrl(url=url, team_id=team_id)
        return url

    # ------------------------------------------------------------------ configuration

    def add_workspace(self, token: str, **fields: Any) -> Workspace:
        """Register another installation (another bot token)."""
        ws = Workspace(**fields)
        self.workspaces[token] = ws
        self._add_bot_user(ws)
        return ws

    def add_user(
        self,
        user_id: str,
        *,
        team_id: str = DEFAULT_TEAM_ID,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        locale: str = "en-US",
        tz: str = "Europe/Paris",
        tz_offset: int = 3600,
        is_bot: bool = False,
        deleted: bool = False,
        email: str | None = None,
    ) -> dict[str, Any]:
        """Add a user as ``users.info`` returns it (``locale`` only on request)."""
        name = name or user_id.lower()
        real_name = real_name if real_name is not None else name.title()
        display_name = display_name if display_name is not None else name
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "profile": {
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": display_name,
                "display_name_normalized": display_name,
                "email": email or f"{name}@example.org",
                "status_text": "",
                "status_emoji": "",
                "team": team_id,
                "image_48": f"https://avatars.example.invalid/{user_id}_48.png",
            },
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "_locale": locale,  # stripped unless include_locale=true
        }
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        team_id: str = DEFAULT_TEAM_ID,
        members: Iterable[str] = (),
        is_private: bool = False,
        is_member: bool = True,
        is_archived: bool = False,
    ) -> dict[str, Any]:
        """Add a channel. ``is_member=False`` makes posting fail with ``not_in_channel``."""
        channel = self._channel_object(
            channel_id,
            name=name or channel_id.lower(),
            team_id=team_id,
            is_private=is_private,
            is_member=is_member,
            is_archived=is_archived,
        )
        channel["_members"] = list(members)
        self.channels[channel_id] = channel
        return channel

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = DEFAULT_USER_ID,
        thread_ts: str | None = None,
        team_id: str = DEFAULT_TEAM_ID,
    ) -> dict[str, Any]:
        """A message a person posted in ``channel`` (in the thread of ``thread_ts`` if given),
        as Slack stores it: ``text`` as it is on the wire (``&lt;`` for ``<``, ``<@U…>`` for
        a mention). Returns it with its new ``ts``."""
        if thread_ts is not None and (channel, thread_ts) not in self.messages:
            raise ValueError(f"no message {thread_ts} in {channel} to reply to")
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts,
            "team": team_id,
            "client_msg_id": secrets.token_hex(16),
            "blocks": [
                {
                    "type": "rich_text",
                    "block_id": secrets.token_hex(3),
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                    ],
                }
            ],
        }
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
        self.messages[(channel, ts)] = message
        return self.message(channel, ts)

    def add_usergroup(
        self,
        handle: str,
        users: Iterable[str],
        *,
        team_id: str = DEFAULT_TEAM_ID,
        name: str | None = None,
        usergroup_id: str | None = None,
        disabled: bool = False,
    ) -> dict[str, Any]:
        """Add a user group (``@handle``); returns its ``usergroups.list`` entry."""
        group_id = usergroup_id or f"S{next(self._ids):08d}"
        group: dict[str, Any] = {
            "id": group_id,
            "team_id": team_id,
            "is_usergroup": True,
            "is_subteam": True,
            "name": name or handle.title(),
            "description": "",
            "handle": handle,
            "is_external": False,
            "date_create": 1_700_000_000,
            "date_update": 1_700_000_000,
            "date_delete": 1_700_000_001 if disabled else 0,
            "auto_type": None,
            "created_by": DEFAULT_USER_ID,
            "updated_by": DEFAULT_USER_ID,
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
            "users": list(users),
            "user_count": 0,
        }
        group["user_count"] = len(group["users"])
        self.usergroups[group_id] = group
        return group

    def add_oauth_code(
        self, code: str, *, token: str, installer_user_id: str = DEFAULT_USER_ID, **fields: Any
    ) -> None:
        """Make ``oauth.v2.access(code=...)`` issue ``token``.

        If ``token`` is new, a workspace is created from ``fields``
        (``team_id=...`` etc.) so that the issued token then works.
        """
        if token not in self.workspaces:
            self.add_workspace(token, **fields)
        self.oauth_codes[code] = (token, installer_user_id)

    def revoke_token(self, token: str) -> None:
        """Make every later call with ``token`` fail with ``token_revoked``."""
        self.revoked_tokens.add(token)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 30,
        error: str | None = None,
        count: int = 1,
        body: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``count`` calls to ``method`` (``"*"`` = any) fail.

        * ``status=429``: ``{"ok": false, "error": "ratelimited"}`` with a
          ``Retry-After: <retry_after>`` header, as Slack does.
        * ``status>=500``: an HTML error page like Slack's edge (or JSON
          ``{"ok": false, "error": error}`` if ``error`` is given).
        * ``status=200`` with ``error``: a Slack-level ``ok: false`` error.
        * ``delay`` sleeps before answering (to exercise client timeouts).

        Injected failures are queued per method and consumed in order.
        """
        if count < 1:
            raise ValueError("count must be >= 1")
        if status == 200 and not error:
            raise ValueError("status=200 needs an error= (a Slack-level failure)")
        self._failures.setdefault(method, []).append(
            _Failure(
                status=status,
                error=error,
                retry_after=retry_after if status == 429 else None,
                body=body,
                delay=delay,
                remaining=count,
            )
        )

    # ------------------------------------------------------------------ inspection

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Recorded calls to one API method, oldest first."""
        return [c for c in self.calls if c.method == method]

    def last_call(self, method: str) -> RecordedCall:
        matching = self.calls_to(method)
        if not matching:
            raise AssertionError(f"no call to {method}; saw {[c.method for c in self.calls]}")
        return matching[-1]

    def posts_to(self, url: str) -> list[ResponseUrlPost]:
        """Recorded POSTs to one response_url."""
        return [p for p in self.response_url_posts if p.url == url]

    def home_of(self, user_id: str, team_id: str = DEFAULT_TEAM_ID) -> dict[str, Any] | None:
        """The Home view a user sees now (as ``views.publish`` returned it), or None."""
        found = self.home_views.get((team_id, user_id))
        return None if found is None else json.loads(json.dumps(found))

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """Messages currently in ``channel`` (posted and not deleted), oldest first."""
        return [m for (ch, _), m in sorted(self.messages.items()) if ch == channel]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """One message as Slack shows it now: a thread's first message with its ``thread_ts``
        (its own ts), ``reply_count``, ``reply_users`` and ``latest_reply``; a reply with its
        ``parent_user_id``."""
        found = json.loads(json.dumps(self.messages[(channel, ts)]))
        thread_ts = found.get("thread_ts")
        if thread_ts and thread_ts != ts:
            found["parent_user_id"] = self.messages[(channel, thread_ts)].get("user")
            return found
        replies = self._replies(channel, ts)
        if replies:
            users = list(dict.fromkeys(str(r.get("user")) for r in replies))
            found.update(
                thread_ts=ts,
                reply_count=len(replies),
                reply_users=users,
                reply_users_count=len(users),
                latest_reply=replies[-1]["ts"],
            )
        return found

    def _replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages_in(channel) if m.get("thread_ts") == thread_ts != m["ts"]]

    async def wait_for_call(
        self, method: str, count: int = 1, timeout: float = 2.0
    ) -> list[RecordedCall]:
        """Wait until ``count`` calls to ``method`` were answered.

        Needed because bolt (with ``process_before_response=False``) acks
        first and runs the listener body in a background task.
        """
        await self._wait(lambda: len(self.calls_to(method)) >= count, timeout)
        return self.calls_to(method)

    async def wait_for_response_url_post(
        self, url: str | None = None, count: int = 1, timeout: float = 2.0
    ) -> list[ResponseUrlPost]:
        """Wait for ``count`` POSTs to ``url`` (or to any response_url)."""

        def posts() -> list[ResponseUrlPost]:
            return self.response_url_posts if url is None else self.posts_to(url)

        await self._wait(lambda: len(posts()) >= count, timeout)
        return posts()

    async def _wait(self, predicate: Callable[[], bool], timeout: float) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ Socket Mode API

    @property
    def socket_connections(self) -> int:
        """Number of open Socket Mode websockets."""
        return len([c for c in self._socket_conns if not c.ws.closed])

    async def socket_wait_connected(self, count: int = 1, timeout: float = 2.0) -> None:
        """Wait until ``count`` connections have been opened (hello sent) in total."""
        await self._wait(
            lambda: self.socket_connect_count >= count and self.socket_connections > 0, timeout
        )

    async def socket_send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = 2.0,
        connection: int | None = None,
        in_flight: bool = False,
    ) -> str:
        """Send an envelope to one of the open connections; returns its ``envelope_id``.

        Like Slack with several connections (an app may open up to 10), each
        envelope goes to one of them: here in turn (round-robin), or to the
        connection numbered ``connection``. ``envelope_type`` is
        ``slash_commands``, ``interactive`` or ``events_api``; ``payload`` is
        what HTTP mode would have POSTed (see the ``*_payload`` builders).
        Shapes follow Slack: ``events_api`` envelopes carry
        ``retry_attempt``/``retry_reason`` (0 and "" on the first delivery) and
        do not accept a response payload. An ``events_api`` envelope still
        unacked when its connection closes is delivered again, as a retry, to
        another open connection (Slack retries events, not commands).
        ``in_flight``: the envelope is still on its way (not written) when the
        test closes its connection.
        """
        await self.socket_wait_connected(timeout=timeout)
        conn = self._pick_connection(connection)
        envelope_id = envelope_id or f"{secrets.token_hex(4)}-{next(self._ids):04d}-fake"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": (
                envelope_type != "events_api"
                if accepts_response_payload is None
                else accepts_response_payload
            ),
        }
        if envelope_type == "events_api" or retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        self._ack_futures[envelope_id] = asyncio.get_running_loop().create_future()
        await self._deliver(conn, envelope, in_flight)
        return envelope_id

    def _open_connections(self) -> list[_SocketConnection]:
        return [c for c in self._socket_conns if not c.ws.closed]

    def _pick_connection(self, number: int | None) -> _SocketConnection:
        conns = self._open_connections()
        if number is not None:
            return next(c for c in conns if c.number == number)
        self._socket_turn += 1
        return conns[(self._socket_turn - 1) % len(conns)]

    async def _deliver(
        self, conn: _SocketConnection, envelope: dict[str, Any], in_flight: bool = False
    ) -> None:
        self.socket_deliveries.append((envelope["envelope_id"], conn.number))
        conn.unacked[envelope["envelope_id"]] = envelope
        if not in_flight:
            await conn.ws.send_str(json.dumps(envelope))

    async def _redeliver(self, closed: _SocketConnection) -> None:
        """Events the closed connection never acked go, as retries, to the oldest other open
        connection (none open: they are lost, as Slack gives up after its retries)."""
        others = [c for c in self._open_connections() if c is not closed]
        for envelope in closed.unacked.values():
            if envelope["type"] != "events_api" or not others:
                continue
            retry = {
                **envelope,
                "envelope_id": f"{secrets.token_hex(4)}-{next(self._ids):04d}-fake",
                "retry_attempt": envelope.get("retry_attempt", 0) + 1,
                "retry_reason": "timeout",
            }
            first = self._retry_of.get(envelope["envelope_id"], envelope["envelope_id"])
            self._retry_of[retry["envelope_id"]] = first
            self._ack_futures[retry["envelope_id"]] = asyncio.get_running_loop().create_future()
            with contextlib.suppress(ConnectionError, RuntimeError):  # closing too
                await self._deliver(others[0], retry)
        closed.unacked.clear()

    def socket_drop_next_ack(self, connection: int) -> None:
        """The process behind connection ``connection`` dies after handling its next
        envelope, before the ack leaves: the fake closes that connection instead of
        recording the ack (so an unacked event is redelivered elsewhere)."""
        next(c for c in self._open_connections() if c.number == connection).drop_next_ack = True

    def socket_connection_numbers(self) -> list[int]:
        """The numbers of the open connections, oldest first."""
        return [c.number for c in self._open_connections()]

    async def socket_wait_ack(self, envelope_id: str, timeout: float = 2.0) -> SocketAck:
        """Wait for the app's ack of one envelope, or of a retry of it (raises
        TimeoutError)."""
        fut = self._ack_futures.get(envelope_id)
        if fut is None:
            raise KeyError(f"envelope {envelope_id!r} was not sent by this fake")
        return await asyncio.wait_for(asyncio.shield(fut), timeout)

    async def socket_request(
        self, envelope_type: str, payload: dict[str, Any], timeout: float = 2.0
    ) -> SocketAck:
        """``socket_send`` + ``socket_wait_ack`` in one step."""
        envelope_id = await self.socket_send(envelope_type, payload, timeout=timeout)
        return await self.socket_wait_ack(envelope_id, timeout)

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message to the newest connection.

        slack_sdk answers any ``disconnect`` by calling
        ``apps.connections.open`` again and reconnecting (``force=True``).
        Slack sends ``warning`` then ``refresh_requested`` before a
        connection's lifetime ends (every ~360 s with ``debug_reconnects``).
        """
        conn = [c for c in self._socket_conns if not c.ws.closed][-1]
        await conn.ws.send_json(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        )

    async def socket_close(
        self, code: int = aiohttp.WSCloseCode.GOING_AWAY, *, connection: int | None = None
    ) -> None:
        """Close the newest connection (or the one numbered ``connection``) from the server
        side (the client reconnects)."""
        conns = self._open_connections()
        conn = next(c for c in conns if c.number == connection) if connection else conns[-1]
        await conn.ws.close(code=code)

    # ------------------------------------------------------------------ HTTP plumbing

    async def _parse(self, request: web.Request) -> tuple[dict[str, Any], str | None, Any]:
        """Merge query string, form and JSON bodies; find the token.

        slack_sdk's async client sends ``params=`` as the *query string* even
        on POST, ``data=`` as form, ``json=`` as JSON; other clients put
        ``token`` in the body. All of it ends up in one dict.
        """
        params: dict[str, Any] = dict(request.query)
        content_type = request.content_type
        if request.can_read_body:
            if content_type == "application/json":
                raw = await request.read()
                if raw.strip():
                    decoded = json.loads(raw)
                    if isinstance(decoded, dict):
                        params.update(decoded)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    params[key] = value if isinstance(value, str) else value.file.read()
        for key in _JSON_STRING_PARAMS & params.keys():
            value = params[key]
            if isinstance(value, str) and value[:1] in ("[", "{"):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)

        token: str | None = None
        basic: tuple[str, str] | None = None
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :].strip()
        elif auth.startswith("Basic "):  # oauth.v2.access: client_id:client_secret
            with contextlib.suppress(ValueError):
                login, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                basic = (login, password)
        if "token" in params:
            token = token or str(params["token"])
            params.pop("token")
        return params, token, basic

    def _scope_headers(self, workspace: Workspace | None) -> dict[str, str]:
        headers = {"X-Slack-Req-Id": secrets.token_hex(8)}
        if workspace is not None:
            # bolt reads x-oauth-scopes from auth.test into AuthorizeResult.bot_scopes
            headers["X-OAuth-Scopes"] = workspace.scopes
            headers["X-Accepted-OAuth-Scopes"] = ""
        return headers

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params, token, basic = await self._parse(request)
        record = RecordedCall(
            method=method,
            token=token,
            params=params,
            http_method=request.method,
            content_type=request.content_type,
        )
        try:
            failure = self._take_failure(method)
            if failure is not None:
                record.injected = True
                return await self._serve_failure(failure, record)

            handler = self._handlers.get(method)
            if handler is None:
                raise SlackError("unknown_method", status=404, req_method=method)
            workspace = self._authenticate(method, token)
            channel = params.get("channel") or params.get("channel_id")
            if isinstance(channel, str) and channel in self.channel_errors:
                raise SlackError(self.channel_errors[channel])
            ctx = _Ctx(method, token, params, workspace, basic)
            body = handler(ctx)
            body = {"ok": True, **body}
            record.response = body
            return web.json_response(body, headers=self._scope_headers(workspace))
        except SlackError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
            record.status = exc.status
            record.response = body
            return web.json_response(body, status=exc.status)
        finally:
            self.calls.append(record)
            await self._notify()

    def _take_failure(self, method: str) -> _Failure | None:
        for key in (method, "*"):
            queue = self._failures.get(key)
            if queue:
                failure = queue[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    queue.pop(0)
                return failure
        return None

    async def _serve_failure(self, failure: _Failure, record: RecordedCall) -> web.Response:
        if failure.delay:
            await asyncio.sleep(failure.delay)
        record.status = failure.status
        headers: dict[str, str] = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = str(failure.retry_after)
        if failure.body is not None:
            record.response = None
            return web.Response(
                status=failure.status, text=failure.body, headers=headers, content_type="text/plain"
            )
        if failure.status >= 500 and failure.error is None:
            record.response = None
            page = f"<html><body><h1>{failure.status} Server Error</h1></body></html>"
            return web.Response(
                status=failure.status, text=page, headers=headers, content_type="text/html"
            )
        error = failure.error or ("ratelimited" if failure.status == 429 else "fatal_error")
        body = {"ok": False, "error": error}
        record.response = body
        return web.json_response(body, status=failure.status, headers=headers)

    def _authenticate(self, method: str, token: str | None) -> Workspace | None:
        """Slack's token checks, in Slack's error vocabulary."""
        if method in ("oauth.v2.access", "api.test", "openid.connect.token"):
            return None
        if method == "openid.connect.userInfo":
            if not token:
                raise SlackError("not_authed")
            if token in self.revoked_tokens:
                raise SlackError("token_revoked")
            if token not in self.user_tokens:
                raise SlackError("invalid_auth")
            return None
        if not token:
            raise SlackError("not_authed")
        if token in self.revoked_tokens:
            raise SlackError("token_revoked")
        if method == "apps.connections.open":
            if not token.startswith("xapp-"):
                raise SlackError("not_allowed_token_type")
            if token not in self.app_tokens:
                raise SlackError("invalid_auth")
            return None
        if token.startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        workspace = self.workspaces.get(token)
        if workspace is None:
            raise SlackError("invalid_auth")
        return workspace

    # ------------------------------------------------------------------ helpers for handlers

    def _add_bot_user(self, ws: Workspace) -> None:
        if ws.user_id not in self.users:
            self.add_user(
                ws.user_id, team_id=ws.team_id, name=ws.bot_name, real_name=ws.bot_name, is_bot=True
            )

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts_counter):06d}"

    def _channel_object(
        self,
        channel_id: str,
        *,
        name: str | None,
        team_id: str,
        is_private: bool = False,
        is_member: bool = True,
        is_archived: bool = False,
        is_im: bool = False,
        is_mpim: bool = False,
        user: str | None = None,
    ) -> dict[str, Any]:
        channel: dict[str, Any] = {
            "id": channel_id,
            "created": 1_700_000_000,
            "is_archived": is_archived,
            "is_im": is_im,
            "is_org_shared": False,
            "context_team_id": team_id,
            "updated": 1_700_000_000_000,
        }
        if is_im:
            channel.update({"user": user, "is_user_deleted": False, "priority": 0})
        else:
            channel.update(
                {
                    "name": name,
                    "name_normalized": name,
                    "is_channel": not (is_private or is_mpim),
                    "is_group": is_private and not is_mpim,
                    "is_mpim": is_mpim,
                    "is_private": is_private or is_mpim,
                    "is_general": name == "general",
                    "is_shared": False,
                    "is_ext_shared": False,
                    "is_member": is_member,
                    "shared_team_ids": [team_id],
                    "topic": {"value": "", "creator": "", "last_set": 0},
                    "purpose": {"value": "", "creator": "", "last_set": 0},
                }
            )
        return channel

    def _public(self, channel: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in channel.items() if not k.startswith("_")}

    def _resolve_channel(self, ctx: _Ctx, channel_id: Any, *, posting: bool) -> str:
        """Validate a channel like Slack; a user id as channel means their DM."""
        if not channel_id or not isinstance(channel_id, str):
            raise SlackError("channel_not_found")
        if channel_id[0] in "UW" and posting:
            if channel_id not in self.users:
                raise SlackError("channel_not_found")
            return self._open_dm(ctx, [channel_id])[0]["id"]
        channel = self.channels.get(channel_id)
        if channel is None:
            if self.strict_channels:
                raise SlackError("channel_not_found")
            return channel_id
        if channel["context_team_id"] != ctx.ws.team_id:
            raise SlackError("channel_not_found")
        if posting and channel.get("is_archived"):
            raise SlackError("is_archived")
        if posting and not channel.get("is_im") and not channel.get("is_member", True):
            # chat:write.public lets bots post to public channels they are not in
            if channel.get("is_private") or "chat:write.public" not in ctx.ws.scopes:
                raise SlackError("not_in_channel")
        return channel_id

    def _open_dm(self, ctx: _Ctx, users: list[str]) -> tuple[dict[str, Any], bool]:
        """Return (channel, already_open) for a DM or a group DM with the bot."""
        team = ctx.ws.team_id
        for user_id in users:
            user = self.users.get(user_id)
            if user is None or user["team_id"] != team:
                raise SlackError("user_not_found")
        members = sorted({*users, ctx.ws.user_id}) if len(users) > 1 else sorted(users)
        for channel in self.channels.values():
            if channel.get("_dm_key") == (team, tuple(members)):
                return channel, True
        n = next(self._ids)
        if len(users) == 1:
            channel = self._channel_object(
                f"D{n:08d}", name=None, team_id=team, is_im=True, user=users[0]
            )
            channel["_members"] = [users[0], ctx.ws.user_id]
        else:
            channel = self._channel_object(
                f"G{n:08d}", name="mpdm-" + "--".join(members) + "-1", team_id=team, is_mpim=True
            )
            channel["_members"] = members
        channel["_dm_key"] = (team, tuple(members))
        self.channels[channel["id"]] = channel
        return channel, False

    def _bot_message(self, ctx: _Ctx, ts: str, params: Mapping[str, Any]) -> dict[str, Any]:
        # Messages posted with a bot token carry user + bot_id and no subtype.
        message: dict[str, Any] = {
            "type": "message",
            "text": params.get("text") or "",
            "ts": ts,
            "user": ctx.ws.user_id,
            "bot_id": ctx.ws.bot_id,
            "app_id": ctx.ws.app_id,
            "team": ctx.ws.team_id,
            "bot_profile": {
                "id": ctx.ws.bot_id,
                "app_id": ctx.ws.app_id,
                "name": ctx.ws.bot_name,
                "team_id": ctx.ws.team_id,
                "deleted": False,
            },
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key) is not None:
                message[key] = params[key]
        return message

    def _require_message(self, channel: str, ts: Any) -> dict[str, Any]:
        message = self.messages.get((channel, str(ts)))
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _check_client(self, ctx: _Ctx) -> None:
        client_id = ctx.basic_auth[0] if ctx.basic_auth else ctx.params.get("client_id")
        secret = ctx.basic_auth[1] if ctx.basic_auth else ctx.params.get("client_secret")
        if client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if secret != self.client_secret:
            raise SlackError("bad_client_secret")

    # ------------------------------------------------------------------ method handlers

    def _api_test(self, ctx: _Ctx) -> dict[str, Any]:
        return {"args": {k: v for k, v in ctx.params.items() if isinstance(v, str)}}

    def _auth_test(self, ctx: _Ctx) -> dict[str, Any]:
        ws = ctx.ws
        return {
            "url": f"https://{ws.team_domain}.slack.com/",
            "team": ws.team_name,
            "user": ws.bot_name,
            "team_id": ws.team_id,
            "user_id": ws.user_id,
            "bot_id": ws.bot_id,
            "app_id": ws.app_id,
            "enterprise_id": ws.enterprise_id,
            "is_enterprise_install": False,
        }

    def _auth_revoke(self, ctx: _Ctx) -> dict[str, Any]:
        if _truthy(ctx.params.get("test", False)):
            return {"revoked": False}
        assert ctx.token is not None
        self.revoked_tokens.add(ctx.token)
        return {"revoked": True}

    def _apps_uninstall(self, ctx: _Ctx) -> dict[str, Any]:
        self._check_client(ctx)
        team = ctx.ws.team_id
        self.revoked_tokens.update(t for t, ws in self.workspaces.items() if ws.team_id == team)
        return {}

    def _apps_connections_open(self, ctx: _Ctx) -> dict[str, Any]:
        ticket = secrets.token_hex(16)
        app_id = DEFAULT_APP_ID
        if ctx.token and ctx.token.count("-") >= 2:
            app_id = ctx.token.split("-")[2]  # xapp-1-<APP_ID>-...
        self._socket_tickets[ticket] = app_id
        query = urllib.parse.urlencode({"ticket": ticket, "app_id": app_id})
        return {"url": f"ws://127.0.0.1:{self.port}/link/?{query}"}

    def _oauth_v2_access(self, ctx: _Ctx) -> dict[str, Any]:
        self._check_client(ctx)
        code = ctx.params.get("code")
        if ctx.params.get("grant_type") == "refresh_token":
            return self._refresh(ctx.params.get("refresh_token"))
        if not code or code not in self.oauth_codes:
            raise SlackError("invalid_code")
        token, installer = self.oauth_codes.pop(code)  # codes are single use
        ws = self.workspaces[token]
        self.revoked_tokens.discard(token)
        rotation = self._rotation_fields(token)
        return {
            **rotation,
            "access_token": token,
            "token_type": "bot",
            "scope": ws.scopes,
            "bot_user_id": ws.user_id,
            "app_id": ws.app_id,
            "team": {"id": ws.team_id, "name": ws.team_name},
            "enterprise": (
                None if ws.enterprise_id is None else {"id": ws.enterprise_id, "name": "Enterprise"}
            ),
            "is_enterprise_install": False,
            "authed_user": {"id": installer},
        }

    # ------------------------------------------------------------------ Sign in with Slack

    def sign_in_as(self, user_id: str | None, *, consent: bool = True) -> None:
        """Who "clicks Allow" on the next authorize pages (``consent=False``: Cancel)."""
        self.oidc_user = user_id
        self.oidc_consent = consent

    @property
    def authorize_url(self) -> str:
        """What ``https://slack.com/openid/connect/authorize`` is on the fake."""
        return f"{self.base_url}/openid/connect/authorize"

    async def _handle_oidc_authorize(self, request: web.Request) -> web.Response:
        """The consent page, answered at once as ``oidc_user`` would: a redirect to
        ``redirect_uri`` with a code (or ``error=access_denied``) and the ``state``. Like
        Slack, a wrong client id or a request without the ``openid`` scope gets an error page
        and no redirect."""
        q = request.query
        scopes = set(q.get("scope", "").replace(",", " ").split())
        if q.get("client_id") != self.client_id:
            return web.Response(status=400, text="invalid_client_id", content_type="text/html")
        if q.get("response_type") != "code" or "openid" not in scopes:
            return web.Response(status=400, text="invalid_scope", content_type="text/html")
        redirect_uri = q.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return web.Response(status=400, text="bad_redirect_uri", content_type="text/html")
        answer: dict[str, str] = {"state": q.get("state", "")}
        if not self.oidc_consent or self.oidc_user is None:
            answer["error"] = "access_denied"
        else:
            code = f"{next(self._ids)}.{secrets.token_hex(12)}"
            self.oidc_codes[code] = (self.oidc_user, redirect_uri)
            answer["code"] = code
        location = f"{redirect_uri}?{urllib.parse.urlencode(answer)}"
        return web.Response(status=302, headers={"Location": location})

    def _openid_token(self, ctx: _Ctx) -> dict[str, Any]:
        """``openid.connect.token``: a code (single use, for the same redirect_uri) for a user
        token and an ID token."""
        self._check_client(ctx)
        code = str(ctx.params.get("code", ""))
        if code not in self.oidc_codes:
            raise SlackError("invalid_code")
        user_id, redirect_uri = self.oidc_codes.pop(code)
        if ctx.params.get("redirect_uri") != redirect_uri:
            raise SlackError("bad_redirect_uri")
        token = f"xoxp-{next(self._ids)}-{secrets.token_hex(8)}"
        self.user_tokens[token] = user_id
        return {
            "access_token": token,
            "token_type": "Bearer",
            "id_token": _unsigned_jwt(self._claims(user_id)),
        }

    def _openid_user_info(self, ctx: _Ctx) -> dict[str, Any]:
        assert ctx.token is not None
        return self._claims(self.user_tokens[ctx.token])

    def _claims(self, user_id: str) -> dict[str, Any]:
        user = self.users[user_id]
        team = next(
            (ws for ws in self.workspaces.values() if ws.team_id == user["team_id"]),
            Workspace(team_id=user["team_id"]),
        )
        profile = user["profile"]
        given, _, family = user["real_name"].partition(" ")
        claims: dict[str, Any] = {
            "iss": "https://slack.com",
            "sub": user_id,
            "aud": self.client_id,
            "https://slack.com/user_id": user_id,
            "https://slack.com/team_id": team.team_id,
            "email": profile["email"],
            "email_verified": True,
            "date_email_verified": 1_700_000_000,
            "name": user["real_name"],
            "picture": profile["image_48"],
            "given_name": given,
            "family_name": family,
            "locale": user["_locale"],
            "https://slack.com/team_name": team.team_name,
            "https://slack.com/team_domain": team.team_domain,
        }
        if team.enterprise_id:
            claims["https://slack.com/enterprise_id"] = team.enterprise_id
        return claims

    def enable_rotation(self, token: str) -> None:
        """The app has token rotation on: this token (and the ones renewing it) expire, and
        come with a refresh token (oauth.v2.access with grant_type=refresh_token)."""
        self.rotating_tokens.add(token)

    def _rotation_fields(self, token: str) -> dict[str, Any]:
        if token not in self.rotating_tokens:
            return {}
        refresh = f"xoxe-1-{secrets.token_hex(8)}"
        self.refresh_tokens[refresh] = token
        return {"refresh_token": refresh, "expires_in": self.token_lifetime}

    def _refresh(self, refresh: str | None) -> dict[str, Any]:
        """A new access token and a new refresh token; the old refresh token is spent (the old
        access token keeps working until it expires, as on Slack)."""
        old = self.refresh_tokens.pop(refresh or "", None)
        if old is None:
            raise SlackError("invalid_refresh_token")
        ws = self.workspaces[old]
        new = f"xoxe.xoxb-{ws.team_id}-{secrets.token_hex(6)}"
        self.workspaces[new] = ws
        self.rotating_tokens.add(new)
        return {
            **self._rotation_fields(new),
            "access_token": new,
            "token_type": "bot",
            "scope": ws.scopes,
            "bot_user_id": ws.user_id,
            "app_id": ws.app_id,
            "team": {"id": ws.team_id, "name": ws.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, ctx: _Ctx) -> dict[str, Any]:
        p = ctx.params
        channel = self._resolve_channel(ctx, p.get("channel"), posting=True)
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            raise SlackError("no_text")
        thread_ts = p.get("thread_ts")
        if thread_ts and (channel, str(thread_ts)) not in self.messages and self.strict_channels:
            raise SlackError("thread_not_found")
        ts = self._next_ts()
        message = self._bot_message(ctx, ts, p)
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, ctx: _Ctx) -> dict[str, Any]:
        p = ctx.params
        channel = self._resolve_channel(ctx, p.get("channel"), posting=True)
        user = p.get("user")
        if not user or user not in self.users:
            raise SlackError("user_not_found")
        known = self.channels.get(channel)
        if known is not None and known.get("_members") and user not in known["_members"]:
            raise SlackError("user_not_in_channel")
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            raise SlackError("no_text")
        ts = self._next_ts()
        self.ephemeral_messages.append(
            {"channel": channel, "user": user, **self._bot_message(ctx, ts, p)}
        )
        return {"message_ts": ts}

    def _chat_update(self, ctx: _Ctx) -> dict[str, Any]:
        p = ctx.params
        channel = self._resolve_channel(ctx, p.get("channel"), posting=False)
        message = self._require_message(channel, p.get("ts"))
        if message.get("bot_id") != ctx.ws.bot_id:
            raise SlackError("cant_update_message")
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            raise SlackError("no_text")
        for key in ("text", "blocks", "attachments", "metadata"):
            if p.get(key) is not None:
                message[key] = p[key]
        message["edited"] = {"user": ctx.ws.user_id, "ts": self._next_ts()}
        return {
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": message,
        }

    def _chat_delete(self, ctx: _Ctx) -> dict[str, Any]:
        p = ctx.params
        channel = self._resolve_channel(ctx, p.get("channel"), posting=False)
        message = self._require_message(channel, p.get("ts"))
        if message.get("bot_id") != ctx.ws.bot_id:
            raise SlackError("cant_delete_message")
        del self.messages[(channel, message["ts"])]
        return {"channel": channel, "ts": message["ts"]}

    def _chat_get_permalink(self, ctx: _Ctx) -> dict[str, Any]:
        p = ctx.params
        channel = self._resolve_channel(ctx, p.get("channel"), posting=False)
        message = self._require_message(channel, p.get("message_ts"))
        ts = str(message["ts"]).replace(".", "")
        permalink = f"https://{ctx.ws.team_domain}.slack.com/archives/{channel}/p{ts}"
        return {"channel": channel, "permalink": permalink}

    def _users_info(self, ctx: _Ctx) -> dict[str, Any]:
        user = self.users.get(str(ctx.params.get("user", "")))
        if user is None or user["team_id"] != ctx.ws.team_id:
            raise SlackError("user_not_found")
        public = {k: v for k, v in user.items() if not k.startswith("_")}
        public["profile"] = dict(user["profile"])
        if user["is_bot"]:
            public["profile"]["bot_id"] = ctx.ws.bot_id
        if _truthy(ctx.params.get("include_locale", False)):
            public["locale"] = user["_locale"]
        return {"user": public}

    def _usergroups_list(self, ctx: _Ctx) -> dict[str, Any]:
        include_users = _truthy(ctx.params.get("include_users", False))
        include_disabled = _truthy(ctx.params.get("include_disabled", False))
        groups = []
        for group in self.usergroups.values():
            if group["team_id"] != ctx.ws.team_id:
                continue
            if group["date_delete"] and not include_disabled:
                continue
            entry = dict(group)
            if not include_users:
                entry.pop("users")
            groups.append(entry)
        return {"usergroups": groups}

    def _usergroups_users_list(self, ctx: _Ctx) -> dict[str, Any]:
        group = self.usergroups.get(str(ctx.params.get("usergroup", "")))
        if group is None or group["team_id"] != ctx.ws.team_id:
            raise SlackError("no_such_subteam")
        if group["date_delete"] and not _truthy(ctx.params.get("include_disabled", False)):
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}

    def _conversations_open(self, ctx: _Ctx) -> dict[str, Any]:
        p = ctx.params
        return_im = _truthy(p.get("return_im", False))
        if p.get("channel"):
            channel = self.channels.get(str(p["channel"]))
            if channel is None or not (channel.get("is_im") or channel.get("is_mpim")):
                raise SlackError("channel_not_found")
            return {"no_op": True, "already_open": True, "channel": {"id": channel["id"]}}
        users = _split_ids(p.get("users"))
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > _MAX_DM_USERS:
            raise SlackError("too_many_users")
        channel, already_open = self._open_dm(ctx, users)
        body: dict[str, Any] = {
            "channel": self._public(channel) if return_im else {"id": channel["id"]}
        }
        if already_open:
            body.update({"no_op": True, "already_open": True})
        return body

    def _conversations_info(self, ctx: _Ctx) -> dict[str, Any]:
        channel_id = self._resolve_channel(ctx, ctx.params.get("channel"), posting=False)
        channel = self.channels.get(channel_id)
        if channel is None:  # lenient mode: an unknown id is a public channel
            channel = self._channel_object(
                channel_id, name=channel_id.lower(), team_id=ctx.ws.team_id
            )
        public = self._public(channel)
        if _truthy(ctx.params.get("include_num_members", False)):
            public["num_members"] = len(channel.get("_members", []))
        if _truthy(ctx.params.get("include_locale", False)):
            public["locale"] = "en-US"
        return {"channel": public}

    def _conversations_history(self, ctx: _Ctx) -> dict[str, Any]:
        """Newest first; `oldest`/`latest` bound the ts (exclusive); message `metadata` only
        with `include_all_metadata` (as Slack does); `limit` at most 999 (default 100)."""
        p = ctx.params
        channel_id = self._resolve_channel(ctx, p.get("channel"), posting=False)
        oldest, latest = float(p.get("oldest") or 0), float(p.get("latest") or 9e12)
        limit = min(int(p.get("limit") or 100), 999)
        found = [
            dict(m)
            for m in reversed(self.messages_in(channel_id))
            if oldest < float(m["ts"]) < latest and not m.get("thread_ts")
        ]
        if not _truthy(p.get("include_all_metadata", False)):
            for message in found:
                message.pop("metadata", None)
        return {"messages": found[:limit], "has_more": len(found) > limit}

    def _conversations_replies(self, ctx: _Ctx) -> dict[str, Any]:
        """A thread: its first message, then the replies oldest first. ``ts`` may name any
        message of the thread; a message without replies comes alone. ``limit`` (at most
        1000) and ``cursor`` page through it (``oldest``/``latest`` are not supported)."""
        p = ctx.params
        channel_id = self._resolve_channel(ctx, p.get("channel"), posting=False)
        if not p.get("ts"):
            raise SlackError("invalid_arguments")
        known = self.messages.get((channel_id, str(p["ts"])))
        if known is None:
            raise SlackError("thread_not_found")
        root = str(known.get("thread_ts") or known["ts"])
        thread = [root] + [m["ts"] for m in self._replies(channel_id, root)]
        limit = min(int(p.get("limit") or 1000), 1000)
        cursor = str(p.get("cursor") or "")
        start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
        page = thread[start : start + limit]
        more = start + len(page) < len(thread)
        next_cursor = base64.b64encode(f"offset:{start + len(page)}".encode()).decode()
        return {
            "messages": [self.message(channel_id, ts) for ts in page],
            "has_more": more,
            "response_metadata": {"next_cursor": next_cursor if more else ""},
        }

    def _conversations_members(self, ctx: _Ctx) -> dict[str, Any]:
        channel_id = self._resolve_channel(ctx, ctx.params.get("channel"), posting=False)
        members = list(self.channels.get(channel_id, {}).get("_members", []))
        limit = int(ctx.params.get("limit") or 100)
        cursor = str(ctx.params.get("cursor") or "")
        start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
        page = members[start : start + limit]
        end = start + len(page)
        next_cursor = ""
        if end < len(members):
            next_cursor = base64.b64encode(f"offset:{end}".encode()).decode()
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _views_publish(self, ctx: _Ctx) -> dict[str, Any]:
        """Publish a user's Home tab: a view of type ``home``, at most 100 blocks, each
        within Block Kit's limits; ``hash`` (optional) must be the current view's."""
        p = ctx.params
        user_id, view = p.get("user_id"), p.get("view")
        if not user_id or not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        user = self.users.get(str(user_id))
        if user is None or user["team_id"] != ctx.ws.team_id:
            raise SlackError("user_not_found")
        if not self.home_tab_enabled:
            raise SlackError("not_enabled")
        problems = _view_problems(view)
        if problems:
            raise SlackError("invalid_arguments", response_metadata={"messages": problems})
        key = (ctx.ws.team_id, str(user_id))
        current = self.home_views.get(key)
        if p.get("hash") and (current is None or p["hash"] != current["hash"]):
            raise SlackError("hash_conflict")
        published: dict[str, Any] = {
            "id": current["id"] if current else f"V{next(self._ids):08d}",
            "team_id": ctx.ws.team_id,
            "type": "home",
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": {"type": "plain_text", "text": "View Title"},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            "previous_view_id": None,
            "root_view_id": None,
            "app_id": ctx.ws.app_id,
            "app_installed_team_id": ctx.ws.team_id,
            "bot_id": ctx.ws.bot_id,
        }
        published["root_view_id"] = published["id"]
        self.home_views[key] = published
        return {"view": published}

    def _files_get_upload_url_external(self, ctx: _Ctx) -> dict[str, Any]:
        filename = ctx.params.get("filename")
        length = ctx.params.get("length")
        if not filename or length is None or not str(length).isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        self.uploaded_files[file_id] = {
            "id": file_id,
            "name": str(filename),
            "length": int(length),
            "content": None,
            "team_id": ctx.ws.team_id,
            "completed": False,
        }
        return {"upload_url": f"{self.base_url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, ctx: _Ctx) -> dict[str, Any]:
        p = ctx.params
        entries = p.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        channel_id = p.get("channel_id")
        channels = _split_ids(p.get("channels")) or ([channel_id] if channel_id else [])
        shared = [self._resolve_channel(ctx, c, posting=True) for c in channels]
        files = []
        for entry in entries:
            stored = self.uploaded_files.get(str(entry.get("id")))
            if stored is None or stored["content"] is None or stored["completed"]:
                raise SlackError("file_not_found")
            stored["completed"] = True
            stored["title"] = entry.get("title") or stored["name"]
            stored["channels"] = shared
            stored["initial_comment"] = p.get("initial_comment")
            stored["thread_ts"] = p.get("thread_ts")
            mimetype = mimetypes.guess_type(stored["name"])[0] or "application/octet-stream"
            files.append(
                {
                    "id": stored["id"],
                    "created": int(time.time()),
                    "name": stored["name"],
                    "title": stored["title"],
                    "mimetype": mimetype,
                    "filetype": stored["name"].rsplit(".", 1)[-1].lower(),
                    "size": len(stored["content"]),
                    "user": ctx.ws.user_id,
                    "user_team": ctx.ws.team_id,
                    "is_public": bool(shared),
                    "channels": [c for c in shared if c.startswith("C")],
                    "groups": [c for c in shared if c.startswith("G")],
                    "ims": [c for c in shared if c.startswith("D")],
                    "url_private": f"{self.base_url}/files/{stored['id']}/{stored['name']}",
                    "permalink": (
                        f"https://{ctx.ws.team_domain}.slack.com/files/"
                        f"{ctx.ws.user_id}/{stored['id']}/{stored['name']}"
                    ),
                }
            )
        return {"files": files}

    # ------------------------------------------------------------------ non-API endpoints

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """The ``upload_url``: raw body in, ``OK - <length>`` (text/plain) out.

        slack_sdk treats text/plain as the upload response and only checks
        the status code.
        """
        stored = self.uploaded_files.get(request.match_info["file_id"])
        if stored is None or stored["completed"]:
            return web.Response(status=404, text="file_not_found")
        data = await request.read()
        stored["content"] = data
        await self._notify()
        return web.Response(status=200, text=f"OK - {len(data)}")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        url = f"{self.base_url}{request.path}"
        known = self._response_urls.get(url)
        if known is None:
            return web.json_response({"ok": False, "error": "no_service"}, status=404)
        known.uses += 1
        if known.uses > _RESPONSE_URL_MAX_USES:
            return web.json_response({"ok": False, "error": "used_url"}, status=404)
        raw = await request.text()
        body: Any = raw
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = json.loads(raw)
        self.response_url_posts.append(ResponseUrlPost(url, body, request.content_type))
        await self._notify()
        return web.json_response({"ok": True})

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        """Socket Mode link: hello on connect, then envelopes out / acks in.

        ``autoping=False`` so pongs are under test control; by default every
        ping (slack_sdk's ``sdk-ping-pong:<t>`` and aiohttp's heartbeat) is
        answered with the same data, which is what slack_sdk checks.
        """
        ticket = request.query.get("ticket", "")
        app_id = self._socket_tickets.pop(ticket, None)  # tickets are single use
        if app_id is None:
            return web.Response(status=401, text="invalid_ticket")
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        self._socket_numbers += 1
        conn = _SocketConnection(
            ws=ws, app_id=app_id, url=str(request.url), number=self._socket_numbers
        )
        self._socket_conns.append(conn)
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": self.socket_connections,
                    "debug_info": {
                        "host": "applink-fake",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": app_id},
                }
            )
            self.socket_connect_count += 1
            await self._notify()
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.PING:
                    if self.socket_respond_to_pings:
                        await ws.pong(msg.data)
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    if not await self._on_socket_text(conn, msg.data):
                        await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY)
                    await self._notify()
        finally:
            self._socket_conns.remove(conn)
            await self._redeliver(conn)
            await self._notify()
        return ws

    async def _on_socket_text(self, conn: _SocketConnection, data: str) -> bool:
        """Record what the app sent; False when the connection is to die instead."""
        try:
            message = json.loads(data)
        except ValueError:
            self.socket_received.append(data)
            return True
        if isinstance(message, dict) and "envelope_id" in message and conn.drop_next_ack:
            conn.drop_next_ack = False
            return False  # the ack is lost with the connection: the envelope stays unacked
        self.socket_received.append(message)
        if isinstance(message, dict) and "envelope_id" in message:
            envelope_id = message["envelope_id"]
            conn.unacked.pop(envelope_id, None)
            ack = SocketAck(envelope_id, message.get("payload"), message, conn.number)
            self.socket_acks.append(ack)
            for key in {envelope_id, self._retry_of.get(envelope_id, envelope_id)}:
                fut = self._ack_futures.get(key)
                if fut is not None and not fut.done():
                    fut.set_result(ack)
        return True


def _text_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def _view_problems(view: dict[str, Any]) -> list[str]:
    """What Slack's validation says about a view, in its words (an empty list: valid)."""
    problems: list[str] = []

    def fail(message: str, pointer: str) -> None:
        problems.append(f"[ERROR] {message} [json-pointer:/view{pointer}]")

    if view.get("type") != "home":
        fail("must be home for views.publish", "/type")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        fail("must provide an array", "/blocks")
        return problems
    if len(blocks) > MAX_VIEW_BLOCKS:
        fail(f"no more than {MAX_VIEW_BLOCKS} items allowed", "/blocks")
    if len(str(view.get("private_metadata", ""))) > MAX_PRIVATE_METADATA:
        fail(f"must be less than {MAX_PRIVATE_METADATA} characters", "/private_metadata")
    for index, block in enumerate(blocks):
        _block_problems(block, f"/blocks/{index}", fail)
    return problems


def _block_problems(block: Any, at: str, fail: Callable[[str, str], None]) -> None:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind not in _BLOCK_TYPES:
        fail("unsupported type", f"{at}/type")
        return
    if kind == "header" and not 1 <= len(_text_of(block.get("text"))) <= MAX_HEADER_TEXT:
        fail(f"must be less than {MAX_HEADER_TEXT} characters", f"{at}/text/text")
    if kind == "section":
        text, fields = block.get("text"), block.get("fields") or []
        if text is None and not fields:
            fail("must provide text or fields", at)
        if text is not None and not 1 <= len(_text_of(text)) <= MAX_SECTION_TEXT:
            fail(f"must be less than {MAX_SECTION_TEXT} characters", f"{at}/text/text")
        if len(fields) > MAX_FIELDS:
            fail(f"no more than {MAX_FIELDS} items allowed", f"{at}/fields")
        for n, item in enumerate(fields):
            if not 1 <= len(_text_of(item)) <= MAX_FIELD_TEXT:
                fail(f"must be less than {MAX_FIELD_TEXT} characters", f"{at}/fields/{n}/text")
    if kind == "context" and not 1 <= len(block.get("elements") or []) <= MAX_CONTEXT_ELEMENTS:
        fail(f"must have 1 to {MAX_CONTEXT_ELEMENTS} elements", f"{at}/elements")
    if kind == "actions":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= MAX_ACTION_ELEMENTS:
            fail(f"must have 1 to {MAX_ACTION_ELEMENTS} elements", f"{at}/elements")
        seen: set[str] = set()
        for n, element in enumerate(elements):
            where = f"{at}/elements/{n}"
            action_id = str(element.get("action_id", ""))
            if action_id in seen:
                fail("action_id must be unique within a block", f"{where}/action_id")
            seen.add(action_id)
            if len(action_id) > MAX_ACTION_ID:
                fail(f"must be less than {MAX_ACTION_ID} characters", f"{where}/action_id")
            if element.get("type") == "button":
                if not 1 <= len(_text_of(element.get("text"))) <= MAX_BUTTON_TEXT:
                    fail(f"must be less than {MAX_BUTTON_TEXT} characters", f"{where}/text/text")
                if len(str(element.get("value", ""))) > MAX_BUTTON_VALUE:
                    fail(f"must be less than {MAX_BUTTON_VALUE} characters", f"{where}/value")


# --------------------------------------------------------------------------
# Payload builders: what Slack POSTs (HTTP mode) or wraps in envelopes
# --------------------------------------------------------------------------


def app_home_opened_event(
    *,
    user_id: str = DEFAULT_USER_ID,
    tab: str = "home",
    view: dict[str, Any] | None = None,
    channel: str = "D0FAKEDM1",
) -> dict[str, Any]:
    """The ``app_home_opened`` event: a user opened one of the app's tabs (``home`` or
    ``messages``); ``view`` is the Home view published before, when there is one."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel,
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    if view is not None:
        event["view"] = view
    return event


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    """An ID token shaped like Slack's (header.payload.signature); the signature is not a
    real RS256 one: nothing in the bot relies on the ID token (it reads userInfo)."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "kid": "fake"}
    payload = {**claims, "iat": now, "exp": now + 3600, "auth_time": now}
    return f"{part(header)}.{part(payload)}.{secrets.token_urlsafe(16)}"


def slash_command_payload(
    *,
    command: str = "/fedbot",
    text: str = "",
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str | None = None,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    response_url: str = "http://127.0.0.1:9/response-url-not-set",
    trigger_id: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    enterprise_id: str | None = None,
    verification_token: str = DEFAULT_VERIFICATION_TOKEN,
) -> dict[str, str]:
    """A slash command exactly as Slack form-encodes it (all values are strings)."""
    payload = {
        "token": verification_token,
        "team_id": team_id,
        "team_domain": team_domain or team_id.lower(),
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }
    if enterprise_id:
        payload["enterprise_id"] = enterprise_id
        payload["enterprise_name"] = "Enterprise"
    return payload


def block_actions_payload(
    *,
    action_id: str,
    value: str | None = None,
    block_id: str | None = None,
    action_type: str = "button",
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str | None = None,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    message_ts: str | None = None,
    message: dict[str, Any] | None = None,
    response_url: str = "http://127.0.0.1:9/response-url-not-set",
    trigger_id: str | None = None,
    is_ephemeral: bool = False,
    state: dict[str, Any] | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    verification_token: str = DEFAULT_VERIFICATION_TOKEN,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``block_actions`` interaction on a message, shaped like Slack's; with ``view`` (a
    published Home view), a click in the Home tab: no channel, no message, no response_url."""
    message_ts = message_ts or (message or {}).get("ts") or f"{int(time.time())}.000100"
    block_id = block_id or "fake_block"
    action: dict[str, Any] = {
        "type": action_type,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
    if value is not None:
        action["value"] = value
    if view is not None:
        return {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
            "api_app_id": api_app_id,
            "token": verification_token,
            "container": {"type": "view", "view_id": view["id"]},
            "trigger_id": trigger_id or _trigger_id(),
            "team": {"id": team_id, "domain": team_domain or team_id.lower()},
            "enterprise": None,
            "is_enterprise_install": False,
            "view": view,
            "actions": [action],
        }
    if message is None:
        message = {
            "type": "message",
            "user": DEFAULT_BOT_USER_ID,
            "bot_id": DEFAULT_BOT_ID,
            "app_id": api_app_id,
            "team": team_id,
            "text": "",
            "ts": message_ts,
            "blocks": [{"type": "actions", "block_id": block_id, "elements": []}],
        }
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": verification_token,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": team_domain or team_id.lower()},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "message": message,
        "state": state or {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def message_action_payload(
    *,
    callback_id: str,
    message: dict[str, Any],
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str | None = None,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    response_url: str = "http://127.0.0.1:9/response-url-not-set",
    trigger_id: str | None = None,
    verification_token: str = DEFAULT_VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """A message shortcut used on ``message`` (as Slack shows it: ``FakeSlack.message``),
    shaped like Slack's ``message_action`` interaction."""
    return {
        "type": "message_action",
        "token": verification_token,
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team_id, "domain": team_domain or team_id.lower()},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "channel": {"id": channel_id, "name": channel_name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or _trigger_id(),
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": message,
    }


def event_callback_payload(
    *,
    event: dict[str, Any],
    team_id: str = DEFAULT_TEAM_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    bot_user_id: str = DEFAULT_BOT_USER_ID,
    api_app_id: str = DEFAULT_APP_ID,
    verification_token: str = DEFAULT_VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """An Events API ``event_callback`` wrapper around ``event``."""
    return {
        "token": verification_token,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_hex(12)}",
    }


# --------------------------------------------------------------------------
# Signed requests to the bot (HTTP mode)
# --------------------------------------------------------------------------


def sign_request(signing_secret: str, timestamp: str, body: str) -> str:
    """Slack's signature: ``v0=`` + hex HMAC-SHA256 of ``v0:{ts}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SignedResponse:
    """The bot's HTTP answer; ``body`` is JSON-decoded when it is JSON."""

    status: int
    headers: CIMultiDictProxy[str]
    body: Any
    text: str = field(repr=False)


class SlackRequestSender:
    """Plays Slack's side of HTTP mode: signs and POSTs to the bot's endpoint.

    With ``fake=`` given, slash commands and block actions get a fresh
    ``fake.response_url(...)`` unless one is passed, so ``respond()`` lands
    in ``fake.response_url_posts``. Without it the default response_url is a
    closed loopback port - never the internet.

    Every sending method accepts ``bad_signature=True`` (signature made with
    a wrong secret), ``stale=True`` (timestamp 6 minutes old, outside
    Slack's 5-minute window) or ``timestamp=`` for full control, and
    ``path=`` to override the endpoint path.
    """

    def __init__(
        self,
        base_url: str,
        signing_secret: str = DEFAULT_SIGNING_SECRET,
        *,
        path: str = "/slack/events",
        fake: FakeSlack | None = None,
        verification_token: str = DEFAULT_VERIFICATION_TOKEN,
        api_app_id: str = DEFAULT_APP_ID,
        timeout: float = 5.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.signing_secret = signing_secret
        self.path = path
        self.fake = fake
        self.verification_token = verification_token
        self.api_app_id = api_app_id
        self.timeout = timeout

    async def post(
        self,
        body: str,
        *,
        content_type: str,
        path: str | None = None,
        headers: Mapping[str, str] | None = None,
        bad_signature: bool = False,
        stale: bool = False,
        timestamp: int | None = None,
    ) -> SignedResponse:
        """POST a raw body with Slack's signature headers."""
        if timestamp is None:
            timestamp = int(time.time()) - (6 * 60 if stale else 0)
        ts = str(timestamp)
        secret = self.signing_secret + ("-wrong" if bad_signature else "")
        all_headers = CIMultiDict(
            {
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sign_request(secret, ts, body),
                "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            }
        )
        all_headers.update(headers or {})
        url = f"{self.base_url}{path or self.path}"
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, data=body.encode(), headers=all_headers) as resp,
        ):
            text = await resp.text()
            decoded: Any = text
            if resp.content_type == "application/json" and text:
                with contextlib.suppress(ValueError):
                    decoded = json.loads(text)
            return SignedResponse(status=resp.status, headers=resp.headers, body=decoded, text=text)

    def _response_url(self, response_url: str | None, team_id: str, kind: str) -> str:
        if response_url is not None:
            return response_url
        if self.fake is not None:
            return self.fake.response_url(team_id=team_id, kind=kind)
        return "http://127.0.0.1:9/response-url-not-set"

    async def interaction(
        self,
        payload: dict[str, Any],
        *,
        path: str | None = None,
        bad_signature: bool = False,
        stale: bool = False,
        timestamp: int | None = None,
    ) -> SignedResponse:
        """POST an interaction payload (a click, a shortcut) as Slack does: form-encoded
        ``payload=<json>``, signed."""
        return await self.post(
            urllib.parse.urlencode({"payload": json.dumps(payload)}),
            content_type="application/x-www-form-urlencoded",
            path=path,
            bad_signature=bad_signature,
            stale=stale,
            timestamp=timestamp,
        )

    async def slash_command(
        self,
        *,
        command: str = "/fedbot",
        text: str = "",
        user_id: str = DEFAULT_USER_ID,
        user_name: str = "alice",
        team_id: str = DEFAULT_TEAM_ID,
        channel_id: str = DEFAULT_CHANNEL_ID,
        channel_name: str = "general",
        response_url: str | None = None,
        trigger_id: str | None = None,
        enterprise_id: str | None = None,
        path: str | None = None,
        bad_signature: bool = False,
        stale: bool = False,
        timestamp: int | None = None,
    ) -> SignedResponse:
        """POST a form-encoded slash command, as Slack does."""
        payload = slash_command_payload(
            command=command,
            text=text,
            user_id=user_id,
            user_name=user_name,
            team_id=team_id,
            channel_id=channel_id,
            channel_name=channel_name,
            response_url=self._response_url(response_url, team_id, "commands"),
            trigger_id=trigger_id,
            api_app_id=self.api_app_id,
            enterprise_id=enterprise_id,
            verification_token=self.verification_token,
        )
        return await self.post(
            urllib.parse.urlencode(payload),
            content_type="application/x-www-form-urlencoded",
            path=path,
            bad_signature=bad_signature,
            stale=stale,
            timestamp=timestamp,
        )

    async def block_action(
        self,
        *,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        action_type: str = "button",
        user_id: str = DEFAULT_USER_ID,
        user_name: str = "alice",
        team_id: str = DEFAULT_TEAM_ID,
        channel_id: str = DEFAULT_CHANNEL_ID,
        message_ts: str | None = None,
        message: dict[str, Any] | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        is_ephemeral: bool = False,
        state: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        path: str | None = None,
        bad_signature: bool = False,
        stale: bool = False,
        timestamp: int | None = None,
    ) -> SignedResponse:
        """POST a ``block_actions`` payload as ``payload=<json>`` (form-encoded); with
        ``view``, a click in that Home view."""
        payload = block_actions_payload(
            action_id=action_id,
            value=value,
            block_id=block_id,
            action_type=action_type,
            user_id=user_id,
            user_name=user_name,
            team_id=team_id,
            channel_id=channel_id,
            message_ts=message_ts,
            message=message,
            response_url=self._response_url(response_url, team_id, "actions"),
            trigger_id=trigger_id,
            is_ephemeral=is_ephemeral,
            state=state,
            api_app_id=self.api_app_id,
            verification_token=self.verification_token,
            view=view,
        )
        return await self.interaction(
            payload, path=path, bad_signature=bad_signature, stale=stale, timestamp=timestamp
        )

    async def message_action(
        self,
        *,
        callback_id: str,
        message_ts: str | None = None,
        message: dict[str, Any] | None = None,
        user_id: str = DEFAULT_USER_ID,
        user_name: str = "alice",
        team_id: str = DEFAULT_TEAM_ID,
        channel_id: str = DEFAULT_CHANNEL_ID,
        channel_name: str = "general",
        response_url: str | None = None,
        trigger_id: str | None = None,
        path: str | None = None,
        bad_signature: bool = False,
        stale: bool = False,
        timestamp: int | None = None,
    ) -> SignedResponse:
        """POST a ``message_action`` payload (a message shortcut) as ``payload=<json>``
        (form-encoded), on ``message``, or on the fake's message ``message_ts`` in
        ``channel_id`` as Slack shows it now."""
        if message is None:
            assert self.fake is not None and message_ts is not None, "message= or message_ts="
            message = self.fake.message(channel_id, message_ts)
        payload = message_action_payload(
            callback_id=callback_id,
            message=message,
            user_id=user_id,
            user_name=user_name,
            team_id=team_id,
            channel_id=channel_id,
            channel_name=channel_name,
            response_url=self._response_url(response_url, team_id, "actions"),
            trigger_id=trigger_id,
            verification_token=self.verification_token,
        )
        return await self.interaction(
            payload, path=path, bad_signature=bad_signature, stale=stale, timestamp=timestamp
        )

    async def event(
        self,
        *,
        event: dict[str, Any],
        team_id: str = DEFAULT_TEAM_ID,
        event_id: str | None = None,
        event_time: int | None = None,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        path: str | None = None,
        bad_signature: bool = False,
        stale: bool = False,
        timestamp: int | None = None,
    ) -> SignedResponse:
        """POST an Events API ``event_callback`` (JSON).

        Pass ``retry_num``/``retry_reason`` (e.g. ``1``/``"http_timeout"``)
        to send Slack's ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason``
        headers, as on a redelivery; reuse ``event_id`` to make it a true
        duplicate.
        """
        payload = event_callback_payload(
            event=event,
            team_id=team_id,
            event_id=event_id,
            event_time=event_time,
            bot_user_id=bot_user_id,
            api_app_id=self.api_app_id,
            verification_token=self.verification_token,
        )
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        elif retry_reason is not None:
            headers["X-Slack-Retry-Reason"] = retry_reason
        return await self.post(
            json.dumps(payload),
            content_type="application/json",
            path=path,
            headers=headers,
            bad_signature=bad_signature,
            stale=stale,
            timestamp=timestamp,
        )

    async def url_verification(
        self,
        challenge: str | None = None,
        *,
        path: str | None = None,
        bad_signature: bool = False,
        stale: bool = False,
        timestamp: int | None = None,
    ) -> SignedResponse:
        """POST the Events API endpoint check; the bot must echo ``challenge``."""
        payload = {
            "token": self.verification_token,
            "challenge": challenge or secrets.token_urlsafe(24),
            "type": "url_verification",
        }
        return await self.post(
            json.dumps(payload),
            content_type="application/json",
            path=path,
            bad_signature=bad_signature,
            stale=stale,
            timestamp=timestamp,
        )
