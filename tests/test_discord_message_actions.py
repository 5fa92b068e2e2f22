""" "Add to FAQ" in a Discord message's menu (a message context menu command), end to end: the
real discord.py syncs it to the fake Discord and receives the member's pick over loopback; the
answer is asserted as the member sees it, the entry as the FAQ holds it.

The message a reply answers is read from Discord: from the interaction when Discord includes it,
else over REST, where its text shows only if the application has the Message Content intent
(the fake's `application_flags`, the developer portal's switch).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import BotApp
from commands.faq.store.entries import FaqRepo
from tests.discord_harness import ALICE, BOB, CAROL, GENERAL, GUILD, fake_discord, running_bot
from tests.fakes.discord_server import (
    APP_FLAG_MESSAGE_CONTENT,
    FLAG_EPHEMERAL,
    FakeChannel,
    FakeDiscord,
    FakeUser,
)
from tests.faq_support import load_eval_faq

Json = dict[str, Any]

MENU = "Add to FAQ"
# Long enough for the core to keep its question sentence only (a short message is kept whole).
ASKED = (
    "Bonjour à tous ! Je viens d'arriver à l'agence. Où peut-on garer un vélo cargo près du siège ?"
)
QUESTION = "Où peut-on garer un vélo cargo près du siège ?"
ANSWER = "Au local vélos de la cour."
EVAL_ENTRIES = 50  # load_eval_faq
FORUM = 3_000_000_000_000_000_020
CREATED = "créée à partir de ce fil"
NO_QUESTION = "Je ne trouve pas de question à laquelle ce message répond"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord() as server:
        server.application_flags = APP_FLAG_MESSAGE_CONTENT  # switched on in the portal
        yield server


@pytest.fixture
async def bot(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[BotApp]:
    # The gateway intent stays off: the menu needs no message events.
    async with running_bot(tmp_path, fake, sync_on_start=True) as (app, _):
        await load_eval_faq(app)
        yield app


async def pick(fake: FakeDiscord, message: Json, user: FakeUser, **options: Any) -> Json:
    """`user` picks "Add to FAQ" in `message`'s menu, their Discord in French; returns the
    answer as they see it (the interaction's response, once no longer "thinking")."""
    interaction = await fake.dispatch_interaction(
        fake.message_command_interaction(
            MENU, int(message["id"]), user_id=user.id, locale="fr", **options
        )
    )
    body = await fake.wait_for_callback(interaction)
    if body["type"] == 5:  # deferred: the first follow-up becomes the response
        await fake.wait_for_followup(interaction)
    shown = fake.original_response(interaction)
    assert shown is not None
    return shown


def text_of(message: Json) -> str:
    return message["content"] or " ".join(e.get("description", "") for e in message["embeds"])


async def entries(app: BotApp) -> list[tuple[str, str]]:
    return [(e.draft.question, e.draft.answer) for e in await app.services.get(FaqRepo).all()]


def reply_to_a_question(fake: FakeDiscord, channel_id: int = GENERAL) -> Json:
    question = fake.post_user_message(channel_id, ASKED, user_id=ALICE.id)
    return fake.post_user_message(
        channel_id, ANSWER, user_id=CAROL.id, reply_to=int(question["id"])
    )


async def test_the_menu_entry_is_synced_in_both_languages(fake: FakeDiscord, bot: BotApp) -> None:
    (menu,) = fake.message_commands()
    assert menu["name"] == MENU and menu["description"] == ""
    assert menu["name_localizations"] == {
        "fr": "Ajouter à la FAQ",
        "en-US": "Add to FAQ",
        "en-GB": "Add to FAQ",
    }
    assert "options" not in menu
    assert fake.protocol_errors == []


async def test_an_editor_turns_a_reply_into_an_entry(fake: FakeDiscord, bot: BotApp) -> None:
    shown = await pick(fake, reply_to_a_question(fake), BOB)
    assert shown["flags"] & FLAG_EPHEMERAL  # only Bob sees it
    assert CREATED in text_of(shown) and QUESTION in text_of(shown)
    assert (await entries(bot))[EVAL_ENTRIES:] == [(QUESTION, ANSWER)]
    # Discord gave the replied message with the pick: nothing else was read.
    assert fake.requests_matching("GET channels/*/messages/*") == []
    public = [m for m in fake.messages_in(GENERAL) if not m["flags"] & FLAG_EPHEMERAL]
    assert [m["author"]["id"] for m in public] == [str(ALICE.id), str(CAROL.id)]  # no post


async def test_synced_to_a_guild_it_works_the_same(tmp_path: Path, fake: FakeDiscord) -> None:
    async with running_bot(tmp_path, fake, sync_on_start=True, guild_ids=[str(GUILD)]) as (
        app,
        _,
    ):
        await load_eval_faq(app)
        assert [c["name"] for c in fake.message_commands(GUILD)] == [MENU]
        assert fake.message_commands() == []
        assert CREATED in text_of(await pick(fake, reply_to_a_question(fake), BOB))
        assert (await entries(app))[EVAL_ENTRIES:] == [(QUESTION, ANSWER)]


async def test_a_member_is_refused(fake: FakeDiscord, bot: BotApp) -> None:
    shown = await pick(fake, reply_to_a_question(fake), ALICE)
    assert shown["flags"] & FLAG_EPHEMERAL
    assert "réservée aux éditeurs de la FAQ" in text_of(shown)
    assert len(await entries(bot)) == EVAL_ENTRIES


async def test_a_message_answering_nothing_is_said_so(fake: FakeDiscord, bot: BotApp) -> None:
    alone = fake.post_user_message(GENERAL, ANSWER, user_id=CAROL.id)
    shown = await pick(fake, alone, BOB)
    assert shown["flags"] & FLAG_EPHEMERAL
    assert NO_QUESTION in text_of(shown)
    assert len(await entries(bot)) == EVAL_ENTRIES


async def test_a_replied_message_discord_left_out_is_fetched(
    fake: FakeDiscord, bot: BotApp
) -> None:
    reply = reply_to_a_question(fake)
    shown = await pick(fake, reply, BOB, with_referenced=False)
    assert CREATED in text_of(shown)
    (fetched,) = fake.requests_matching("GET channels/*/messages/*")
    assert fetched.path.endswith(
        f"/channels/{GENERAL}/messages/{reply['referenced_message']['id']}"
    )
    assert (await entries(bot))[EVAL_ENTRIES:] == [(QUESTION, ANSWER)]


@pytest.mark.parametrize("included", [True, False])
async def test_without_the_message_content_intent_the_question_cannot_be_read(
    fake: FakeDiscord, bot: BotApp, included: bool
) -> None:
    fake.application_flags = 0  # Discord hides others' messages, not the one picked
    shown = await pick(fake, reply_to_a_question(fake), BOB, with_referenced=included)
    assert NO_QUESTION in text_of(shown)
    assert len(await entries(bot)) == EVAL_ENTRIES


async def test_in_a_thread_its_first_message_is_the_question(
    fake: FakeDiscord, bot: BotApp
) -> None:
    question = fake.post_user_message(GENERAL, ASKED, user_id=ALICE.id)
    thread = await fake.start_thread(GENERAL, int(question["id"]), "Vélo cargo")
    answer = fake.post_user_message(thread.id, ANSWER, user_id=CAROL.id)
    shown = await pick(fake, answer, BOB)
    assert CREATED in text_of(shown)
    # The thread shares its first message's id; that message stays in the channel.
    (fetched,) = fake.requests_matching("GET channels/*/messages/*")
    assert fetched.path.endswith(f"/channels/{GENERAL}/messages/{thread.id}")
    assert (await entries(bot))[EVAL_ENTRIES:] == [(QUESTION, ANSWER)]


async def test_in_a_forum_post_its_first_message_is_the_question(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    fake.guilds[0].channels.append(FakeChannel(FORUM, "questions", type=15))
    async with running_bot(tmp_path, fake, sync_on_start=True) as (app, _):
        await load_eval_faq(app)
        post, first = await fake.open_forum_post(FORUM, "Vélo cargo", ASKED, user_id=ALICE.id)
        answer = fake.post_user_message(post.id, ANSWER, user_id=CAROL.id)
        assert CREATED in text_of(await pick(fake, answer, BOB))
        # The post's own first message answers nothing.
        assert NO_QUESTION in text_of(await pick(fake, first, BOB))
        (fetched,) = fake.requests_matching("GET channels/*/messages/*")
        assert fetched.path.endswith(f"/channels/{post.id}/messages/{post.id}")
        assert (await entries(app))[EVAL_ENTRIES:] == [(QUESTION, ANSWER)]


async def test_an_unreadable_first_message_answers_nothing(
    fake: FakeDiscord, bot: BotApp, caplog: pytest.LogCaptureFixture
) -> None:
    question = fake.post_user_message(GENERAL, ASKED, user_id=ALICE.id)
    thread = await fake.start_thread(GENERAL, int(question["id"]), "Vélo cargo")
    answer = fake.post_user_message(thread.id, ANSWER, user_id=CAROL.id)
    fake.fail_next("GET channels/*/messages/*", status=403)  # the bot may not read the channel
    with caplog.at_level(logging.WARNING, "adapters.discord.message_actions"):
        shown = await pick(fake, answer, BOB)
    assert NO_QUESTION in text_of(shown)
    assert f"message {thread.id} in {GENERAL} unreadable" in caplog.text
    assert len(await entries(bot)) == EVAL_ENTRIES
