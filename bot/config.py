"""Configuration: a TOML file mapped onto frozen dataclasses (`bot.settings`), secrets from the
environment.

Every key is checked against the dataclass that holds it: an unknown key or a wrong type stops
the bot with a message naming the key (`config: throttle.burst: expected an integer`). Secrets
are never read from the file; `Secrets.__repr__` hides them so they cannot leak through logs.
"""

from __future__ import annotations

import os
import tomllib
import types
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.grants import Grant, GrantError, parse_grant
from bot.identity import ChannelRef
from bot.platform_settings import DiscordSettings, SlackSettings
from bot.secret_box import SecretBox, SecretKeyError
from bot.settings import (
    AgencySeed,
    AnnounceSettings,
    BotSettings,
    ClusterSettings,
    DashboardSettings,
    DigestSettings,
    EventSettings,
    FaqSettings,
    FederationSettings,
    HttpSettings,
    MatchSettings,
    PrivacySettings,
    RoleSettings,
    Secrets,
    ThrottleSettings,
    database_url,
    default_database_url,
)


@dataclass(frozen=True)
class Config:
    bot: BotSettings = field(default_factory=BotSettings)
    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    federation: FederationSettings = field(default_factory=FederationSettings)
    roles: RoleSettings = field(default_factory=RoleSettings)
    agencies: tuple[AgencySeed, ...] = ()
    slack: SlackSettings = field(default_factory=SlackSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    announce: AnnounceSettings = field(default_factory=AnnounceSettings)
    events: EventSettings = field(default_factory=EventSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    match: MatchSettings = field(default_factory=MatchSettings)
    faq: FaqSettings = field(default_factory=FaqSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    secrets: Secrets = field(default_factory=Secrets)


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read `path` (or $FEDBOT_CONFIG, or ./fedbot.toml when present); defaults otherwise."""
    env = os.environ if env is None else env
    if path is None and env.get("FEDBOT_CONFIG"):
        path = Path(env["FEDBOT_CONFIG"])
    if path is None and Path("fedbot.toml").is_file():
        path = Path("fedbot.toml")
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config: file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config: {path}: {exc}") from None
    return parse_config(raw, env)


def parse_config(raw: Mapping[str, Any], env: Mapping[str, str]) -> Config:
    if "secrets" in raw:
        raise ConfigError("config: secrets: secrets come from environment variables only")
    _refuse_old_roles(raw.get("roles"))
    _refuse_moved_rates(raw.get("announce"))
    config: Config = _build(Config, {k: v for k, v in raw.items()}, "")
    bot = config.bot
    typed = env.get("FEDBOT_DATABASE_URL") or bot.database_url
    url = database_url(typed) if typed else default_database_url(env)
    _validate(config)
    secrets = Secrets.from_env(env)
    try:
        SecretBox(secrets.secret_key)
    except SecretKeyError as exc:
        raise ConfigError(f"config: {exc}") from None
    return replace(config, bot=replace(bot, database_url=url), secrets=secrets)


def _validate(config: Config) -> None:
    try:
        ZoneInfo(config.bot.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"config: bot.timezone: unknown time zone {config.bot.timezone!r}"
        ) from None
    throttle = config.throttle
    for name in ("burst", "rate_per_minute", "completion_burst", "completion_rate_per_minute"):
        if getattr(throttle, name) < 1:
            raise ConfigError(f"config: throttle.{name}: must be at least 1")
    for role in ("admin", "staff", "faq_editor"):
        for ident in getattr(config.roles, role):
            _check_grant(config, f"roles.{role}", ident)
    for i, agency in enumerate(config.agencies):
        for channel in agency.channels:
            try:
                ChannelRef.parse(channel)
            except ValueError as exc:
                raise ConfigError(f"config: agencies[{i}].channels: {exc}") from None
        for ident in agency.moderators:
            _check_grant(config, f"agencies[{i}].moderators", ident)
    for guild in config.discord.scheduled_events:
        if guild not in config.federation.discord_guilds:
            raise ConfigError(
                f"config: discord.scheduled_events: server {guild} is not in "
                "federation.discord_guilds; list it there first"
            )


def _refuse_old_roles(roles: Any) -> None:
    """Before the trust boundary, moderators were global and groups were granted by name:
    say what replaced each key rather than "unknown key"."""
    if not isinstance(roles, Mapping):
        return
    if "moderator" in roles:
        raise ConfigError(
            "config: roles.moderator: moderators moderate agencies: list their grants on the "
            'agency, [[agencies]] moderators = ["slack:T0123ABCD:S0789IJKL"]'
        )
    if "groups" in roles:
        raise ConfigError(
            "config: roles.groups: grants name group ids directly in roles.staff/admin/"
            "faq_editor (slack:<team id>:S…, discord:<server id>:<role id>); names and "
            "wildcard workspaces are refused; `fedbot slack groups` and `fedbot discord "
            "roles` list the ids"
        )


_MOVED_RATES = {
    "slack_channel_rate": "slack.channel_rate",
    "slack_workspace_rate": "slack.workspace_rate",
    "slack_workspace_burst": "slack.workspace_burst",
    "slack_update_rate": "slack.update_rate",
    "discord_rate": "discord.rate",
}


def _refuse_moved_rates(announce: Any) -> None:
    """The platforms' rate limits moved to their adapters' sections: say where."""
    if isinstance(announce, Mapping):
        for key, new in _MOVED_RATES.items():
            if key in announce:
                raise ConfigError(f"config: announce.{key}: moved to {new}")


def _check_grant(config: Config, key: str, text: str) -> Grant:
    """A grant by id, for a workspace of the federation (else it could never apply, or
    would apply to a stranger's workspace)."""
    try:
        grant = parse_grant(text)
    except GrantError as exc:
        raise ConfigError(f"config: {key}: {exc}") from None
    federation = config.federation
    listed = {
        "slack": (*federation.slack_teams, *federation.slack_enterprises),
        "discord": federation.discord_guilds,
    }[grant.platform]
    if grant.workspace != "*" and grant.workspace not in listed:
        list_key = "slack_teams" if grant.platform == "slack" else "discord_guilds"
        raise ConfigError(
            f"config: {key}: {text!r}: workspace {grant.workspace} is not in "
            f"federation.{list_key}; list it there first"
        )
    return grant


def _build(cls: type, raw: Any, key: str) -> Any:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"config: {key or '(root)'}: expected a table")
    hints = get_type_hints(cls)
    names = {f.name for f in fields(cls) if f.name != "secrets"}
    unknown = set(raw) - names
    if unknown:
        where = f"{key}." if key else ""
        raise ConfigError(f"config: {where}{sorted(unknown)[0]}: unknown key")
    kwargs = {}
    for f in fields(cls):
        if f.name not in raw:
            if f.default is MISSING and f.default_factory is MISSING:
                raise ConfigError(f"config: {key}.{f.name}: missing required key")
            continue
        kwargs[f.name] = _coerce(hints[f.name], raw[f.name], f"{key}.{f.name}".lstrip("."))
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, key: str) -> Any:  # noqa: C901 - a flat type switch
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _coerce(next(a for a in args if a is not type(None)), value, key)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"config: {key}: expected one of {list(args)}, got {value!r}")
        return value
    if is_dataclass(hint):
        return _build(hint, value, key)  # type: ignore[arg-type]
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"config: {key}: expected a list")
        return tuple(_coerce(args[0], v, f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict):
        if not isinstance(value, Mapping):
            raise ConfigError(f"config: {key}: expected a table")
        return {k: _coerce(args[1], v, f"{key}.{k}") for k, v in value.items()}
    expected = {str: "a string", int: "an integer", bool: "true or false", float: "a number"}
    ok = isinstance(value, hint) and not (hint is int and isinstance(value, bool))
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise ConfigError(f"config: {key}: expected {expected.get(hint, hint)}, got {value!r}")
    return value
