"""The Discord adapter: a discord.py client whose slash commands and buttons lead to the core.

`start()` logs in, connects the gateway in a background task, waits until ready and registers
the Sender; `stop()` closes it all. The client is an `AutoShardedClient`: it connects the
shards `discord.shard_ids` of `discord.shard_count` (several processes split them), else
every shard Discord recommends. Discord sends a server's events to its shard only; what a
process does for any server (sending, scheduled events, memberships) goes through the REST
API, which every shard may use. Slash commands are generated from the registry
(`adapters.discord.commands`), and message actions become entries of a message's menu
(`adapters.discord.message_actions`); both are pushed to Discord only by `fedbot discord
sync` (or `discord.sync_on_start`): syncing on every start would hit Discord's command rate
limits and is pointless when nothing changed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.buttons import ActionButton
from adapters.discord.channel_messages import answer_channel_message
from adapters.discord.checks import missing_permissions
from adapters.discord.commands import SpecTranslator, build_commands
from adapters.discord.inbound import PLATFORM
from adapters.discord.membership import DmMembership
from adapters.discord.message_actions import action_options, build_message_actions
from adapters.discord.pacing import discord_buckets
from adapters.discord.render import NO_MENTIONS
from adapters.discord.responder import Responder
from adapters.discord.scheduled import DiscordCalendar, InterestListener
from adapters.discord.sender import DiscordSender
from bot.errors import ConfigError
from bot.metrics import Metrics
from bot.platform_settings import DiscordSettings
from bot.spec import CommandSpec

if TYPE_CHECKING:
    from bot.app import BotApp

log = logging.getLogger(__name__)

AUTOCOMPLETE_DEADLINE = 2.5  # seconds; Discord drops suggestions that come later than 3 s
STOP_TIMEOUT = 5.0
# The gateway's close code for a shard holding too many servers (discord.py gives up on it;
# an invalid shard id, 4010, is refused by the config before Discord sees it).
SHARD_REFUSALS = {
    4011: "discord: Discord requires more shards (close code 4011): set discord.shard_count "
    "(or --shard-count) to at least what `fedbot doctor` says Discord recommends",
}


def gateway_intents(settings: DiscordSettings) -> discord.Intents:
    """The one place that decides what the gateway sends us.

    `guilds`: GUILD_CREATE fills the cache of roles (to turn a member's role ids into the
    role names config may grant) and channels. Interactions need no intent. Never
    GUILD_MEMBERS (interactions carry the member). `message_content` (the FAQ's passive mode)
    adds guild messages and the privileged MESSAGE_CONTENT intent, which must also be switched
    on in the developer portal, or Discord refuses the connection. `scheduled_events` (events
    mirrored in the Events tab) adds GUILD_SCHEDULED_EVENTS: who is interested, and mirrors
    deleted by hand.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    if settings.message_content:
        intents.guild_messages = True
        intents.message_content = True
    if settings.scheduled_events:
        intents.guild_scheduled_events = True
    return intents


def point_at(settings: DiscordSettings) -> Callable[[], None]:
    """Aim discord.py at `api_base_url` / `gateway_url`; returns a function that undoes it.

    discord.py has no per-client endpoint: `Route.BASE` is a class attribute read whenever a
    request is built, and `Client.connect` dials the class attribute
    `DiscordWebSocket.DEFAULT_GATEWAY`. So this is process-wide, which is fine for the one
    Discord bot a process runs (and lets tests aim it at a local fake Discord).
    """
    default_api = DiscordSettings().api_base_url
    if settings.api_base_url.rstrip("/") != default_api and not settings.gateway_url:
        # Never talk to a custom API and the real gateway at the same time.
        raise ConfigError("config: discord.gateway_url: required when api_base_url is changed")
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = settings.api_base_url.rstrip("/")
    if settings.gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)

    def restore() -> None:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway

    return restore


@dataclass(frozen=True)
class Synced:
    """What `fedbot discord sync` pushed: `scope` is "global" or a guild id."""

    scope: str
    commands: tuple[str, ...]


class FedbotTree(app_commands.CommandTree):
    def __init__(self, client: discord.Client, responder: Responder) -> None:
        super().__init__(client)
        self.responder = responder

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            # Discord shows commands that this code no longer declares (or differently).
            log.warning("outdated Discord commands (%s): run `fedbot discord sync`", error)
            await self.responder.fail(interaction, "discord.outdated_commands")
            return
        await self.responder.fail_internal(interaction, error)


def rate_limit_trace(metrics: Metrics) -> aiohttp.TraceConfig:
    """Counts Discord's 429 answers: discord.py waits them out and retries by itself, so the
    adapter never sees them; its HTTP session's trace does."""
    trace = aiohttp.TraceConfig()

    async def on_request_end(
        session: aiohttp.ClientSession, context: object, params: aiohttp.TraceRequestEndParams
    ) -> None:
        if params.response.status == 429:
            metrics.throttled_by_platform(PLATFORM)

    trace.on_request_end.append(on_request_end)
    return trace


