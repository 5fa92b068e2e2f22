"""Slack payloads -> core invocations (pure functions).

Slack commands are flat text. Which slash commands exist is configurable:

- `commands = "groups"`: one slash command per root word of the registry, with an optional
  prefix: `/agency list`, `/help`, or with `command_prefix = "fb-"`: `/fb-agency list`;
- `commands = "umbrella"`: a single command, `/fedbot agency list`.

The umbrella command is accepted in both styles, so an app whose manifest is older than its
config still answers. The text after the command is the core's own grammar (`bot.textargs`):
`/event create title:"Nuit du net" start:"2026-12-04 18:00"`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack.render import action_id
from bot.errors import ConfigError
from bot.identity import ChannelRef, Place
from bot.platform_settings import SlackSettings
from bot.registry import Registry
from bot.spec import CommandSpec
from bot.textargs import split_path

PLATFORM = "slack"
_SLASH_NAME = re.compile(r"^/[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who asked what, where, and where to answer (`response_url`, when Slack gave one)."""

    team_id: str
    user_id: str
    user_name: str
    place: Place
    text: str
    response_url: str | None = None
    enterprise_id: str | None = None  # the Enterprise Grid org of the workspace, if any


@dataclass(frozen=True, slots=True)
class Click:
    """A button click: the core action id and its url-encoded arguments."""

    invocation: Invocation
    action_id: str
    value: str
    message_ts: str | None


@dataclass(frozen=True, slots=True)
class MessageShortcut:
    """A message shortcut used on a message: the core action id, the message's text (in
    `invocation.text`) and the thread it answers in (its first message's ts), if any."""

    invocation: Invocation
    action_id: str
    thread_ts: str | None


def unescape(text: str) -> str:
    """Slack sends `&`, `<` and `>` typed by users as entities; the core wants the text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class CommandRouting:
    """Slash command names <-> the root words of the registry."""

    def __init__(self, settings: SlackSettings, registry: Registry) -> None:
        self.registry = registry
        self.style = settings.commands
        self.umbrella = f"/{settings.umbrella_command}"
        self.roots: dict[str, str] = {}
        if self.style == "groups":
            self.roots = {
                f"/{settings.command_prefix}{root}": root for root in root_words(registry)
            }
        for name in (self.umbrella, *self.roots):
            if not _SLASH_NAME.match(name):
                raise ConfigError(
                    f"config: slack: {name!r} is not a valid Slack command "
                    "(lowercase letters, digits, - and _, at most 32 characters)"
                )

    @property
    def registered(self) -> list[str]:
        """The slash commands the manifest declares, in registry order."""
        return list(self.roots) if self.style == "groups" else [self.umbrella]

    def command_line(self, command: str, text: str) -> str | None:
        """The core command line for a slash command, or None when it is not ours."""
        text = unescape(text).strip()
        if command == self.umbrella:
            return text or "help"
        root = self.roots.get(command)
        if root is None:
            return None
        return f"{root} {text}".strip()

    def spec_for(self, line: str) -> CommandSpec | None:
        words, _, _ = split_path(line)
        spec, _ = self.registry.resolve(words)
        return spec


def root_words(registry: Registry) -> list[str]:
    """Groups with a visible subcommand and visible root commands, in declaration order."""
    roots: list[str] = []
    for path, spec in registry.commands.items():
        if spec.hidden or path[0] in roots:
            continue
        roots.append(path[0])
    return roots


def _place(team_id: str, channel_id: str, thread: str | None, message: str | None) -> Place:
    return Place(ChannelRef(PLATFORM, team_id, channel_id), thread, message)


def slash_invocation(payload: Mapping[str, Any], line: str) -> Invocation:
    team_id = payload.get("team_id") or ""
    return Invocation(
        team_id=team_id,
        user_id=payload.get("user_id") or "",
        user_name=payload.get("user_name") or "",
        place=_place(team_id, payload.get("channel_id") or "", None, None),
        text=line,
        response_url=payload.get("response_url"),
        enterprise_id=payload.get("enterprise_id") or None,
    )


def _interaction(
    body: Mapping[str, Any], channel_id: str, thread: str | None, ts: str | None, text: str = ""
) -> Invocation:
    """Who acted, where, in an interaction payload (a click, a shortcut): the same fields in
    both, the same identity and workspace."""
    user = body.get("user") or {}
    team_id = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    return Invocation(
        team_id=team_id,
        user_id=user.get("id") or "",
        user_name=user.get("username") or user.get("name") or "",
        place=_place(team_id, channel_id, thread, ts),
        text=text,
        response_url=body.get("response_url"),
        enterprise_id=(body.get("enterprise") or {}).get("id") or None,
    )


def click(body: Mapping[str, Any], action: Mapping[str, Any]) -> Click:
    """A `block_actions` payload (one action) as a core click."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel_id = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    message_ts = container.get("message_ts") or message.get("ts")
    invocation = _interaction(body, channel_id, message.get("thread_ts"), message_ts)
    return Click(
        invocation, action_id(action.get("action_id") or ""), action.get("value") or "", message_ts
    )


def message_shortcut(body: Mapping[str, Any]) -> MessageShortcut:
    """A `message_action` payload (a message shortcut) as a core message action."""
    message = body.get("message") or {}
    ts = message.get("ts") or body.get("message_ts")
    thread = message.get("thread_ts")
    channel_id = (body.get("channel") or {}).get("id") or ""
    text = unescape(message.get("text") or "")
    invocation = _interaction(body, channel_id, thread, ts, text)
    # A thread's first message carries its own ts as thread_ts: it answers none.
    answered = thread if thread and thread != ts else None
    return MessageShortcut(invocation, body.get("callback_id") or "", answered)


def message_invocation(body: Mapping[str, Any], event: Mapping[str, Any]) -> Invocation | None:
    """A plain message typed by a person in a channel; None for bots, edits and the like."""
    if event.get("bot_id") or event.get("subtype") or not event.get("user"):
        return None
    team_id = event.get("team") or body.get("team_id") or ""
    ts = event.get("ts")
    return Invocation(
        team_id=team_id,
        user_id=event["user"],
        user_name="",
        place=_place(team_id, event.get("channel") or "", event.get("thread_ts") or ts, ts),
        text=unescape(event.get("text") or ""),
        enterprise_id=body.get("enterprise_id") or None,
    )


def request_id(body: Mapping[str, Any]) -> str:
    """The id Slack gives a request (an event's, an interaction's trigger), else a new one:
    what the logs of everything done for it carry."""
    found = body.get("event_id") or body.get("trigger_id")
    return f"slack:{found}" if found else f"slack:{secrets.token_hex(6)}"
