"""The `[slack]` and `[discord]` sections of the configuration file (the rest is in
`bot.settings`): what the adapters read, with their defaults and their own checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.errors import ConfigError
from bot.grants import SNOWFLAKE


@dataclass(frozen=True)
class SlackSettings:
    """Slack adapter. `ack_deadline`: seconds a command may run before the adapter acks with a
    "one moment" note and answers later through response_url (Slack's limit is 3 s, network
    included). Retries: 429 answers wait Retry-After (up to `max_retry_wait` s inline, else the
    caller gets a transient SendError), 5xx back off; `max_retries` per call."""

    mode: Literal["socket", "http"] = "socket"
    api_base_url: str = "https://slack.com/api/"
    commands: Literal["umbrella", "groups"] = "groups"
    command_prefix: str = ""
    umbrella_command: str = "fedbot"
    ack_deadline: float = 2.0
    max_retries: int = 3
    max_retry_wait: float = 120.0
    user_cache_seconds: int = 3600
    group_cache_seconds: int = 60
    message_events: bool = False
    # Pacing (per second): `chat.postMessage` allows about one message per second per channel
    # plus a workspace-wide budget Slack does not publish; `chat.update`/`chat.delete` are
    # tier 3 (50+ per minute per workspace).
    channel_rate: float = 1.0
    workspace_rate: float = 5.0
    workspace_burst: int = 1
    update_rate: float = 0.8
    # The app's "token rotation" setting (OAuth installs): tokens expire every 12 hours and
    # are renewed with their refresh token before they do. Goes into the manifest.
    token_rotation: bool = False
    # The app's Home tab (adapters/slack/home.py): published when a member opens it and after
    # changes that concern them, at most once per member every `home_debounce` seconds, and
    # `home_rate` publishes per second per workspace (`views.publish` is tier 4: 100+/min).
    home_tab: bool = True
    home_debounce: float = 3.0
    home_rate: float = 1.5

    def __post_init__(self) -> None:
        # Group memberships grant roles: a removal must take effect within a minute.
        if not 1 <= self.group_cache_seconds <= 60:
            raise ConfigError("config: slack.group_cache_seconds: must be between 1 and 60")
        if not 0 <= self.home_debounce <= 300:
            raise ConfigError("config: slack.home_debounce: must be between 0 and 300")
        for name in ("channel_rate", "workspace_rate", "update_rate", "home_rate"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"config: slack.{name}: must be positive")
        if self.workspace_burst < 1:
            raise ConfigError("config: slack.workspace_burst: must be at least 1")


@dataclass(frozen=True)
class DiscordSettings:
    """Discord adapter. `gateway_url` empty = Discord's own (must be set when `api_base_url`
    points elsewhere). `ack_deadline`: seconds a command may run before the adapter defers
    (Discord's limit is 3 s). A 429 is waited out by discord.py unless the wait exceeds
    `max_ratelimit_wait` s (at least 30): then the caller gets a transient SendError.
    `ready_timeout`: seconds `start()` waits for the gateway; `guild_ready_timeout`: how long
    discord.py waits for guild data after connecting."""

    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = ""
    guild_ids: tuple[str, ...] = ()
    sync_on_start: bool = False
    ack_deadline: float = 2.0
    max_ratelimit_wait: float = 60.0
    ready_timeout: float = 30.0
    guild_ready_timeout: float = 2.0
    # Receive channel messages (the FAQ's passive mode): asks for the privileged
    # MESSAGE_CONTENT intent, which must also be switched on in the developer portal.
    message_content: bool = False
    # Requests per second in all: Discord allows a bot 50; keep headroom for the rest of the
    # bot's traffic. Per-route buckets are paced by discord.py from the response headers.
    rate: float = 40.0
    # Requests that may go at once before `rate` applies (Discord counts 50 per second: a
    # burst below that uses the second's budget without going over it).
    burst: int = 10
    # Servers (guild ids, listed in federation.discord_guilds) whose announced events are
    # mirrored as Discord scheduled events (Events tab; needs Manage Events), for events
    # starting within `scheduled_events_days`; a mirror deleted by hand in Discord is
    # "unlink"ed (left alone) or "recreate"d.
    scheduled_events: tuple[str, ...] = ()
    scheduled_events_days: int = 60
    scheduled_events_deleted: Literal["unlink", "recreate"] = "unlink"
    # Sharding (several processes on one bot): this process connects the shards `shard_ids`
    # of `shard_count`; `fedbot run --shards/--shard-count` override them. Unset, one process
    # connects every shard (as many as Discord recommends).
    shard_ids: tuple[int, ...] = ()
    shard_count: int | None = None

    def __post_init__(self) -> None:
        if problem := shard_problem(self.shard_ids, self.shard_count):
            raise ConfigError(f"config: {problem}")
        if self.rate <= 0:
            raise ConfigError("config: discord.rate: must be positive")
        if not 1 <= self.burst <= 50:
            raise ConfigError("config: discord.burst: between 1 and 50")
        for guild in self.scheduled_events:
            if not SNOWFLAKE.match(guild):
                raise ConfigError(
                    f"config: discord.scheduled_events: {guild!r} is not a Discord server id"
                )
        if not 1 <= self.scheduled_events_days <= 365:
            raise ConfigError("config: discord.scheduled_events_days: must be between 1 and 365")


def shard_problem(shard_ids: tuple[int, ...], shard_count: int | None) -> str | None:
    """What is wrong with a shard plan, in English for the config file (the command line says
    it in the operator's language); None when the plan is valid."""
    if shard_count is not None and shard_count < 1:
        return f"discord.shard_count: must be 1 or more, got {shard_count}"
    if shard_ids and shard_count is None:
        return "discord.shard_ids: needs discord.shard_count, the total number of shards"
    for shard in shard_ids:
        if shard_count is not None and not 0 <= shard < shard_count:
            last = shard_count - 1
            return f"discord.shard_ids: no shard {shard} among {shard_count} (0 to {last})"
    if len(set(shard_ids)) != len(shard_ids):
        return "discord.shard_ids: a shard is listed twice"
    return None
