"""Core messages -> Block Kit (pure functions).

Every string shown comes from the core and may hold user-supplied text (an agency name, a
relayed question), so everything is escaped: `&`, `<` and `>` become entities, which turns
`<!channel>`, `<!here>`, `<@U…>` and `<#C…>` into plain text, and a zero-width space after `@`
disarms the bare `@channel` / `@here` / `@everyone` words. Nothing we render can notify anyone.

Slack's limits are enforced here: a long reply becomes several messages, long texts are cut at
line ends (never inside an entity or a link), labels are shortened with "…".
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.messages import Button, ButtonStyle, Field, Link, Message

log = logging.getLogger(__name__)

# Slack's Block Kit limits.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ACTIONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT_TEXT = 2000
# Our own limits: notifications only show the start of the fallback text, and Slack refuses
# (msg_blocks_too_long, undocumented, at about 13 200 characters) a message whose blocks are
# each within limits but too long together. A fields row or a row of buttons stays within half
# of a message, so that every block fits in one.
MAX_FALLBACK_TEXT = 3000
MAX_MESSAGE_CHARS = 12_000
MAX_ROW_CHARS = 6000

ZWSP = "\u200b"
_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_LINKABLE = re.compile(r"^(?:https?://|mailto:)\S+$")
_URL = re.compile(r"(https?://\S+)")
# mrkdwn's markers (*bold* _italic_ ~strike~ `code`) open only after a space, a punctuation
# mark or a line start: a zero-width space in front of such a marker leaves it shown as typed,
# never as formatting (one inside a word, as in skip_empty, opens nothing and is left alone).
_MARKER = re.compile(r"(?<!\w)([*_~`])")
_QUOTE = re.compile(r"^(&gt;)", re.MULTILINE)
_ACTION_SUFFIX = "#"

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One Slack message: blocks plus the escaped fallback text used by notifications."""

    text: str
    blocks: tuple[Block, ...]

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": list(self.blocks)}


@dataclass(frozen=True, slots=True)
class _Part:
    block: Block
    fallback: str  # escaped mrkdwn, "" when the block says nothing worth a notification
    size: int


def escape(text: str) -> str:
    """Text for a mrkdwn field: shown as typed, never a mention, a broadcast, a link, a quote
    or formatting (text members wrote reaches others through it)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    pieces = _URL.split(text)  # URLs (odd pieces) keep their _ and ~
    text = "".join(p if i % 2 else _MARKER.sub(ZWSP + r"\1", p) for i, p in enumerate(pieces))
    text = _QUOTE.sub(ZWSP + r"\1", text)
    return _BROADCAST.sub("@" + ZWSP, text)


def plain(text: str, limit: int) -> str:
    """Text for a plain_text object (not parsed by Slack), shortened to `limit`."""
    text = _BROADCAST.sub("@" + ZWSP, " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def action_id(action: str) -> str:
    """The core action id behind a Slack action id (`event.rsvp#2` -> `event.rsvp`)."""
    return action.split(_ACTION_SUFFIX, 1)[0]


def render_message(message: Message, *, error: bool = False) -> list[SlackMessage]:
    """Block Kit messages for a core message; more than one when it exceeds Slack's limits."""
    parts: list[_Part] = []
    if message.title:
        parts.append(_header(message.title))
    parts += _sections(escape(message.text), prefix=":warning: " if error else "")
    parts += _fields(message.fields)
    parts += _links(message.links)
    parts += _actions(message.buttons)
    if message.footer:
        parts.append(_context(message.footer))
    if not parts:
        parts = _sections("…")
    return _pack(parts)


def message_blocks(message: Message) -> list[Block]:
    """A core message's blocks, in order, unpacked (a Home view holds several messages)."""
    parts: list[_Part] = []
    if message.title:
        parts.append(_header(message.title))
    parts += _sections(escape(message.text))
    parts += _fields(message.fields)
    parts += _links(message.links)
    parts += _actions(message.buttons)
    if message.footer:
        parts.append(_context(message.footer))
    return [part.block for part in parts]


def fit(text: str, limit: int) -> str:
    """Escaped mrkdwn shortened to `limit` characters (with "…"), cut cleanly."""
    if len(text) <= limit:
        return text
    return text[: _safe_cut(text, limit - 1)].rstrip() + "…"


