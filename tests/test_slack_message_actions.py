""" "Add to FAQ" in a Slack message's menu (a message shortcut), over the wire: the real
slack-bolt in HTTP mode against the fake Slack. The manifest declares the shortcut; used on a
reply in a thread, the thread's first message (read with conversations.replies) is the
question. What the user sees is the ephemeral answer posted to the shortcut's response_url;
rights, lengths and errors are the core's (tests/test_faq_from_message.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.manifest import MAX_SHORTCUT_NAME, build_manifest
from bot.config import parse_config
from commands.faq.store.entries import FaqRepo
from fedbot.assembly import full_registry
from tests.fakes.slack_server import (
    DEFAULT_BOT_TOKEN,
    DEFAULT_CHANNEL_ID,
    FakeSlack,
    ResponseUrlPost,
)
from tests.faq_support import load_eval_faq
from tests.slack_harness import ALICE, BOB, STAFF, SlackBot, add_people, slack_bot

# Long enough for the core to keep its question sentence only (a message of 12 words or fewer
# is taken whole, greeting included: commands/faq/messages.py::question_part).
ROOT = "Bonjour à tous ! Où peut-on garer un vélo cargo près du siège ?"
QUESTION = "Où peut-on garer un vélo cargo près du siège ?"
ANSWER = "Au local vélos de la cour."
CREATED = "Entrée n° 51 créée à partir de ce fil"  # the eval FAQ holds entries 1..50
NO_QUESTION = "Je ne trouve pas de question à laquelle ce message répond"
CALLBACK = "faq.from_message"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        add_people(server)
        yield server


async def add_to_faq(bot: SlackBot, slack: FakeSlack, message_ts: str, user: str) -> Any:
    """`user` picks "Add to FAQ" on a message of the channel: what the response_url gets."""
    url = slack.response_url(kind="actions")
    acked = await bot.http.message_action(
        callback_id=CALLBACK, message_ts=message_ts, user_id=user, response_url=url
    )
    assert (acked.status, acked.text) == (200, "")  # acked at once, the answer comes after
    [answer] = await slack.wait_for_response_url_post(url)
    return answer


def shown(answer: ResponseUrlPost) -> str:
    """What the user reads: the message's sections, as Slack renders its blocks."""
    assert answer.body["response_type"] == "ephemeral"  # for whoever used the shortcut only
    return "\n".join(b["text"]["text"] for b in answer.body["blocks"] if b["type"] == "section")


def buttons(answer: ResponseUrlPost) -> list[str]:
    rows = [b for b in answer.body["blocks"] if b["type"] == "actions"]
    return [e["text"]["text"] for row in rows for e in row["elements"]]


async def entry_count(bot: SlackBot) -> int:
    entries, _ = await bot.app.services.get(FaqRepo).counts()
    return entries


def test_the_manifest_offers_add_to_faq_in_a_message_s_menu() -> None:
    for lang, name in (("fr", "Ajouter à la FAQ"), ("en", "Add to FAQ")):
        config = parse_config({"bot": {"default_locale": lang}}, {})
        [shortcut] = build_manifest(full_registry(), config)["features"]["shortcuts"]
        assert shortcut["name"] == name and len(name) <= MAX_SHORTCUT_NAME
        assert (shortcut["type"], shortcut["callback_id"]) == ("message", CALLBACK)
        assert 0 < len(shortcut["description"]) <= 150


async def test_staff_makes_a_thread_reply_an_entry(tmp_path: Path, slack: FakeSlack) -> None:
    async with slack_bot(tmp_path, slack) as bot:
        await load_eval_faq(bot.app)
        root = slack.add_message(DEFAULT_CHANNEL_ID, ROOT, user=ALICE)
        reply = slack.add_message(DEFAULT_CHANNEL_ID, ANSWER, user=BOB, thread_ts=root["ts"])
        answer = await add_to_faq(bot, slack, reply["ts"], STAFF)
        entry = await bot.app.services.get(FaqRepo).get(51)
    assert CREATED in shown(answer) and QUESTION in shown(answer)
    assert buttons(answer) == ["Voir l'entrée", "Supprimer"]
    assert entry is not None
    assert (entry.draft.question, entry.draft.answer) == (QUESTION, ANSWER)
    [read] = slack.calls_to("conversations.replies")  # the thread's first message, with the
    assert read.token == DEFAULT_BOT_TOKEN  # workspace's bot token
    assert (read.params["channel"], read.params["ts"], read.params["limit"]) == (
        DEFAULT_CHANNEL_ID,
        root["ts"],
        "1",
    )


