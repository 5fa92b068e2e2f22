"""Core replies -> Discord messages (content or embeds, buttons, files) within Discord's limits.

Pure functions: nothing here talks to Discord. A short plain reply becomes message content;
anything with a title, fields or a footer becomes embeds. Long content is split over several
embeds and, past 10 embeds or 6000 characters, several messages; buttons and files go on the
last one. User text never pings anyone: every send carries `allowed_mentions` none, and
`@everyone`, `@here` and `<@…>` are defused in the text as well (defence in depth).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import discord

from adapters.discord.buttons import ActionButton
from bot.messages import Attachment, Button, ButtonStyle, Field, Link, Message, Reply

log = logging.getLogger(__name__)

CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
MESSAGE_EMBED_CHARS_MAX = 6000  # all embeds of one message together
EMBEDS_PER_MESSAGE = 10
COMPONENTS_MAX = 25  # 5 rows of 5 buttons
LABEL_MAX = 80
CUSTOM_ID_MAX = 100
URL_MAX = 512
FILES_PER_MESSAGE = 10

COLOUR = discord.Colour(0x1F6FB2)
ERROR_COLOUR = discord.Colour(0xC0392B)
NO_MENTIONS = discord.AllowedMentions.none()
ZWSP = "\u200b"
ELLIPSIS = "…"

_STYLES = {
    ButtonStyle.DEFAULT: discord.ButtonStyle.secondary,
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
}
_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_MENTION = re.compile(r"<@([!&]?\d+)>")
_URL = re.compile(r"(https?://\S+)")
# Inline markdown: bold, italics, strikes, spoilers, code, masked links ([label](url)); an
# underscore only where it could open or close italics (not in snake_case words).
_INLINE_MARKUP = re.compile(r"([\\*~|`\[\]]|(?<!\w)_|_(?!\w))")
# Line markup: headings, quotes (> and >>>) and subtext (-#) at the start of a line.
_LINE_MARKUP = re.compile(r"^(#|>|-#)", re.MULTILINE)


def defuse(text: str) -> str:
    """`@everyone` -> `@\u200beveryone`, `<@&1>` -> `<@\u200b&1>`: shown as typed, never a ping."""
    text = _MASS_MENTION.sub(f"@{ZWSP}\\1", text)
    return _MENTION.sub(f"<@{ZWSP}\\1>", text)


def neutral(text: str) -> str:
    """Text for content and embeds: shown as typed. No mention, no formatting, no masked link
    (`[label](url)` could hide where a link goes), no heading or quote; bare URLs stay
    clickable. Text members wrote reaches others through it."""
    pieces = _URL.split(text)  # URLs (odd pieces) stay as typed, and clickable
    text = "".join(p if i % 2 else _INLINE_MARKUP.sub(r"\\\1", p) for i, p in enumerate(pieces))
    return defuse(_LINE_MARKUP.sub(r"\\\1", text))


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word when one ends in the second half."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ", limit // 2)
    return (cut[:space] if space > 0 else cut).rstrip() + ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut at a paragraph, line or word when possible."""
    chunks: list[str] = []
    while len(text) > limit:
        cut, skip = _cut_point(text, limit)
        chunks.append(text[:cut].rstrip())
        text = text[cut + skip :]
    chunks.append(text)
    return [chunk for chunk in chunks if chunk.strip()]