def split(text: str, limit: int) -> list[str]:
    """Escaped mrkdwn cut into pieces of at most `limit` characters: at line ends when the
    piece stays at least half full, else at a space, else anywhere outside an entity or link."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit + 1)
        if cut < limit // 2:
            cut = limit
        cut = _safe_cut(text, cut) or limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n ")
    if text.strip():
        pieces.append(text)
    return pieces


def _safe_cut(text: str, cut: int) -> int:
    """Move a cut position back so it falls neither inside `&amp;` nor inside `<url|label>`."""
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp >= 0 and ";" not in text[amp:cut]:
        cut = amp
    opening = text.rfind("<", 0, cut)
    if opening >= 0 and text.find(">", opening, cut) < 0:
        cut = opening
    return cut


def _header(title: str) -> _Part:
    text = plain(title, MAX_HEADER_TEXT)
    block = {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}
    return _Part(block, f"*{escape(text)}*", len(text))


def _section(text: str) -> _Part:
    return _Part({"type": "section", "text": {"type": "mrkdwn", "text": text}}, text, len(text))


def _sections(text: str, prefix: str = "") -> list[_Part]:
    pieces = split(text, MAX_SECTION_TEXT - len(prefix))
    if prefix:
        pieces = [prefix + (pieces[0] if pieces else "").rstrip(), *pieces[1:]]
    return [_section(piece) for piece in pieces if piece.strip()]


def _field_text(field: Field, limit: int) -> str:
    name = fit(escape(field.name.strip()), 300)
    head = f"*{name}*\n" if name else ""
    return head + fit(escape(field.value), limit - len(head))


def _fields(fields: tuple[Field, ...]) -> list[_Part]:
    """Inline fields side by side (10 per section); the others as their own sections."""
    parts: list[_Part] = []
    row: list[str] = []

    def flush() -> None:
        if row:
            items = [{"type": "mrkdwn", "text": text} for text in row]
            joined = "\n".join(row)
            size = sum(map(len, row))
            parts.append(_Part({"type": "section", "fields": items}, joined, size))
            row.clear()

    for field in fields:
        if not (field.name.strip() or field.value.strip()):
            continue
        if field.inline:
            text = _field_text(field, MAX_FIELD_TEXT)
            if len(row) == MAX_FIELDS or sum(map(len, row)) + len(text) > MAX_ROW_CHARS:
                flush()
            row.append(text)
            continue
        flush()
        name = fit(escape(field.name.strip()), 300)
        parts += _sections(escape(field.value), prefix=f"*{name}*\n" if name else "")
    flush()
    return parts


def _link(link: Link) -> str:
    label = escape(" ".join(link.label.split())) or escape(link.url)
    if not _LINKABLE.match(link.url):
        return f"{label}: {escape(link.url)}"
    url = link.url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E")
    return f"<{url.replace('|', '%7C')}|{label.replace('|', '¦')}>"


def _links(links: tuple[Link, ...]) -> list[_Part]:
    if not links:
        return []
    return _sections("\n".join(f"🔗 {_link(link)}" for link in links))


def _button(button: Button, action: str) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": plain(button.label, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action,
        "value": button.value,
    }
    if button.style is not ButtonStyle.DEFAULT:
        element["style"] = button.style.value
    return element


def _actions(buttons: tuple[Button, ...]) -> list[_Part]:
    """Buttons, 25 per actions block. Slack wants action ids unique within a message, and two
    buttons may well name the same core action (RSVP yes / no): repeats get a `#n` suffix."""
    elements: list[Block] = []
    seen: dict[str, int] = {}
    for button in buttons:
        if len(button.value) > MAX_BUTTON_VALUE:
            log.warning("button %s dropped: its value exceeds Slack's limit", button.action)
            continue
        n = seen.get(button.action, 0)
        seen[button.action] = n + 1
        action = button.action if n == 0 else f"{button.action}{_ACTION_SUFFIX}{n + 1}"
        elements.append(_button(button, action))
    parts: list[_Part] = []
    row: list[Block] = []
    size = 0
    for element in elements:
        cost = len(element["value"]) + len(element["action_id"]) + 100  # text, JSON keys
        if row and (len(row) == MAX_ACTIONS or size + cost > MAX_ROW_CHARS):
            parts.append(_Part({"type": "actions", "elements": row}, "", size))
            row, size = [], 0
        row.append(element)
        size += cost
    if row:
        parts.append(_Part({"type": "actions", "elements": row}, "", size))
    return parts


def _context(footer: str) -> _Part:
    text = fit(escape(footer), MAX_CONTEXT_TEXT)
    return _Part(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}, text, len(text)
    )


def _pack(parts: list[_Part]) -> list[SlackMessage]:
    messages: list[SlackMessage] = []
    current: list[_Part] = []
    size = 0
    for part in parts:
        if current and (len(current) == MAX_BLOCKS or size + part.size > MAX_MESSAGE_CHARS):
            messages.append(_message(current))
            current, size = [], 0
        current.append(part)
        size += part.size
    messages.append(_message(current))
    return messages


def _message(parts: list[_Part]) -> SlackMessage:
    fallback = "\n".join(p.fallback for p in parts if p.fallback) or "…"
    return SlackMessage(fit(fallback, MAX_FALLBACK_TEXT), tuple(p.block for p in parts))
