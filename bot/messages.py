"""Platform-neutral replies: what to show, never how a platform shows it.

Renderers (console text, Slack Block Kit, Discord embeds) are pure functions over these values.
Every message has a plain-text fallback so that a platform which cannot show a part still says
something sensible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import parse_qsl, urlencode

ACTION_PREFIX = "fb"


class ButtonStyle(Enum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Button:
    """A button that, when clicked, invokes a (usually hidden) command with fixed options.

    Going through the dispatcher again means a click gets the same role check, validation and
    error handling as a typed command.
    """

    label: str
    action: str  # a CommandSpec.action_id, e.g. "event.rsvp"
    args: Mapping[str, str] = field(default_factory=dict)
    style: ButtonStyle = ButtonStyle.DEFAULT

    @property
    def value(self) -> str:
        return urlencode(sorted(self.args.items()))

    @property
    def custom_id(self) -> str:
        """One string holding action and args (Discord custom_id, at most 100 chars)."""
        return f"{ACTION_PREFIX}:{self.action}:{self.value}"


def parse_custom_id(custom_id: str) -> tuple[str, dict[str, str]] | None:
    """Inverse of `Button.custom_id`; None for ids that are not ours."""
    prefix, _, rest = custom_id.partition(":")
    if prefix != ACTION_PREFIX or not rest:
        return None
    action, _, value = rest.partition(":")
    return action, parse_action_value(value)


def parse_action_value(value: str) -> dict[str, str]:
    return dict(parse_qsl(value, keep_blank_values=True))


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Message:
    """A rich message. `text` is user-visible prose; renderers escape it for their platform."""

    text: str = ""
    title: str | None = None
    fields: tuple[Field, ...] = ()
    links: tuple[Link, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str | None = None
    attachments: tuple[Attachment, ...] = ()

    def plain_text(self) -> str:
        """The fallback used for notifications, console output and search."""
        lines: list[str] = []
        if self.title:
            lines.append(self.title)
        if self.text:
            lines.append(self.text)
        lines.extend(f"{f.name}: {f.value}" for f in self.fields)
        lines.extend(f"{link.label}: {link.url}" for link in self.links)
        if self.footer:
            lines.append(self.footer)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler returns. `ephemeral` replies are shown to the invoker only."""

    message: Message
    ephemeral: bool = True
    replace_original: bool = False
    is_error: bool = False

    @classmethod
    def text(cls, text: str, *, ephemeral: bool = True, title: str | None = None) -> Reply:
        return cls(Message(text=text, title=title), ephemeral=ephemeral)

    @classmethod
    def error(cls, text: str) -> Reply:
        return cls(Message(text=text), ephemeral=True, is_error=True)
