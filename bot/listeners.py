"""Passive listening: features that react to ordinary channel messages (not commands).

Adapters hand every channel message they receive to `Dispatcher.handle_message`; each
feature's listeners decide whether to answer (e.g. the FAQ's passive mode replies in a thread).
A listener sees only what it needs and returns a Reply or None.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.i18n import Translator
from bot.identity import Caller, Place
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.services import Services


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    """A message typed in a channel. `place.message_id` identifies it (threads, dedupe)."""

    caller: Caller
    place: Place
    text: str


Listener = Callable[[ChannelMessage, "Services", Translator], Awaitable[Reply | None]]
