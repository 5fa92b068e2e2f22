"""Core replies -> terminal text or JSON lines (pure functions).

Text follows the reader's language: French puts a no-break space before the colon
("Organisé par : …") and writes sizes "5 523 octets", English "Organised by: …", "5,523 bytes".
Attachments are shown with the path they were saved to (`adapters.console.files`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bot.i18n import translator
from bot.messages import Attachment, Button, Message, Reply
from bot.registry import Registry

# Where each attachment of a message was written, by filename (None: not saved).
Saved = Mapping[str, str]
_TEXT_MIMES = ("text/", "application/json", "application/yaml")
_MAX_INLINE = 200_000  # a text attachment larger than this is left to its file in --json


def button_command(button: Button, registry: Registry, lang: str = "en") -> str:
    """The command line a console user types to do what the button does, in `lang`'s names."""
    spec = registry.by_action(button.action)
    path = spec.name if spec else button.action.replace(".", " ")
    args = " ".join(f'{k}:"{v}"' if " " in v else f"{k}:{v}" for k, v in button.args.items())
    return registry.localise(f"/{path} {args}".rstrip(), lang)


# Escape sequences in text someone else wrote must not drive the operator's terminal (colours,
# cursor moves, a fake prompt): every control character but the line break and the tab goes.
_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def render_text(
    message: Message,
    registry: Registry,
    *,
    prefix: str = "",
    lang: str = "fr",
    saved: Saved | None = None,
) -> str:
    t = translator(lang)
    colon = t("console.colon")
    lines: list[str] = []
    if message.title:
        lines += [message.title, "─" * min(len(message.title), 60)]
    if message.text:
        lines.append(message.text)
    for f in message.fields:
        value = f.value.replace("\n", "\n    ")
        lines.append(
            f"• {f.name}\n    {value}"
            if "\n" in f.value or not f.inline
            else f"• {f.name}{colon}{value}"
        )
    lines += [f"🔗 {link.label}{colon}{link.url}" for link in message.links]
    lines += [f"[{b.label}] → {button_command(b, registry, lang)}" for b in message.buttons]
    lines += [_attachment_line(a, (saved or {}).get(a.filename), lang) for a in message.attachments]
    if message.footer:
        lines.append(f"— {message.footer}")
    text = "\n".join(prefix + line for line in "\n".join(lines).split("\n"))
    return _TERMINAL.sub("", text)


def _attachment_line(attachment: Attachment, path: str | None, lang: str) -> str:
    t = translator(lang)
    size = t.plural("console.size", len(attachment.content))
    if path is None:
        return f"📎 {attachment.filename} ({size})"
    return f"📎 {attachment.filename} ({size}) → {path}"


def is_text(attachment: Attachment) -> bool:
    return attachment.mime.startswith(_TEXT_MIMES) or attachment.filename.endswith(
        (".ics", ".json", ".yaml", ".csv", ".txt")
    )


def message_json(
    message: Message, registry: Registry, lang: str = "fr", saved: Saved | None = None
) -> dict[str, Any]:
    return {
        "title": message.title,
        "text": message.text,
        "fields": [{"name": f.name, "value": f.value, "inline": f.inline} for f in message.fields],
        "links": [{"label": x.label, "url": x.url} for x in message.links],
        "buttons": [
            {
                "label": b.label,
                "action": b.action,
                "value": b.value,
                "command": button_command(b, registry, lang),
            }
            for b in message.buttons
        ],
        "attachments": [
            _attachment_json(a, (saved or {}).get(a.filename)) for a in message.attachments
        ],
        "footer": message.footer,
    }


def _attachment_json(attachment: Attachment, path: str | None) -> dict[str, Any]:
    """Name, size and where it was saved; a text file's content too, so a script piping
    `--json` needs no second read."""
    found: dict[str, Any] = {
        "filename": attachment.filename,
        "size": len(attachment.content),
        "mime": attachment.mime,
        "path": path,
    }
    if is_text(attachment) and len(attachment.content) <= _MAX_INLINE:
        found["content"] = attachment.content.decode("utf-8", errors="replace")
    return found


def reply_json(
    reply: Reply, registry: Registry, command: str, lang: str = "fr", saved: Saved | None = None
) -> str:
    payload = {
        "command": command,
        "ephemeral": reply.ephemeral,
        "error": reply.is_error,
        **message_json(reply.message, registry, lang, saved),
    }
    return json.dumps(payload, ensure_ascii=False)
