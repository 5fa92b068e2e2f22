"""The Slack app manifest, generated from the command specs (`fedbot slack manifest`).

Manifest and code cannot drift: the slash commands come from the registry through the same
`CommandRouting` the adapter answers with, the message shortcuts from the same message actions
it listens for (`adapters.slack.shortcuts`), the scopes from the same list the OAuth install
asks for. Paste the output at https://api.slack.com/apps -> Create New App -> From a manifest.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import yaml

from adapters.slack.inbound import CommandRouting, root_words
from bot.config import Config
from bot.i18n import translator
from bot.platform_settings import SlackSettings
from bot.registry import Registry

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
PLACEHOLDER_URL = "https://fedbot.example.org"

BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",  # post to registered channels the bot was not invited to
    "users:read",  # display name and locale
    "usergroups:read",  # roles granted to user groups
    "im:write",  # reminders by direct message
    "files:write",  # attachments (calendar files…)
    # After a crash, a send in doubt looks for its own message (by metadata) before posting.
    "channels:history",
    "groups:history",
    "im:history",
)
MESSAGE_EVENTS = ("message.channels", "message.groups")
# Need no scope; they let the installation store forget a workspace's token.
INSTALL_EVENTS = ("app_uninstalled", "tokens_revoked")
# A member opened the app's Home tab (needs no scope): the adapter publishes it.
HOME_EVENT = "app_home_opened"
MAX_DESCRIPTION = 100
MAX_USAGE_HINT = 100
# Message shortcuts: Slack refuses a name over 24 characters (its manifest reference does not
# say so, but an app is rejected for it), a description over 150, and more than 5 per app.
MAX_SHORTCUT_NAME = 24
MAX_SHORTCUT_DESCRIPTION = 150
MAX_MESSAGE_SHORTCUTS = 5


def bot_scopes(settings: SlackSettings) -> list[str]:
    return list(BOT_SCOPES)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _command_help(registry: Registry, root: str, lang: str) -> tuple[str, str]:
    """Description and usage hint of the slash command for one root word."""
    group = registry.groups.get(root)
    if group is not None:
        subs = [s.path[1] for s in registry.group_commands(root) if not s.hidden]
        return group.description.get(lang), " | ".join(subs)
    spec = registry.commands[(root,)]
    return spec.description.get(lang), spec.usage(lang).partition(" ")[2]


def slash_commands(registry: Registry, config: Config) -> list[dict[str, Any]]:
    settings = config.slack
    lang = config.bot.default_locale
    routing = CommandRouting(settings, registry)
    entries: list[tuple[str, str, str]] = []
    if settings.commands == "umbrella":
        t = translator(lang)
        roots = " | ".join(root_words(registry))
        entries.append((routing.umbrella, t("slack.manifest.umbrella_description"), roots))
    else:
        for name, root in routing.roots.items():
            entries.append((name, *_command_help(registry, root, lang)))
    commands = []
    for name, description, usage in entries:
        command: dict[str, Any] = {
            "command": name,
            "description": _short(description, MAX_DESCRIPTION),
            # escaped: @someone and #channel arrive as <@U…> and <#C…>, which the core reads
            "should_escape": True,
        }
        if usage:
            command["usage_hint"] = _short(usage, MAX_USAGE_HINT)
        if settings.mode == "http":
            command["url"] = _base_url(config) + EVENTS_PATH
        commands.append(command)
    return commands


def message_shortcuts(registry: Registry, config: Config) -> list[dict[str, Any]]:
    """One message shortcut per message action, in the language of the slash commands."""
    lang = config.bot.default_locale
    specs = registry.message_actions()
    if len(specs) > MAX_MESSAGE_SHORTCUTS:
        dropped = ", ".join(s.action_id for s in specs[MAX_MESSAGE_SHORTCUTS:])
        log.warning("Slack takes %d message shortcuts: left out %s", MAX_MESSAGE_SHORTCUTS, dropped)
    return [
        {
            "name": _short(spec.message_action.label.get(lang), MAX_SHORTCUT_NAME),
            "type": "message",
            "callback_id": spec.action_id,
            "description": _short(spec.description.get(lang), MAX_SHORTCUT_DESCRIPTION),
        }
        for spec in specs[:MAX_MESSAGE_SHORTCUTS]
        if spec.message_action is not None
    ]


def _base_url(config: Config) -> str:
    return config.http.public_url.rstrip("/") or PLACEHOLDER_URL


def build_manifest(registry: Registry, config: Config) -> dict[str, Any]:
    settings = config.slack
    t = translator(config.bot.default_locale)
    http = settings.mode == "http"
    events = [
        *INSTALL_EVENTS,
        *(MESSAGE_EVENTS if settings.message_events else ()),
        *((HOME_EVENT,) if settings.home_tab else ()),
    ]
    oauth: dict[str, Any] = {"scopes": {"bot": bot_scopes(settings)}}
    if config.http.public_url:
        oauth["redirect_urls"] = [_base_url(config) + REDIRECT_PATH]
    subscriptions: dict[str, Any] = {"bot_events": sorted(events)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if http:
        subscriptions["request_url"] = interactivity["request_url"] = (
            _base_url(config) + EVENTS_PATH
        )
    features: dict[str, Any] = {
        "app_home": {
            "home_tab_enabled": settings.home_tab,
            "messages_tab_enabled": True,  # reminders and replies arrive there
            "messages_tab_read_only_enabled": False,
        },
        "bot_user": {"display_name": "fedbot", "always_online": True},
        "slash_commands": slash_commands(registry, config),
    }
    if shortcuts := message_shortcuts(registry, config):
        features["shortcuts"] = shortcuts
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "fedbot",
            "description": t("slack.manifest.description"),
            "background_color": "#1d4f91",
        },
        "features": features,
        "oauth_config": oauth,
        "settings": {
            "event_subscriptions": subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": not http,
            "token_rotation_enabled": config.slack.token_rotation,
        },
    }


def manifest_text(config: Config, registry: Registry, fmt: str = "json") -> str:
    manifest = build_manifest(registry, config)
    if fmt == "yaml":
        return yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False)
    return json.dumps(manifest, ensure_ascii=False, indent=2)
