"""Declarative commands: a feature describes each command once, every adapter renders it.

A `CommandSpec` carries everything the core and the adapters need: its path, its typed options,
the minimum role, and its descriptions in French and English. Metadata lives here, never on
handler functions, so a spec can be inspected (help, Slack manifest, Discord tree) without
running anything.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.context import CommandContext
    from bot.messages import Reply

LANGS = ("fr", "en")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class Role(IntEnum):
    """What a command requires. Staff may do everything a moderator (of any agency) or a FAQ
    editor may, and an admin everything staff may; moderators and FAQ editors are separate
    rights (`bot.roles.Access.may`). The order is only used to name someone's highest role."""

    MEMBER = 0
    MODERATOR = 1
    FAQ_EDITOR = 2
    STAFF = 3
    ADMIN = 4

    @classmethod
    def parse(cls, name: str) -> Role:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {name!r}") from None

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class L10n:
    """A short text in both languages (descriptions, labels)."""

    fr: str
    en: str

    def __post_init__(self) -> None:
        if not self.fr.strip() or not self.en.strip():
            raise ValueError(f"L10n needs both languages: {self!r}")

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


class OptionType(Enum):
    TEXT = "text"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    CHOICE = "choice"
    USER = "user"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: L10n


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One typed option. `rest` options swallow the remaining free text of a text command."""

    name: str
    type: OptionType
    description: L10n
    required: bool = False
    fr_name: str | None = None
    choices: tuple[Choice, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    min_length: int = 1
    max_length: int = 500
    rest: bool = False
    autocomplete: str | None = None

    def __post_init__(self) -> None:
        for name in (self.name, self.fr_name):
            if name is not None and not _NAME.match(name):
                raise ValueError(f"bad option name {name!r}")
        if (self.type is OptionType.CHOICE) != bool(self.choices):
            raise ValueError(f"option {self.name}: choices go with type CHOICE only")
        if self.rest and self.type is not OptionType.TEXT:
            raise ValueError(f"option {self.name}: only a text option can take the rest")

    def display_name(self, lang: str) -> str:
        return self.fr_name if lang == "fr" and self.fr_name else self.name

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.name,) if self.fr_name is None else (self.name, self.fr_name)


Handler = Callable[["CommandContext"], Awaitable["Reply"]]


MESSAGE_ACTION_LABEL_MAX = 32  # Discord's limit on a context-menu name


@dataclass(frozen=True, slots=True)
class MessageAction:
    """A command also offered on a chat message, in the message's menu (a Slack message
    shortcut, a Discord message context menu). The adapter runs the command with two text
    options filled from the platform: `text_option` with the message's text, `parent_option`
    with the text of the message it answers (the thread's first message, or the message it
    replies to), "" when it answers none. The command's role, options and handler apply as
    for a typed command: the core checks rights and lengths, never the adapter."""

    label: L10n  # the menu entry
    text_option: str
    parent_option: str

    def __post_init__(self) -> None:
        if max(len(self.label.fr), len(self.label.en)) > MESSAGE_ACTION_LABEL_MAX:
            raise ValueError(f"message action label too long: {self.label!r}")


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A root word such as `faq` that groups subcommands (a Discord group, a Slack command)."""

    name: str
    description: L10n
    fr_name: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"bad group name {self.name!r}")


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command. `hidden` commands are the targets of buttons: callable, never listed."""

    path: tuple[str, ...]
    description: L10n
    handler: Handler
    options: tuple[OptionSpec, ...] = ()
    role: Role = Role.MEMBER
    slow: bool = False
    hidden: bool = False
    fr_name: str | None = None
    examples: tuple[str | L10n, ...] = ()
    # Options people may expect but the command refuses on purpose, with the message saying
    # why: `(("agency", "events.agency_fixed"),)` for an event's agency, which never changes.
    fixed: tuple[tuple[str, str], ...] = ()
    message_action: MessageAction | None = None  # also offered in a chat message's menu
    _by_alias: dict[str, OptionSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= len(self.path) <= 2 or not all(_NAME.match(p) for p in self.path):
            raise ValueError(f"bad command path {self.path!r}")
        seen_optional = False
        for opt in self.options:
            for alias in opt.aliases:
                if alias in self._by_alias:
                    raise ValueError(f"{self.name}: duplicate option {alias!r}")
                self._by_alias[alias] = opt
            if opt.required and seen_optional:
                raise ValueError(f"{self.name}: required options must come first")
            seen_optional |= not opt.required
        if self.message_action is not None:
            filled = (self.message_action.text_option, self.message_action.parent_option)
            texts = {o.name for o in self.options if o.type is OptionType.TEXT}
            if not set(filled) <= texts:
                raise ValueError(f"{self.name}: a message action fills text options {filled}")
        rests = [o for o in self.options if o.rest]
        if len(rests) > 1 or (rests and rests[0] is not self.options[-1]):
            raise ValueError(f"{self.name}: at most one rest option, and it comes last")

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def action_id(self) -> str:
        """Stable id used by buttons on every platform (`event.rsvp`)."""
        return ".".join(self.path)

    def option(self, alias: str) -> OptionSpec | None:
        return self._by_alias.get(alias)

    def fixed_reason(self, alias: str) -> str | None:
        """The message key explaining why `alias` is no option of this command, if any."""
        return dict(self.fixed).get(alias)

    def usage(self, lang: str, label: str | None = None) -> str:
        """`/event list [agency:<…>]`; `label` is the command's name in `lang`
        (`Registry.usage` gives it), option names are always in `lang`."""
        parts = [f"/{label or self.name}"]
        for opt in self.options:
            name = opt.display_name(lang)
            parts.append(f"{name}:<…>" if opt.required else f"[{name}:<…>]")
        return " ".join(parts)