async def test_what_people_typed_arrives_as_typed(tmp_path: Path, slack: FakeSlack) -> None:
    """Slack sends `&`, `<` and `>` as entities, in the message and in its thread's first."""
    async with slack_bot(tmp_path, slack) as bot:
        await load_eval_faq(bot.app)
        text = "Bonjour à tous ! Où peut-on garer un vélo &amp; une remorque près du siège ?"
        root = slack.add_message(DEFAULT_CHANNEL_ID, text, user=ALICE)
        said = "Au local &lt;vélos&gt; de la cour."
        reply = slack.add_message(DEFAULT_CHANNEL_ID, said, user=BOB, thread_ts=root["ts"])
        await add_to_faq(bot, slack, reply["ts"], STAFF)
        entry = await bot.app.services.get(FaqRepo).get(51)
    assert entry is not None
    assert (entry.draft.question, entry.draft.answer) == (
        "Où peut-on garer un vélo & une remorque près du siège ?",
        "Au local <vélos> de la cour.",
    )


async def test_a_member_is_refused_and_nothing_is_added(tmp_path: Path, slack: FakeSlack) -> None:
    async with slack_bot(tmp_path, slack) as bot:
        await load_eval_faq(bot.app)
        root = slack.add_message(DEFAULT_CHANNEL_ID, ROOT, user=BOB)
        reply = slack.add_message(DEFAULT_CHANNEL_ID, ANSWER, user=BOB, thread_ts=root["ts"])
        answer = await add_to_faq(bot, slack, reply["ts"], ALICE)
        count = await entry_count(bot)
    assert "réservée aux éditeurs de la FAQ" in shown(answer)
    assert CREATED not in shown(answer) and buttons(answer) == []
    assert count == 50


@pytest.mark.parametrize("where", ["top level", "thread's first message"])
async def test_a_message_that_answers_no_question_says_so(
    tmp_path: Path, slack: FakeSlack, where: str
) -> None:
    async with slack_bot(tmp_path, slack) as bot:
        await load_eval_faq(bot.app)
        message = slack.add_message(DEFAULT_CHANNEL_ID, ANSWER, user=BOB)
        if where == "thread's first message":  # it has replies, but answers none of them
            slack.add_message(DEFAULT_CHANNEL_ID, "Merci !", user=ALICE, thread_ts=message["ts"])
        answer = await add_to_faq(bot, slack, message["ts"], STAFF)
        count = await entry_count(bot)
    assert NO_QUESTION in shown(answer)
    assert count == 50
    assert slack.calls_to("conversations.replies") == []  # nothing to read


async def test_an_unreadable_thread_answers_as_no_question_and_warns(
    tmp_path: Path, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with slack_bot(tmp_path, slack) as bot:
        await load_eval_faq(bot.app)
        root = slack.add_message(DEFAULT_CHANNEL_ID, ROOT, user=ALICE)
        reply = slack.add_message(DEFAULT_CHANNEL_ID, ANSWER, user=BOB, thread_ts=root["ts"])
        slack.fail_next("conversations.replies", status=200, error="not_in_channel")
        with caplog.at_level(logging.WARNING, logger="adapters.slack"):
            answer = await add_to_faq(bot, slack, reply["ts"], STAFF)
        count = await entry_count(bot)
    assert NO_QUESTION in shown(answer)
    assert count == 50
    [warning] = [r for r in caplog.records if r.name == "adapters.slack.shortcuts"]
    assert warning.levelno == logging.WARNING
    assert "conversations.replies: not_in_channel" in warning.getMessage()
    assert "xoxb-" not in caplog.text


async def test_the_fake_reads_a_thread_like_slack(tmp_path: Path, slack: FakeSlack) -> None:
    """conversations.replies: the first message first, whichever message `ts` names; the
    message a shortcut carries is shown with its thread fields."""
    root = slack.add_message(DEFAULT_CHANNEL_ID, ROOT, user=ALICE)
    first = slack.add_message(DEFAULT_CHANNEL_ID, ANSWER, user=BOB, thread_ts=root["ts"])
    second = slack.add_message(DEFAULT_CHANNEL_ID, "Merci !", user=ALICE, thread_ts=root["ts"])
    async with slack_bot(tmp_path, slack) as bot:
        client = bot.adapter.api.client(DEFAULT_BOT_TOKEN)
        whole = await client.conversations_replies(channel=DEFAULT_CHANNEL_ID, ts=second["ts"])
        paged = await client.conversations_replies(
            channel=DEFAULT_CHANNEL_ID, ts=root["ts"], limit=1
        )
    assert [m["ts"] for m in whole["messages"]] == [root["ts"], first["ts"], second["ts"]]
    assert [m["text"] for m in paged["messages"]] == [ROOT] and paged["has_more"] is True
    shown_root = slack.message(DEFAULT_CHANNEL_ID, root["ts"])
    assert (shown_root["thread_ts"], shown_root["reply_count"]) == (root["ts"], 2)
    assert shown_root["reply_users"] == [BOB, ALICE]
    assert slack.message(DEFAULT_CHANNEL_ID, first["ts"])["parent_user_id"] == ALICE
