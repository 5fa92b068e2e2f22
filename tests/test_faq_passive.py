"""Passive mode: off by default; on, a channel question the FAQ answers for sure gets one reply
in its thread, once, never to a bot. Through the dispatcher, then over the wire on Slack and
Discord (the real slack-bolt and discord.py against the fake servers)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import BotApp
from bot.clock import FixedClock
from bot.identity import Caller, ChannelRef, Place
from bot.spec import Role
from commands.faq.store.entries import FaqRepo
from fedbot.assembly import make_app, migration_dirs
from tests.conftest import T0, make_config
from tests.discord_harness import ALICE as DISCORD_ALICE
from tests.discord_harness import BOB as DISCORD_STAFF
from tests.discord_harness import GENERAL, GUILD, fake_discord, running_bot
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import DEFAULT_CHANNEL_ID, DEFAULT_TEAM_ID, FakeSlack
from tests.faq_support import load_eval_faq, type_in
from tests.slack_harness import ALICE, STAFF, add_people, slack_bot

QUESTION = "Bonjour, quelqu'un sait comment adhérer à la fédération ?"
CHANNEL = ChannelRef("slack", "T1", "C1")
HUMAN = Caller("slack", "T1", "U1", "Ann", "fr")


def at(message_id: str, channel: ChannelRef = CHANNEL) -> Place:
    return Place(channel, thread_id=message_id, message_id=message_id)


async def passive_on(app: BotApp, channel: ChannelRef = CHANNEL) -> None:
    await app.services.get(FaqRepo).set_passive(channel, True, None, app.clock.now())


async def test_off_by_default_then_answers_once_in_the_thread(faq_app: BotApp) -> None:
    handle = faq_app.dispatcher.handle_message
    assert await handle(HUMAN, at("1.1"), QUESTION) is None
    await passive_on(faq_app)
    reply = await handle(HUMAN, at("1.2"), QUESTION)
    assert reply is not None and not reply.ephemeral
    assert reply.message.title == "Comment adhérer à la fédération ?"
    assert reply.message.footer == "Réponse automatique de la FAQ (n° 1) · Était-ce utile ?"
    assert [b.action for b in reply.message.buttons] == ["faq.feedback", "faq.feedback"]
    # "Not helpful" under a passive answer counts the vote; the message is no ask to route.
    no = reply.message.buttons[1]
    voted = await faq_app.dispatcher.handle_action(HUMAN, at("1.2"), no.action, no.value)
    assert voted is not None and voted.message.text.startswith(
        "Merci\u00a0: les modérateurs verront"
    )
    assert (await faq_app.services.get(FaqRepo).activity.unanswered())[1] == 0
    assert await handle(HUMAN, at("1.2"), QUESTION) is None  # the same message: never twice
    assert await handle(HUMAN, at("1.3"), QUESTION) is not None  # asked again: answered again


async def test_it_stays_silent_unless_sure(faq_app: BotApp) -> None:
    await passive_on(faq_app)
    handle = faq_app.dispatcher.handle_message
    bot = Caller("slack", "T1", "B1", is_bot=True)
    silent = [
        (bot, at("2.1"), QUESTION),  # a bot
        (HUMAN, at("2.2"), "Super, merci pour l'adhésion à la fédération !"),  # not a question
        (HUMAN, at("2.3"), "quelqu'un sait qui a gagné le match hier soir ?"),  # out of scope
        (HUMAN, at("2.4"), "on paie la cotisation comment ?"),  # only a suggestion
        (HUMAN, at("2.5", ChannelRef("slack", "T1", "C2")), QUESTION),  # another channel
        (HUMAN, Place(CHANNEL), QUESTION),  # no message id: could not be answered only once
    ]
    for caller, place, text in silent:
        assert await handle(caller, place, text) is None, text
    stats = (await type_in(faq_app, "/faq stats", role=Role.FAQ_EDITOR)).message
    assert {f.name: f.value for f in stats.fields}["Questions posées (30 derniers jours)"] == "0"


async def test_the_confidence_bar_is_configurable(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"faq": {"passive_min_confidence": 1.0}})
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        await load_eval_faq(app)
        await passive_on(app)
        answered = await app.dispatcher.handle_message(HUMAN, at("3.1"), "comment adhérer ?")
        assert answered is None  # an answer, but not sure enough to speak unasked


async def test_moderators_switch_it_per_channel_and_it_survives_a_restart(
    tmp_path: Path,
) -> None:
    agency = {
        "name": "Rennes Atalante",
        "region": "Bretagne",
        "channels": ["console:local:entraide"],
    }
    config = make_config(tmp_path, {"agencies": [agency]})
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        await load_eval_faq(app)
        on = await type_in(app, "/faq passive on", role=Role.MODERATOR, channel="entraide")
        assert on.message.text.startswith("Mode passif activé") and not on.ephemeral
        entraide = ChannelRef("console", "local", "entraide")
        assert await app.dispatcher.handle_message(HUMAN, at("4.1", entraide), QUESTION)
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        handle = app.dispatcher.handle_message
        assert await handle(HUMAN, at("4.1", entraide), QUESTION) is None  # answered before
        assert await handle(HUMAN, at("4.2", entraide), QUESTION) is not None
        await type_in(app, "/faq passive off", role=Role.MODERATOR, channel="entraide")
        assert await handle(HUMAN, at("4.3", entraide), QUESTION) is None


# --- Slack, over the wire ------------------------------------------------------------------


@pytest.fixture
async def slack() -> FakeSlack:
    async with FakeSlack() as server:
        add_people(server)
        yield server


def message_event(ts: str, text: str = QUESTION, **extra: object) -> dict[str, object]:
    return {
        "type": "message",
        "channel": DEFAULT_CHANNEL_ID,
        "user": ALICE,
        "text": text,
        "ts": ts,
        "channel_type": "channel",
        **extra,
    }


async def test_slack_channel_question_is_answered_in_its_thread(
    tmp_path: Path, slack: FakeSlack
) -> None:
    async with slack_bot(tmp_path, slack, slack={"message_events": True}) as bot:
        await load_eval_faq(bot.app)
        ack = await bot.http.slash_command(command="/faq", text="passive on", user_id=STAFF)
        assert ack.body["text"].startswith("Mode passif activé")
        assert bot.app.services.get(FaqRepo).passive_in(
            ChannelRef("slack", DEFAULT_TEAM_ID, DEFAULT_CHANNEL_ID)
        )
        await bot.http.event(event=message_event("1764147600.000100"), event_id="Ev1")
        [posted] = await slack.wait_for_call("chat.postMessage")
        # Not answered: a bot's message, an edit, and the same message seen by a second
        # delivery path (another event id).
        await bot.http.event(event=message_event("1.2", bot_id="B9"), event_id="Ev2")
        edited = message_event("1.3", subtype="message_changed")
        await bot.http.event(event=edited, event_id="Ev3")
        await bot.http.event(event=message_event("1764147600.000100"), event_id="Ev4")
        await asyncio.sleep(0.3)
    assert posted.params["thread_ts"] == "1764147600.000100"
    assert posted.params["channel"] == DEFAULT_CHANNEL_ID
    assert "Comment adhérer à la fédération ?" in str(posted.params["blocks"])
    assert "Réponse automatique de la FAQ (n° 1)" in str(posted.params["blocks"])
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_slack_without_message_events_does_not_listen(
    tmp_path: Path, slack: FakeSlack
) -> None:
    async with slack_bot(tmp_path, slack) as bot:
        await load_eval_faq(bot.app)
        channel = ChannelRef("slack", DEFAULT_TEAM_ID, DEFAULT_CHANNEL_ID)
        await passive_on(bot.app, channel)
        await bot.http.event(event=message_event("1.5"), event_id="Ev5")
        await asyncio.sleep(0.3)
    assert slack.calls_to("chat.postMessage") == []


# --- Discord, over the wire ----------------------------------------------------------------


@pytest.fixture
async def discord() -> FakeDiscord:
    async with fake_discord() as server:
        yield server


async def test_discord_channel_question_gets_a_reply_that_pings_nobody(
    tmp_path: Path, discord: FakeDiscord
) -> None:
    async with running_bot(tmp_path, discord, sync_on_start=True, message_content=True) as (
        app,
        _,
    ):
        identify = await discord.wait_for_identify()
        assert identify["intents"] == 1 | 1 << 9 | 1 << 15  # guilds, messages, content
        await load_eval_faq(app)
        turned = await discord.dispatch_interaction(
            discord.slash_interaction(
                "faq passive", {"state": "on"}, user_id=DISCORD_STAFF.id, locale="fr"
            )
        )
        body = await discord.wait_for_callback(turned)
        assert body["data"]["content"].startswith("Mode passif activé")
        asked = await discord.dispatch_user_message(GENERAL, QUESTION, user_id=DISCORD_ALICE.id)
        reply = await discord.wait_for_message(
            GENERAL, lambda m: str(m.get("message_reference", {}).get("message_id")) == asked["id"]
        )
        await discord.dispatch_user_message(GENERAL, "merci !", user_id=DISCORD_ALICE.id)
        await asyncio.sleep(0.3)
    assert reply["embeds"][0]["title"] == "Comment adhérer à la fédération ?"
    assert "Réponse automatique de la FAQ (n° 1)" in reply["embeds"][0]["footer"]["text"]
    [request] = discord.requests_matching("POST channels/{channel_id}/messages")
    assert request.json["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert str(request.json["message_reference"]["message_id"]) == asked["id"]
    replies = [m for m in discord.messages_in(GENERAL) if m.get("message_reference")]
    assert len(replies) == 1  # one answer; "merci !" is not a question
    assert await answered_messages(tmp_path) == [(f"discord:{GUILD}:{GENERAL}", asked["id"])]


async def answered_messages(tmp_path: Path) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from bot.storage.database import Database
    from commands.faq.store.tables import faq_answered_messages as answered

    db = Database.open(make_config(tmp_path).bot.database_url, migration_dirs())
    try:
        async with db.read() as conn:
            rows = (await conn.execute(select(answered.c.channel, answered.c.message_id))).all()
    finally:
        await db.close()
    return [(channel, message_id) for channel, message_id in rows]


async def test_discord_reads_no_message_unless_configured(
    tmp_path: Path, discord: FakeDiscord
) -> None:
    async with running_bot(tmp_path, discord) as (app, _):
        identify = await discord.wait_for_identify()
        assert identify["intents"] == 1  # nothing privileged asked for
        await load_eval_faq(app)
        await passive_on(app, ChannelRef("discord", str(GUILD), str(GENERAL)))
        await discord.dispatch_user_message(GENERAL, QUESTION, user_id=DISCORD_ALICE.id)
        await asyncio.sleep(0.3)
    assert [m for m in discord.messages_in(GENERAL) if m["author"]["bot"]] == []
