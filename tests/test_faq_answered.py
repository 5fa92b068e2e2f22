"""When a FAQ editor answers an unanswered question, the people who asked it get the answer by
direct message, in their language: in the console, and over the wire on Slack (slack-bolt
against the fake Slack) and Discord (discord.py against the fake Discord)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import BotApp
from bot.spec import Role
from commands.faq.store.entries import FaqRepo
from tests.conftest import PLACE, console_caller
from tests.discord_harness import ALICE as DISCORD_ALICE
from tests.discord_harness import BOB as DISCORD_STAFF
from tests.discord_harness import fake_discord, running_bot
from tests.fakes.slack_server import FakeSlack
from tests.faq_support import labels, load_eval_faq, type_in
from tests.recording import RecordingSender, recorder
from tests.slack_harness import ALICE, BOB, STAFF, add_people, slack_bot

EDITOR = Role.FAQ_EDITOR
UNKNOWN = "où garer mon vélo cargo près du siège ?"
ANSWER = "Au local vélos de la cour, badge d'accueil."


@pytest.fixture
def sent(app: BotApp) -> RecordingSender:
    return recorder(app)


async def question_id(app: BotApp) -> int:
    found, _ = await app.services.get(FaqRepo).activity.unanswered()
    [question] = [q for q in found if q.text == UNKNOWN]
    return question.id


async def test_a_new_entry_reaches_everyone_who_asked_in_their_language(
    faq_app: BotApp, sent: RecordingSender
) -> None:
    unknown = (await type_in(faq_app, f"/faq ask {UNKNOWN}", user="ann")).message
    assert unknown.text.endswith("je vous enverrai leur réponse en message privé.")
    await type_in(faq_app, f"/faq ask {UNKNOWN}", user="ben", lang="en")
    await type_in(faq_app, f"/faq ask {UNKNOWN}", user="eve")  # the editor asked too
    qid = await question_id(faq_app)
    done = await type_in(faq_app, f'/faq promote {qid} answer:"{ANSWER}"', role=EDITOR, user="eve")
    lines = done.message.text.split("\n")
    assert lines[0].startswith("Entrée n° 51 créée")
    assert lines[1] == (
        "Les 2 personnes qui avaient posé cette question ont reçu la réponse en message privé."
    )
    assert sent.targets() == ["@ann", "@ben"]  # not the editor, who knows
    (_, to_ann), (_, to_ben) = sent.sent
    assert to_ann.title == UNKNOWN
    assert to_ann.text.startswith("Vous aviez demandé le ")
    assert f"\u00ab\u00a0{UNKNOWN}\u00a0\u00bb. Les modérateurs de la FAQ y ont répondu" in (
        to_ann.text
    )
    assert to_ann.text.endswith(ANSWER)
    assert labels(to_ann) == ["👍 Oui", "👎 Non"]
    assert to_ann.footer == "FAQ n° 51 · Était-ce utile\u202f?"
    # Ben reads English around the entry, which exists in French only.
    assert to_ben.text.startswith("On ") and f'you asked: "{UNKNOWN}"' in to_ben.text
    assert to_ben.text.endswith(ANSWER)
    assert labels(to_ben) == ["👍 Yes", "👎 No"]
    # The question has left the queue; the next person asking gets the entry at once.
    assert (await faq_app.services.get(FaqRepo).activity.unanswered())[1] == 0
    again = (await type_in(faq_app, f"/faq ask {UNKNOWN}", user="zoe")).message
    assert again.title == UNKNOWN and again.text == ANSWER


async def test_a_variant_sends_the_entry_it_joins(faq_app: BotApp, sent: RecordingSender) -> None:
    await type_in(faq_app, f"/faq ask {UNKNOWN}", user="ann")
    qid = await question_id(faq_app)
    done = await type_in(faq_app, f"/faq promote {qid} variant_of:24", role=EDITOR, user="eve")
    assert done.message.text.split("\n")[1] == (
        "La personne qui avait posé cette question a reçu la réponse en message privé."
    )
    entry = await faq_app.services.get(FaqRepo).get(24)
    assert entry is not None
    [(target, message)] = sent.sent
    assert target == "@ann"
    assert message.title == entry.draft.question
    assert message.text.endswith(entry.draft.answer)


async def test_a_failed_message_is_counted_and_the_others_still_go(
    faq_app: BotApp, sent: RecordingSender
) -> None:
    for user in ("ann", "ben"):
        await type_in(faq_app, f"/faq ask {UNKNOWN}", user=user)
    sent.failing.add("dm:ann")
    qid = await question_id(faq_app)
    done = await type_in(faq_app, f'/faq promote {qid} answer:"{ANSWER}"', role=EDITOR)
    assert done.message.text.split("\n")[1:] == [
        "La personne qui avait posé cette question a reçu la réponse en message privé.",
        "1 message privé n'a pas pu être envoyé (voir le journal).",
    ]
    assert sent.targets() == ["@ben"]


async def test_nobody_is_told_of_a_dismissed_question_or_twice_of_an_answer(
    faq_app: BotApp, sent: RecordingSender
) -> None:
    await type_in(faq_app, f"/faq ask {UNKNOWN}", user="ann")
    qid = await question_id(faq_app)
    await type_in(faq_app, f"/faq dismiss {qid}", role=EDITOR)
    assert sent.sent == []
    await type_in(faq_app, f"/faq ask {UNKNOWN}", user="ann")
    qid = await question_id(faq_app)
    # A member cannot answer a question (nor learn who asked it).
    refused = await type_in(faq_app, f'/faq promote {qid} answer:"{ANSWER}"', user="mal")
    assert refused.message.text.startswith("Cette commande est réservée aux éditeurs de la FAQ.")
    assert sent.sent == []
    await type_in(faq_app, f'/faq promote {qid} answer:"{ANSWER}"', role=EDITOR)
    late = await type_in(faq_app, f"/faq promote {qid} variant_of:24", role=EDITOR)
    assert late.message.text == (
        f"Je ne trouve pas de question sans réponse n° {qid} (déjà traitée\u202f?)."
    )
    assert sent.targets() == ["@ann"]  # told once


async def test_an_accepted_phrasing_tells_those_who_asked_in_its_words_but_did_not_pick(
    faq_app: BotApp, sent: RecordingSender
) -> None:
    unsure = "comment on paie la cotisation annuelle"  # suggestions 3, 36, 2 (eval FAQ)
    asked = (await type_in(faq_app, f"/faq ask {unsure}", user="ann")).message
    [pick] = [b for b in asked.buttons if b.action == "faq.pick" and b.args["entry"] == "3"]
    await faq_app.dispatcher.handle_action(
        console_caller(Role.MEMBER, "fr", "ann"), PLACE, pick.action, pick.value
    )
    await type_in(faq_app, f"/faq ask {unsure}", user="ben")  # saw the suggestions, left
    queue = (await type_in(faq_app, "/faq unanswered", role=EDITOR, user="eve")).message
    [accept] = [b for b in queue.buttons if b.action == "faq.accept"]
    reply = await faq_app.dispatcher.handle_action(
        console_caller(EDITOR, "fr", "eve"), PLACE, accept.action, accept.value
    )
    assert reply is not None
    assert reply.message.text.split("\n")[1] == (
        "La personne qui avait posé cette question a reçu la réponse en message privé."
    )
    # Ann picked that answer herself: only Ben hears of it.
    [(target, message)] = sent.sent
    assert target == "@ben"
    assert message.title == "Quand faut-il payer la cotisation ?"
    assert f"\u00ab\u00a0{unsure}\u00a0\u00bb" in message.text


# --- over the wire -------------------------------------------------------------------------


async def test_slack_askers_get_the_answer_in_a_direct_message(tmp_path: Path) -> None:
    async with FakeSlack() as slack, slack_bot(tmp_path, slack) as bot:
        add_people(slack)
        await load_eval_faq(bot.app)
        for user in (ALICE, BOB):
            ack = await bot.http.slash_command(command="/faq", text=f"ask {UNKNOWN}", user_id=user)
            assert ack.status == 200
        qid = await question_id(bot.app)
        # A member cannot answer it, nor have the bot write to the people who asked.
        refused = await bot.http.slash_command(
            command="/faq", text=f'promote {qid} answer:"{ANSWER}"', user_id=ALICE
        )
        assert "réservée aux éditeurs de la FAQ" in str(refused.body)
        assert slack.calls_to("chat.postMessage") == []
        done = await bot.http.slash_command(
            command="/faq", text=f'promote {qid} answer:"{ANSWER}"', user_id=STAFF
        )
        assert "Les 2 personnes qui avaient posé cette question" in str(done.body)
        posts = await slack.wait_for_call("chat.postMessage", count=2)
    opened = {
        c.response["channel"]["id"]: c.params["users"]
        for c in slack.calls_to("conversations.open")
        if c.response
    }
    assert sorted(opened.values()) == sorted([ALICE, BOB])
    by_user = {opened[p.params["channel"]]: str(p.params.get("blocks")) for p in posts}
    assert "Vous aviez demandé le" in by_user[ALICE] and "badge d" in by_user[ALICE]
    assert "you asked" in by_user[BOB] and "badge d" in by_user[BOB]


async def test_discord_askers_get_the_answer_in_a_direct_message(tmp_path: Path) -> None:
    async with fake_discord() as discord, running_bot(tmp_path, discord) as (app, _):
        await discord.wait_for_identify()
        await load_eval_faq(app)
        asked = await discord.dispatch_interaction(
            discord.slash_interaction(
                "faq ask", {"question": UNKNOWN}, user_id=DISCORD_ALICE.id, locale="fr"
            )
        )
        await discord.wait_for_callback(asked)
        qid = await question_id(app)
        promoted = await discord.dispatch_interaction(
            discord.slash_interaction(
                "faq promote",
                {"question": qid, "answer": ANSWER},
                user_id=DISCORD_STAFF.id,
                locale="fr",
            )
        )
        body = await discord.wait_for_callback(promoted)
        assert "La personne qui avait posé cette question" in str(body)
        dm = None
        for _ in range(100):
            channel = discord.dm_channel_id(DISCORD_ALICE.id)
            if channel is not None and discord.messages_in(channel):
                dm = discord.messages_in(channel)[0]
                break
            await asyncio.sleep(0.02)
    assert dm is not None
    embed = dm["embeds"][0]
    assert embed["title"] == UNKNOWN
    assert embed["description"].startswith("Vous aviez demandé le ")
    assert embed["description"].endswith(ANSWER)
