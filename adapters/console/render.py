"""Core replies -> terminal text or JSON lines (pure functions)."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.messages import Button, Message, Reply
from bot.registry import Registry


def button_command(button: Button, registry: Registry) -> str:
    """The command line a console user types to do what the button does."""
    spec = registry.by_action(button.action)
    path = spec.name if spec else button.action.replace(".", " ")
    args = " ".join(f'{k}:"{v}"' if " " in v else f"{k}:{v}" for k, v in button.args.items())
    return f"/{path} {args}".rstrip()


# Escape sequences in text someone else wrote must not drive the operator's terminal (colours,
# cursor moves, a fake prompt): every control character but the line break and the tab goes.
_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def render_text(message: Message, registry: Registry, *, prefix: str = "") -> str:
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
            else f"• {f.name}: {value}"
        )
    lines += [f"🔗 {link.label}: {link.url}" for link in message.links]
    lines += [f"[{b.label}] → {button_command(b, registry)}" for b in message.buttons]
    lines += [f"📎 {a.filename} ({len(a.content)} octets/bytes)" for a in message.attachments]
    if message.footer:
        lines.append(f"— {message.footer}")
    text = "\n".join(prefix + line for line in "\n".join(lines).split("\n"))
    return _TERMINAL.sub("", text)


def message_json(message: Message, registry: Registry) -> dict[str, Any]:
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
                "command": button_command(b, registry),
            }
            for b in message.buttons
        ],
        "attachments": [
            {"filename": a.filename, "size": len(a.content)} for a in message.attachments
        ],
        "footer": message.footer,
    }


def reply_json(reply: Reply, registry: Registry, command: str) -> str:
    payload = {
        "command": command,
        "ephemeral": reply.ephemeral,
        "error": reply.is_error,
        **message_json(reply.message, registry),
    }
    return json.dumps(payload, ensure_ascii=False)
