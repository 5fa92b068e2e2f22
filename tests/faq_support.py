"""Helpers shared by the FAQ tests: the evaluation FAQ loaded through the real importer, and a
way to type a command as someone, somewhere."""

from __future__ import annotations

from pathlib import Path

from bot.app import BotApp
from bot.identity import ChannelRef, Place
from bot.messages import Message, Reply
from bot.spec import Role
from commands.faq.store.entries import FaqRepo, ImportCounts
from commands.faq.transfer import import_text
from tests.conftest import console_caller

EVAL_ENTRIES = Path(__file__).parent / "faq_eval" / "entries.yaml"


async def load_eval_faq(app: BotApp) -> ImportCounts:
    """The 50 entries of the evaluation set (ids 1..50), imported like `fedbot faq import`."""
    text = EVAL_ENTRIES.read_text("utf-8")
    return await import_text(app.services.get(FaqRepo), text, app.clock.now())


async def type_in(
    app: BotApp,
    line: str,
    *,
    role: Role = Role.MEMBER,
    lang: str = "fr",
    user: str = "alice",
    channel: str = "general",
) -> Reply:
    place = Place(ChannelRef("console", "local", channel))
    reply = await app.dispatcher.handle_text(console_caller(role, lang, user), place, line)
    assert reply is not None
    return reply


def labels(message: Message) -> list[str]:
    return [b.label for b in message.buttons]


def actions(message: Message) -> list[tuple[str, dict[str, str]]]:
    return [(b.action, dict(b.args)) for b in message.buttons]
