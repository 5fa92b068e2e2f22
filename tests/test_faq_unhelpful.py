"""An answer marked "not helpful" sends its question to the FAQ editors: the member is offered
the other entries it came close to, the question joins `faq unanswered`, and when an editor
answers it the member gets that answer by direct message. In the console, and over the wire on
Slack (slack-bolt against the fake Slack) and Discord (discord.py against the fake Discord)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import BotApp
from bot.spec import Role
from commands.faq.store.activity import Unanswered
from commands.faq.store.entries import FaqRepo
from tests.conftest import PLACE, console_caller
from tests.discord_harness import ALICE as DISCORD_ALICE
from tests.discord_harness import fake_discord, running_bot
from tests.fakes.slack_server import FakeSlack
from tests.faq_support import actions, load_eval_faq, type_in
from tests.recording import RecordingSender, recorder
from tests.slack_harness import ALICE, STAFF, add_people, slack_bot
from tests.test_faq_learning import button, click

EDITOR = Role.FAQ_EDITOR
SURE = "combien coûte la cotisation ?"  # answered with entry 2, others 3 and 36 (eval FAQ)
FEE = "Combien coûte la cotisation annuelle ?"


@pytest.fixture
def sent(app: BotApp) -> RecordingSender:
    return recorder(app)


async def waiting(app: BotApp) -> list[Unanswered]:
    return (await app.services.get(FaqRepo).activity.unanswered())[0]


async def test_not_helpful_offers_the_other_entries_and_reaches_the_editors(
    faq_app: BotApp, sent: RecordingSender
) -> None:
    answer = (await type_in(faq_app, f"/faq ask {SURE}", user="ann")).message
    assert answer.title == FEE
    assert await waiting(faq_app) == []  # answered: nothing for the editors yet
    no = (await click(faq_app, *button(answer, "faq.feedback", helpful="no"))).message
    assert no.text.split("\n") == [
        f"Merci de nous l'avoir dit. Votre question «\u00a0{SURE}\u00a0» est transmise aux "
        "modérateurs de la FAQ\u00a0: quand ils y auront répondu, je vous enverrai leur "
        "réponse en message privé.",
        "En attendant, l'une de ces réponses vous aidera peut-être\u00a0:",
        "• n° 3 — Quand faut-il payer la cotisation ?",
        "• n° 36 — Comment obtenir une facture pour la cotisation ?",
    ]
    assert [args["entry"] for _, args in actions(no)] == ["3", "36"]
    # The question waits for the editors, near the entry that did not help; Ann among its askers.
    [question] = await waiting(faq_app)
    assert (question.text, question.askers, question.nearest_entry_id) == (SURE, 1, 2)
    queue = (await type_in(faq_app, "/faq unanswered", role=EDITOR, user="eve")).message
    [near] = [f.name for f in queue.fields if f.name.startswith("Près de l'entrée n° 2")]
    assert near.endswith(" · 👎 réponse jugée inutile par 1 personne")
    # A second click is not a second question.
    await click(faq_app, *button(answer, "faq.feedback", helpful="no"))
    [again] = await waiting(faq_app)
    assert (again.count, again.askers, again.unhelpful) == (1, 1, 1)
    # The editor answers it as a variant of another entry: Ann is told, by direct message.
    done = await type_in(
        faq_app, f"/faq promote {question.id} variant_of:3", role=EDITOR, user="eve"
    )
    assert done.message.text.split("\n")[1] == (
        "La personne qui avait posé cette question a reçu la réponse en message privé."
    )
    [(target, message)] = sent.sent
    assert target == "@ann"
    assert message.title == "Quand faut-il payer la cotisation ?"
    assert f"\u00ab\u00a0{SURE}\u00a0\u00bb" in message.text
    # "Not helpful" under that direct message counts the vote; there is no ask to route again.
    no_again = await click(faq_app, *button(message, "faq.feedback", helpful="no"))
    assert no_again.message.text.startswith("Merci\u00a0: les modérateurs verront")
    assert await waiting(faq_app) == []


async def test_not_helpful_in_english_and_helpful_routes_nothing(faq_app: BotApp) -> None:
    ben = console_caller(Role.MEMBER, "en", "ben")
    asked = "how much is the membership fee?"
    answer = (await type_in(faq_app, f"/faq ask {asked}", user="ben", lang="en")).message
    await faq_app.dispatcher.handle_action(
        ben, PLACE, *button(answer, "faq.feedback", helpful="yes")
    )
    assert await waiting(faq_app) == []
    no = await faq_app.dispatcher.handle_action(
        ben, PLACE, *button(answer, "faq.feedback", helpful="no")
    )
    assert no is not None
    assert no.message.text.startswith(
        f'Thanks for telling us. Your question "{asked}" has been passed on to the FAQ\'s '
        "moderators: once they have answered it, I will send you their answer in a direct "
        "message."
    )
    assert "\nMeanwhile, one of these answers may help:\n" in no.message.text
    [question] = await waiting(faq_app)
    assert (question.text, question.lang) == (asked, "en")


async def test_a_made_up_token_or_a_plain_answer_routes_nothing(faq_app: BotApp) -> None:
    forged = await click(faq_app, "faq.feedback", "entry=2&helpful=no&ask=AAAAAAAAAAAA")
    assert forged.message.text.startswith("Merci\u00a0: les modérateurs verront")
    shown = (await type_in(faq_app, "/faq show 2", user="ann")).message
    plain = await click(faq_app, *button(shown, "faq.feedback", helpful="no"))
    assert plain.message.text.startswith("Merci\u00a0: les modérateurs verront")
    assert await waiting(faq_app) == []


# --- over the wire -------------------------------------------------------------------------


async def test_slack_not_helpful_reaches_the_editors(tmp_path: Path) -> None:
    async with FakeSlack() as slack, slack_bot(tmp_path, slack) as bot:
        add_people(slack)
        await load_eval_faq(bot.app)
        asked = await bot.http.slash_command(command="/faq", text=f"ask {SURE}", user_id=ALICE)
        [row] = [b for b in asked.body["blocks"] if b["type"] == "actions"]
        [no] = [e for e in row["elements"] if e["text"]["text"] == "👎 Non"]
        await bot.http.block_action(action_id=no["action_id"], value=no["value"], user_id=ALICE)
        [routed] = await slack.wait_for_response_url_post()
        queue = await bot.http.slash_command(command="/faq", text="unanswered", user_id=STAFF)
    text = str(routed.body)
    assert "est transmise aux modérateurs de la FAQ" in text
    assert "Quand faut-il payer la cotisation" in text  # offered instead
    assert SURE in str(queue.body)


async def test_discord_not_helpful_reaches_the_editors(tmp_path: Path) -> None:
    async with fake_discord() as discord, running_bot(tmp_path, discord) as (app, _):
        await discord.wait_for_identify()
        await load_eval_faq(app)
        asked = await discord.dispatch_interaction(
            discord.slash_interaction(
                "faq ask", {"question": SURE}, user_id=DISCORD_ALICE.id, locale="fr"
            )
        )
        body = await discord.wait_for_callback(asked)
        buttons = [b for row in body["data"]["components"] for b in row["components"]]
        [no] = [b for b in buttons if b["label"] == "👎 Non"]
        original = discord.original_response(asked)
        assert original is not None
        clicked = await discord.dispatch_interaction(
            discord.component_interaction(
                no["custom_id"], int(original["id"]), user_id=DISCORD_ALICE.id, locale="fr"
            )
        )
        routed = await discord.wait_for_callback(clicked)
        for _ in range(50):
            if await waiting(app):
                break
            await asyncio.sleep(0.02)
        [question] = await waiting(app)
    assert "est transmise aux modérateurs de la FAQ" in str(routed)
    assert "Quand faut-il payer la cotisation" in str(routed)
    assert question.text == SURE


async def test_not_helpful_after_a_pick_withdraws_the_words_the_pick_proposed(
    faq_app: BotApp,
) -> None:
    unsure = "comment on paie la cotisation annuelle"  # suggestions 3, 36, 2 (eval FAQ)
    asked = (await type_in(faq_app, f"/faq ask {unsure}", user="ann")).message
    shown = (await click(faq_app, *button(asked, "faq.pick", entry="3"))).message
    phrasings = faq_app.services.get(FaqRepo).activity.phrasings
    assert (await phrasings.pending())[1] == 1  # Ann's words proposed for entry 3
    no = (await click(faq_app, *button(shown, "faq.feedback", helpful="no"))).message
    assert [args["entry"] for _, args in actions(no)] == ["36", "2"]
    assert (await phrasings.pending())[1] == 0  # withdrawn: entry 3 did not help her
    [question] = await waiting(faq_app)  # asked once, suggested: already waiting, counted once
    assert (question.text, question.count, question.askers) == (unsure, 1, 1)