class FedbotClient(discord.AutoShardedClient):
    def __init__(self, adapter: DiscordAdapter) -> None:
        settings = adapter.settings
        super().__init__(
            shard_ids=list(settings.shard_ids) or None,
            shard_count=settings.shard_count,
            intents=gateway_intents(settings),
            allowed_mentions=NO_MENTIONS,  # the default for every send; render passes it too
            max_ratelimit_timeout=settings.max_ratelimit_wait,
            guild_ready_timeout=settings.guild_ready_timeout,
            http_trace=rate_limit_trace(adapter.app.metrics),
        )
        self.adapter = adapter
        self.tree = FedbotTree(self, adapter.responder)
        lang = adapter.app.config.bot.default_locale
        registry = adapter.app.services.registry
        for command in build_commands(registry, adapter, lang):
            self.tree.add_command(command)
        for menu in build_message_actions(registry, adapter):
            self.tree.add_command(menu)

    async def setup_hook(self) -> None:
        await self.tree.set_translator(SpecTranslator())
        # Buttons of any message, even one sent before a restart, route to `on_action`.
        self.add_dynamic_items(ActionButton)
        if self.adapter.interest is not None:
            self.adapter.interest.install()

    async def on_action(self, interaction: discord.Interaction, action: str, value: str) -> None:
        await self.adapter.responder.click(interaction, action, value)

    async def on_message(self, message: discord.Message) -> None:
        lang = self.adapter.app.config.bot.default_locale
        await answer_channel_message(self.adapter.app.dispatcher, message, lang)

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("Discord: shard %d of %s ready", shard_id, self.shard_count)

    async def on_ready(self) -> None:
        log.info("Discord: connected as %s to %d guild(s)", self.user, len(self.guilds))
        for guild in list(self.guilds):
            await self.adapter.admit(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.adapter.admit(guild)

    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        if str(event.guild_id) in self.adapter.settings.scheduled_events:
            await self.adapter.app.calendars.deleted(PLATFORM, str(event.guild_id), str(event.id))


class DiscordAdapter:
    name = PLATFORM

    def __init__(self, app: BotApp) -> None:
        self.app = app
        self.settings = app.config.discord
        self.membership = DmMembership()
        self.responder = Responder(app.dispatcher, self.settings.ack_deadline, self._homes)
        self.client: FedbotClient | None = None
        self.interest: InterestListener | None = None
        self._connection: asyncio.Task[None] | None = None
        self._restore: Callable[[], None] | None = None

    # -- lifecycle

    async def start(self) -> None:
        client = await self.login()
        self._connection = asyncio.create_task(client.connect(), name="discord-gateway")
        self._connection.add_done_callback(_report_gateway_end)
        ready = asyncio.ensure_future(client.wait_until_ready())
        try:
            await asyncio.wait(
                {ready, self._connection},
                timeout=self.settings.ready_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        except asyncio.CancelledError:  # a stop while connecting: `stop()` closes the rest
            ready.cancel()
            raise
        if not ready.done():
            ready.cancel()
            connection = self._connection
            failed = connection.done() and not connection.cancelled() and connection.exception()
            await self.stop()
            if isinstance(failed, discord.ConnectionClosed) and failed.code in SHARD_REFUSALS:
                raise ConfigError(SHARD_REFUSALS[failed.code]) from failed
            raise failed or TimeoutError(f"Discord not ready in {self.settings.ready_timeout}s")
        if self.settings.sync_on_start:
            await self.sync()
        self.app.outbound.register(DiscordSender(client, discord_buckets(self.settings)))
        if self.settings.scheduled_events:
            for line in await missing_permissions(self.settings, client):
                log.warning("%s", line)  # the Events tab stays empty there until fixed
            self.app.calendars.register(DiscordCalendar(client, self.settings))
        roles = functools.partial(self.membership.roles, client)
        self.app.services.directory.register(PLATFORM, roles)

    async def ready(self) -> bool:
        """Logged in and every shard of this process connected now (discord.py reconnects by
        itself)."""
        client = self.client
        if client is None or not client.is_ready() or client.is_closed():
            return False
        shards = client.shards.values()
        return bool(shards) and not any(shard.is_closed() for shard in shards)

    async def stop(self) -> None:
        self.app.outbound.unregister(PLATFORM)
        self.app.calendars.unregister(PLATFORM)
        self.app.services.directory.unregister(PLATFORM)
        if self.interest is not None:
            await self.interest.stop()
        if self.client is not None:
            await self.client.close()
        if self._connection is not None:
            done, _ = await asyncio.wait({self._connection}, timeout=STOP_TIMEOUT)
            if not done:
                self._connection.cancel()
                await asyncio.wait({self._connection})
        if self._restore is not None:
            self._restore()
        self.client, self._connection, self._restore = None, None, None
        self.interest = None

    async def login(self) -> FedbotClient:
        token = self.app.config.secrets.discord_token
        if not token:
            raise ConfigError("DISCORD_TOKEN is not set")
        self._restore = point_at(self.settings)
        self.client = FedbotClient(self)
        if self.settings.scheduled_events:
            guilds = frozenset(self.settings.scheduled_events)
            self.interest = InterestListener(self.client, guilds, self.app.calendars.interest)
        try:
            await self.client.login(token)
        except discord.LoginFailure as exc:
            await self.stop()
            raise ConfigError("DISCORD_TOKEN: refused by Discord") from exc
        except BaseException:
            await self.stop()
            raise
        return self.client

    # -- commands

    async def sync(
        self, guild_ids: Sequence[str] | None = None, *, clear: bool = False
    ) -> list[Synced]:
        """Push the command tree to each guild (default: `discord.guild_ids`), else globally.
        `clear` pushes an empty tree instead: how commands leave a scope no longer used."""
        if self.client is None:
            raise RuntimeError("log in before syncing")
        targets = list(self.settings.guild_ids if guild_ids is None else guild_ids)
        scopes = [discord.Object(_guild_id(g)) for g in targets] or [None]
        results = []
        for guild in scopes:
            results.append(await self._sync_scope(guild, clear))
        return results

    async def _sync_scope(self, guild: discord.Object | None, clear: bool) -> Synced:
        assert self.client is not None
        tree = self.client.tree
        if clear:
            tree.clear_commands(guild=guild)
        elif guild is not None:
            tree.copy_global_to(guild=guild)
        try:
            pushed = await tree.sync(guild=guild)
        except discord.Forbidden as exc:
            where = f"guild {guild.id}" if guild else "global commands"
            raise ConfigError(
                f"discord sync: {where}: refused by Discord (is the bot in that guild, "
                "invited with the applications.commands scope?)"
            ) from exc
        return Synced(str(guild.id) if guild else "global", tuple(c.name for c in pushed))

    async def run_command(
        self, interaction: discord.Interaction, spec: CommandSpec, options: dict[str, Any]
    ) -> None:
        await self.responder.command(interaction, spec, options)

    async def run_message_action(
        self, interaction: discord.Interaction, spec: CommandSpec, message: discord.Message
    ) -> None:
        gather = functools.partial(action_options, spec, interaction, message)
        await self.responder.gathered(interaction, spec, gather)

    async def admit(self, guild: discord.Guild) -> None:
        """A server outside the federation is left at once (and recorded as pending, so an
        admin can approve it and invite the bot again)."""
        admission = await self.app.services.federation.ask_to_join(
            PLATFORM, str(guild.id), guild.name, self.app.clock.now()
        )
        if admission.admitted:
            return
        log.warning("leaving Discord server %s (%s): not in the federation", guild.id, guild.name)
        try:
            await guild.leave()
        except discord.HTTPException as exc:
            log.error("could not leave Discord server %s: %s", guild.id, exc)

    async def _homes(self, user_id: int) -> frozenset[str]:
        if self.client is None:
            return frozenset()
        return await self.membership.homes(self.client, user_id)

    def completes(self, source: str) -> bool:
        return source in self.app.completer

    async def complete(
        self, interaction: discord.Interaction, source: str, current: str
    ) -> list[tuple[str, str]]:
        caller = await self.responder.caller(interaction)
        work = self.app.dispatcher.complete(caller, source, current)
        try:
            return await asyncio.wait_for(work, AUTOCOMPLETE_DEADLINE)
        except TimeoutError:
            log.warning("autocomplete %s too slow for %r", source, current[:40])
            return []


def _report_gateway_end(task: asyncio.Task[None]) -> None:
    """discord.py reconnects by itself; it gives up only on fatal errors (bad token, an intent
    not enabled in the developer portal): those must be seen in the logs."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("Discord gateway stopped: %r", error)


def _guild_id(text: str) -> int:
    if not text.isdigit():
        raise ConfigError(f"config: discord.guild_ids: not a guild id: {text!r}")
    return int(text)


async def sync_commands(
    app: BotApp, guild_ids: Sequence[str] | None = None, *, clear: bool = False
) -> list[Synced]:
    """`fedbot discord sync`: log in over HTTP only (no gateway), push the tree, log out.

    `guild_ids` None means the configured guilds (global when there are none); an empty
    list forces a global sync.
    """
    adapter = DiscordAdapter(app)
    try:
        await adapter.login()
    except discord.LoginFailure as exc:
        raise ConfigError("DISCORD_TOKEN: refused by Discord") from exc
    try:
        return await adapter.sync(guild_ids, clear=clear)
    finally:
        await adapter.stop()