def _cut_point(text: str, limit: int) -> tuple[int, int]:
    for separator in ("\n\n", "\n", " "):
        at = text.rfind(separator, limit // 2, limit)
        if at > 0:
            return at, len(separator)
    return limit, 0


@dataclass(frozen=True)
class Outgoing:
    """One Discord message. Views and files are built on demand: discord.py consumes them."""

    content: str | None = None
    embeds: tuple[discord.Embed, ...] = ()
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()
    attachments: tuple[Attachment, ...] = ()

    def view(self) -> discord.ui.View | None:
        if not self.buttons and not self.links:
            return None
        view = discord.ui.View(timeout=None)
        for button in self.buttons:
            item: discord.ui.Button[Any] = discord.ui.Button(
                label=_label(button.label), style=_STYLES[button.style], custom_id=button.custom_id
            )
            view.add_item(ActionButton(item, button.action, button.value))
        for link in self.links:
            view.add_item(discord.ui.Button(label=_label(link.label), url=link.url))
        return view

    def files(self) -> list[discord.File]:
        return [discord.File(io.BytesIO(a.content), filename=a.filename) for a in self.attachments]

    def send_kwargs(self) -> dict[str, Any]:
        """For `Messageable.send`, `response.send_message` and `followup.send`."""
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if self.content is not None:
            kwargs["content"] = self.content
        if self.embeds:
            kwargs["embeds"] = list(self.embeds)
        if (view := self.view()) is not None:
            kwargs["view"] = view
        if self.attachments:
            kwargs["files"] = self.files()
        return kwargs

    def edit_kwargs(self) -> dict[str, Any]:
        """For edits: every part is given, so nothing of the previous message lingers."""
        return {
            "content": self.content,
            "embeds": list(self.embeds),
            "view": self.view(),
            "attachments": self.files(),
            "allowed_mentions": NO_MENTIONS,
        }


def render_reply(reply: Reply) -> list[Outgoing]:
    return render_message(reply.message, error=reply.is_error)


def render_message(message: Message, *, error: bool = False) -> list[Outgoing]:
    """One or more messages showing `message`; buttons and files ride on the last ones."""
    buttons, links, link_lines = _components(message)
    text = "\n".join(part for part in (neutral(message.text), *link_lines) if part)
    if not (message.title or message.fields or message.footer) and len(text) <= CONTENT_MAX:
        parts = [Outgoing(content=text or None)]
    else:
        colour = ERROR_COLOUR if error else COLOUR
        parts = [Outgoing(embeds=batch) for batch in _pack(_embeds(message, text, colour))]
    batches = [
        message.attachments[i : i + FILES_PER_MESSAGE]
        for i in range(0, len(message.attachments), FILES_PER_MESSAGE)
    ] or [()]
    last = replace(parts[-1], buttons=buttons, links=links, attachments=batches[0])
    if last.content is None and not (last.embeds or buttons or links or batches[0]):
        last = replace(last, content=ELLIPSIS)  # Discord refuses an empty message
    return [*parts[:-1], last, *(Outgoing(attachments=batch) for batch in batches[1:])]


def _label(text: str) -> str:
    return clip(defuse(text), LABEL_MAX) or ELLIPSIS


def _components(message: Message) -> tuple[tuple[Button, ...], tuple[Link, ...], list[str]]:
    """Action buttons first, then link buttons while there is room; other links become text."""
    buttons: list[Button] = []
    for button in message.buttons:
        if len(button.custom_id) > CUSTOM_ID_MAX:
            log.warning("button %s dropped: custom id over %d chars", button.action, CUSTOM_ID_MAX)
        else:
            buttons.append(button)
    if len(buttons) > COMPONENTS_MAX:
        log.warning(
            "%d buttons dropped: Discord shows %d", len(buttons) - COMPONENTS_MAX, COMPONENTS_MAX
        )
        buttons = buttons[:COMPONENTS_MAX]
    room = COMPONENTS_MAX - len(buttons)
    links: list[Link] = []
    lines: list[str] = []
    for link in message.links:
        if len(links) < room and _linkable(link.url):
            links.append(link)
        else:
            lines.append(f"{neutral(link.label)}: {link.url}")
    return tuple(buttons), tuple(links), lines


def _linkable(url: str) -> bool:
    """Discord only accepts http(s) URLs on link buttons."""
    return url.startswith(("https://", "http://")) and len(url) <= URL_MAX


def _embeds(message: Message, text: str, colour: discord.Colour) -> list[discord.Embed]:
    embeds = [discord.Embed(colour=colour)]
    if message.title:
        embeds[0].title = clip(neutral(message.title), TITLE_MAX)
    for index, chunk in enumerate(split_text(text, DESCRIPTION_MAX)):
        if index:
            embeds.append(discord.Embed(colour=colour))
        embeds[-1].description = chunk
    for name, value, inline in _fields(message.fields):
        current = embeds[-1]
        if len(current.fields) >= FIELDS_MAX or (
            len(current) + len(name) + len(value) > MESSAGE_EMBED_CHARS_MAX
        ):
            embeds.append(discord.Embed(colour=colour))
        embeds[-1].add_field(name=name, value=value, inline=inline)
    if message.footer:
        footer = clip(neutral(message.footer), FOOTER_MAX)
        if len(embeds[-1]) + len(footer) > MESSAGE_EMBED_CHARS_MAX:
            embeds.append(discord.Embed(colour=colour))
        embeds[-1].set_footer(text=footer)
    return embeds


def _fields(fields: Sequence[Field]) -> Iterator[tuple[str, str, bool]]:
    """A value longer than a field holds continues in unnamed fields right after it."""
    for field in fields:
        name = clip(neutral(field.name), FIELD_NAME_MAX) or ZWSP
        chunks = split_text(neutral(field.value), FIELD_VALUE_MAX) or [ZWSP]
        for index, chunk in enumerate(chunks):
            yield (name if index == 0 else ZWSP), chunk, field.inline


def _pack(embeds: list[discord.Embed]) -> list[tuple[discord.Embed, ...]]:
    """Embeds grouped into messages of at most 10 embeds and 6000 characters."""
    batches: list[list[discord.Embed]] = [[]]
    size = 0
    for embed in embeds:
        if len(batches[-1]) == EMBEDS_PER_MESSAGE or size + len(embed) > MESSAGE_EMBED_CHARS_MAX:
            batches.append([])
            size = 0
        batches[-1].append(embed)
        size += len(embed)
    return [tuple(batch) for batch in batches]
