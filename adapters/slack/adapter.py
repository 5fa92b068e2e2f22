"""The Slack adapter: a bolt `AsyncApp` whose listeners ack first and hand over to the core.

Every transport (Socket Mode envelope or signed HTTP request) becomes one bolt request and goes
through one `async_dispatch`, so both modes share every listener below.

Ack strategy (measured: `bench/slack_ack.py`). bolt's default runner
(`process_before_response=False`) starts the listener in a task and polls for `ack()` every
10 ms: 11 ms per command on loopback even when the listener acks at once. With
`process_before_response=True` the HTTP answer (or Socket Mode ack) leaves as soon as the
listener returns: under 1 ms. So the listener itself keeps Slack's 3-second promise: it starts
the command, waits up to `slack.ack_deadline` (2 s) for it, and acks *with the reply* when it
is ready in time (one round trip, no response_url call). A command declared `slow`, or one
still running at the deadline, is acked with a short "one moment" note and answered later
through response_url. Clicks and events are acked at once and handled in the background.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import manifest
from adapters.slack.bolt_app import build_bolt, token_rotator
from adapters.slack.endpoints import SlackEndpoints
from adapters.slack.home import HomePublisher
from adapters.slack.identity import IdentityResolver
from adapters.slack.inbound import (
    Click,
    CommandRouting,
    Invocation,
    MessageShortcut,
    click,
    message_invocation,
    message_shortcut,
    request_id,
    slash_invocation,
)
from adapters.slack.installations import InstallationStore
from adapters.slack.pacing import slack_buckets
from adapters.slack.render import escape
from adapters.slack.replies import Responder, ack_body
from adapters.slack.sender import SlackSender
from adapters.slack.shortcuts import MessageShortcuts
from adapters.slack.webapi import RetryPolicy, Sleep, WebApi
from adapters.slack.workspaces import (
    InstalledWorkspaces,
    SingleWorkspace,
    Workspaces,
    adopt_env_token,
    check_env_workspace,
)
from bot.app import BotApp
from bot.errors import ConfigError
from bot.i18n import translator
from bot.identity import Caller, Place
from bot.logs import request_context
from bot.messages import Reply
from bot.secret_box import SecretKeyError

log = logging.getLogger(__name__)

# A hook for passive channel messages (the FAQ feature plugs in here); a Reply goes to the
# message's thread.
MessageHook = Callable[[Caller, Place, str], Awaitable[Reply | None]]
REDELIVERY_TTL = timedelta(hours=1)  # Slack retries an event 3 times within minutes
SHUTDOWN_GRACE = 5.0


class SlackAdapter:
    name = "slack"

    def __init__(self, app: BotApp, *, sleep: Sleep = asyncio.sleep) -> None:
        self.app = app
        self.config = app.config
        self.settings = app.config.slack
        self.routing = CommandRouting(self.settings, app.services.registry)
        self.identity = IdentityResolver(app.config)
        policy = RetryPolicy(self.settings.max_retries, self.settings.max_retry_wait)
        self.api = WebApi(self.settings.api_base_url, policy, sleep, app.metrics)
        self.shortcuts = MessageShortcuts(app.services.registry, app.dispatcher, self.api)
        self.deliveries = app.services.deliveries
        # Channel messages go to the core's listeners (the FAQ's passive mode) when the app
        # subscribes to them (`message_events`); tests may plug in their own hook.
        self.on_message: MessageHook | None = (
            app.dispatcher.handle_message if self.settings.message_events else None
        )
        self.store: InstallationStore | None = None
        self.sender: SlackSender | None = None
        self.responder: Responder | None = None
        self.bolt: AsyncApp | None = None
        self.home: HomePublisher | None = None  # the Home tab (`slack.home_tab`)
        self._socket: AsyncSocketModeHandler | None = None
        self._started_web = False
        self._started = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.endpoints = SlackEndpoints(
            app, lambda: self.bolt, events=self.settings.mode == "http", install=self.uses_oauth
        )

    # ------------------------------------------------------------------ lifecycle

    @property
    def uses_oauth(self) -> bool:
        secrets = self.config.secrets
        return bool(secrets.slack_client_id and secrets.slack_client_secret)

    def _check_config(self) -> None:
        secrets, mode = self.config.secrets, self.settings.mode
        if not (secrets.slack_bot_token or self.uses_oauth):
            raise ConfigError(
                "config: slack: set SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
            )
        if mode == "socket" and not secrets.slack_app_token:
            raise ConfigError('config: slack.mode: "socket" needs SLACK_APP_TOKEN (xapp-…)')
        if mode == "http" and not secrets.slack_signing_secret:
            raise ConfigError('config: slack.mode: "http" needs SLACK_SIGNING_SECRET')
        if not 0 <= self.settings.ack_deadline <= 2.5:
            raise ConfigError("config: slack.ack_deadline: between 0 and 2.5 seconds")

    async def start(self) -> None:
        self._check_config()
        workspaces: Workspaces
        if self.uses_oauth:
            services = self.app.services
            self.store = InstallationStore(
                self.app.db, self.app.clock, services.federation, services.secret_box
            )
            try:
                await self.store.check_secrets()
            except SecretKeyError as exc:
                raise ConfigError(str(exc)) from None
            if self.config.secrets.slack_bot_token:
                token = self.config.secrets.slack_bot_token
                await adopt_env_token(self.store, self.api, self.app.services.federation, token)
            workspaces = InstalledWorkspaces(self.store, self._rotator())
        else:
            single = SingleWorkspace(self.config.secrets.slack_bot_token or "", self.api)
            await check_env_workspace(self.app.services.federation, await single.identify())
            workspaces = single
        self.sender = SlackSender(workspaces, self.api, slack_buckets(self.settings))
        self.responder = Responder(self.sender)
        if self.settings.home_tab:
            settings = self.settings
            self.home = HomePublisher(
                self.app, self.sender, self.identity, settings.home_debounce, settings.home_rate
            )
            self.home.start()
        self.bolt = self._build_bolt()
        self._listen(self.bolt)
        if self._serves_http and not self.app.web.running:
            await self.app.web.start()  # `fedbot run` starts it first when [http] is enabled
            self._started_web = True
        if self.settings.mode == "socket":
            self._socket = AsyncSocketModeHandler(self.bolt, self.config.secrets.slack_app_token)
            await self._socket.connect_async()  # retries until connected (or cancelled)
        self.app.outbound.register(self.sender)
        lookup = functools.partial(self.identity.groups_via, self.sender.client_for)
        self.app.services.directory.register(self.name, lookup)
        self._started = True
        log.info(
            "Slack adapter started (%s mode, commands: %s)",
            self.settings.mode,
            " ".join(self.routing.registered),
        )

    async def ready(self) -> bool:
        """Started, and in Socket Mode connected now (it reconnects by itself)."""
        if not self._started:
            return False
        return self._socket is None or await self._socket.client.is_connected()

    async def stop(self) -> None:
        self._started = False
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._tasks:  # answers in flight get a moment to land
            await asyncio.wait(set(self._tasks), timeout=SHUTDOWN_GRACE)
            for task in self._tasks:
                task.cancel()
        if self.home is not None:
            await self.home.stop()
        self.app.outbound.unregister(self.name)
        self.app.services.directory.unregister(self.name)
        if self._started_web:
            await self.app.web.stop()
            self._started_web = False

    def _rotator(self) -> AsyncTokenRotator:
        return token_rotator(self.config)

    def _build_bolt(self) -> AsyncApp:
        return build_bolt(self.config, self.store, self.app.db, self.app.clock)

    def _listen(self, bolt: AsyncApp) -> None:
        bolt.middleware(self._drop_redeliveries)
        bolt.command(re.compile(r"^/"))(self._on_command)
        bolt.action(re.compile(r".+"))(self._on_click)
        if (callback_ids := self.shortcuts.callback_ids()) is not None:
            bolt.message_shortcut(callback_ids)(self._on_shortcut)
        bolt.event("message")(self._on_message)
        if self.settings.home_tab:
            bolt.event(manifest.HOME_EVENT)(self._on_home_opened)
        if self.store is not None:
            bolt.enable_token_revocation_listeners()

    @property
    def _serves_http(self) -> bool:
        return self.settings.mode == "http" or self.uses_oauth

    # ------------------------------------------------------------------ listeners

    async def _drop_redeliveries(
        self, body: dict[str, Any], next_: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """Slack redelivers an event it thinks we missed (X-Slack-Retry-Num): handle it once."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self.deliveries.first(
            f"slack:event:{event_id}", self.app.clock.now(), REDELIVERY_TTL
        ):
            log.info("event %s delivered again: ignored", event_id)
            return BoltResponse(status=200, body="")
        return await next_()

    async def _on_command(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient
    ) -> None:
        # Everything done for the request, after the ack too, logs its id (tasks copy it).
        with request_context(request_id(command)):
            await self._command(ack, command, client)

    async def _command(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient
    ) -> None:
        line = self.routing.command_line(command.get("command", ""), command.get("text", ""))
        if line is None:
            await ack(self._unknown(command))
            return
        invocation = slash_invocation(command, line)
        answer = self._spawn(self._answer(client, invocation))
        spec = self.routing.spec_for(line)
        if spec is None or not spec.slow:
            done, _ = await asyncio.wait({answer}, timeout=self.settings.ack_deadline)
            body = ack_body(answer.result()) if done else None
            if body is not None:
                await (ack(body) if body else ack())
                return
        if answer.done():  # ready, but too big for an ack: parts go to response_url
            await ack()
        else:
            await ack(self._working(invocation))
        self._spawn(self._respond_later(client, invocation, answer))

    async def _on_click(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()  # the ack of a click carries nothing: the answer goes to response_url
        with request_context(request_id(body)):
            if (body.get("view") or {}).get("type") == "home" and self.home is not None:
                self._spawn(self._home_click(client, click(body, action)))
                return
            self._spawn(self._click(client, click(body, action)))

    async def _on_shortcut(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()  # as for a click, the answer goes to response_url
        with request_context(request_id(body)):
            self._spawn(self._shortcut(client, message_shortcut(body)))

    async def _on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if self.home is not None and event.get("tab") == "home" and event.get("user"):
            team = body.get("team_id") or ""
            self.home.opened(team, event["user"], body.get("enterprise_id") or None)

    async def _on_message(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        invocation = message_invocation(body, event)
        if invocation is not None and self.on_message is not None:
            with request_context(request_id(body)):
                self._spawn(self._message(client, invocation))

    # ------------------------------------------------------------------ work after the ack

    async def _answer(self, client: AsyncWebClient, invocation: Invocation) -> Reply | None:
        caller = await self._caller(client, invocation)
        reply = await self.app.dispatcher.handle_text(caller, invocation.place, invocation.text)
        self._touched(invocation)
        return reply

    async def _respond_later(
        self, client: AsyncWebClient, invocation: Invocation, answer: asyncio.Task[Reply | None]
    ) -> None:
        reply = await answer
        if reply is not None and self.responder is not None:
            await self.responder.respond(client, invocation, reply)

    async def _click(self, client: AsyncWebClient, clicked: Click) -> None:
        invocation = clicked.invocation
        caller = await self._caller(client, invocation)
        reply = await self.app.dispatcher.handle_action(
            caller, invocation.place, clicked.action_id, clicked.value
        )
        await self._interacted(client, invocation, reply, click=True)

    async def _shortcut(self, client: AsyncWebClient, used: MessageShortcut) -> None:
        caller = await self._caller(client, used.invocation)
        reply = await self.shortcuts.run(client, caller, used)
        await self._interacted(client, used.invocation, reply)

    async def _interacted(
        self,
        client: AsyncWebClient,
        invocation: Invocation,
        reply: Reply | None,
        *,
        click: bool = False,
    ) -> None:
        """After a click or a shortcut: the reply to the interaction's response_url."""
        self._touched(invocation)
        if reply is not None and self.responder is not None:
            await self.responder.respond(client, invocation, reply, click=click)

    async def _home_click(self, client: AsyncWebClient, clicked: Click) -> None:
        assert self.home is not None
        invocation = clicked.invocation
        caller = await self._caller(client, invocation)
        await self.home.click(caller, invocation.place, clicked.action_id, clicked.value)

    async def _caller(self, client: AsyncWebClient, invocation: Invocation) -> Caller:
        return await self.identity.caller(
            client,
            invocation.team_id,
            invocation.user_id,
            invocation.user_name,
            invocation.enterprise_id,
        )

    def _touched(self, invocation: Invocation) -> None:
        """The member did something: their Home, if they look at it, shows it."""
        if self.home is not None:
            self.home.refresh(invocation.team_id, invocation.user_id)

    async def _message(self, client: AsyncWebClient, invocation: Invocation) -> None:
        assert self.on_message is not None
        caller = await self.identity.caller(
            client, invocation.team_id, invocation.user_id, "", invocation.enterprise_id
        )
        reply = await self.on_message(caller, invocation.place, invocation.text)
        if reply is not None and self.responder is not None:
            await self.responder.post_in_thread(client, invocation, reply)

    def _working(self, invocation: Invocation) -> dict[str, Any]:
        t = translator(self.identity.cached_lang(invocation.team_id, invocation.user_id))
        return {"response_type": "ephemeral", "text": escape(t("slack.working"))}

    def _unknown(self, command: dict[str, Any]) -> dict[str, Any]:
        t = translator(
            self.identity.cached_lang(command.get("team_id", ""), command.get("user_id", ""))
        )
        help_command = f"{self.routing.umbrella} help"
        if self.settings.commands == "groups" and "help" in self.routing.roots.values():
            help_command = next(name for name, root in self.routing.roots.items() if root == "help")
        text = t("slack.unknown_command", command=command.get("command", "?"), help=help_command)
        return {"response_type": "ephemeral", "text": escape(text)}

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("Slack work failed after the ack", exc_info=exc)
