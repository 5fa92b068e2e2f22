"""The three outcomes of `faq ask` and the learning loop, as members and FAQ editors meet them:
"Other possible answers" under a confident answer, suggestions as buttons that teach the FAQ
the asker's words, one-click accept/reject in `faq unanswered`, auto-acceptance after N
distinct people, and who may do what (a member, a stranger, tampered button values). Over the
wire too: Slack's HTTP mode, with slack-bolt against the fake Slack."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import BotApp
from bot.clock import FixedClock
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Message, Reply
from bot.spec import Role
from commands.faq.store.entries import FaqRepo
from fedbot.assembly import make_app
from tests.conftest import T0, console_caller, make_config
from tests.fakes.slack_server import FakeSlack
from tests.faq_support import actions, labels, load_eval_faq, type_in
from tests.slack_harness import ALICE, BOB, STAFF, add_people, slack_bot

EDITOR = Role.FAQ_EDITOR
PLACE = Place(ChannelRef("console", "local", "general"))
UNSURE = "comment on paie la cotisation annuelle"  # suggestions: 3, 36, 2 (eval FAQ)
SURE = "combien coûte la cotisation ?"  # answer 2, others 3 and 36


async def click(
    app: BotApp, action: str, value: str, *, role: Role = Role.MEMBER, user: str = "ann"
) -> Reply:
    reply = await app.dispatcher.handle_action(
        console_caller(role, "fr", user), PLACE, action, value
    )
    assert reply is not None
    return reply


def button(message: Message, action: str, **args: str) -> tuple[str, str]:
    found = [
        b
        for b in message.buttons
        if b.action == action and all(b.args[k] == v for k, v in args.items())
    ]
    assert found, (action, args, actions(message))
    return found[0].action, found[0].value


async def pick(app: BotApp, entry: str, user: str, question: str = UNSURE) -> Reply:
    asked = (await type_in(app, f"/faq ask {question}", user=user)).message
    return await click(app, *button(asked, "faq.pick", entry=entry), user=user)


# --- three outcomes ------------------------------------------------------------------------


async def test_a_confident_answer_offers_the_other_possible_answers(faq_app: BotApp) -> None:
    answer = (await type_in(faq_app, f"/faq ask {SURE}")).message
    assert answer.title == "Combien coûte la cotisation annuelle ?"
    assert labels(answer) == ["👍 Oui", "👎 Non", "Autres réponses possibles"]
    others = (await click(faq_app, *button(answer, "faq.others"))).message
    assert others.text.startswith("Autres réponses possibles\u00a0:")
    assert [args["entry"] for _, args in actions(others)] == ["3", "36"]
    english = await type_in(faq_app, "/faq ask how much is the membership fee?", lang="en")
    assert labels(english.message)[-1] == "Other possible answers"


async def test_unsure_suggests_buttons_and_unknown_says_a_moderator_will_see(
    faq_app: BotApp,
) -> None:
    unsure = (await type_in(faq_app, f"/faq ask {UNSURE}")).message
    assert unsure.text.startswith("Je ne suis pas sûr de la réponse. Vouliez-vous dire\u00a0:")
    assert [args["entry"] for _, args in actions(unsure)] == ["3", "36", "2"]
    assert len(labels(unsure)) == 3
    assert unsure.text.endswith(
        "votre question est transmise aux modérateurs de la FAQ\u00a0: vous recevrez leur "
        "réponse en message privé."
    )
    unknown = (await type_in(faq_app, "/faq ask recette de la pâte à crêpes")).message
    assert unknown.buttons == ()
    assert "transmise aux modérateurs" in unknown.text
    english = (await type_in(faq_app, "/faq ask best crepe recipe", lang="en")).message
    assert "passed your question on to the FAQ's moderators" in english.text


# --- the learning loop ---------------------------------------------------------------------


async def test_a_picked_suggestion_waits_for_an_editor_then_answers(faq_app: BotApp) -> None:
    shown = (await pick(faq_app, "3", "ann")).message
    assert shown.title == "Quand faut-il payer la cotisation ?"
    queue = (await type_in(faq_app, "/faq unanswered", role=EDITOR)).message
    fields = {f.name: f.value for f in queue.fields}
    name = "Formulation n° 1 proposée pour l'entrée n° 3 · 1 personne"
    assert fields[name].startswith("«\u00a0comment on paie la cotisation annuelle\u00a0» →")
    assert labels(queue)[:2] == ["✓ Accepter n° 1", "✗ Rejeter n° 1"]
    accepted = await click(faq_app, *button(queue, "faq.accept"), role=EDITOR, user="eve")
    assert accepted.message.text == (
        "«\u00a0comment on paie la cotisation annuelle\u00a0» est désormais une variante "
        "de l'entrée n° 3."
    )
    again = (await type_in(faq_app, f"/faq ask {UNSURE}", user="ben")).message
    assert again.title == "Quand faut-il payer la cotisation ?"  # answered now, with confidence
    entry = await faq_app.services.get(FaqRepo).get(3)
    assert entry is not None and entry.draft.variants[-1] == UNSURE
    # Its unanswered question went with it; nothing else waits.
    empty = (await type_in(faq_app, "/faq unanswered", role=EDITOR)).message
    assert UNSURE not in empty.plain_text()


async def test_helpful_makes_a_phrasing_and_reject_drops_it(faq_app: BotApp) -> None:
    answer = (await type_in(faq_app, "/faq ask webinaire replay", user="ann")).message
    await click(faq_app, *button(answer, "faq.feedback", helpful="yes"))
    queue = (await type_in(faq_app, "/faq unanswered", role=EDITOR)).message
    assert "Formulation n° 1 proposée pour l'entrée n° 43 · 1 personne" in [
        f.name for f in queue.fields
    ]
    rejected = await click(faq_app, *button(queue, "faq.reject"), role=EDITOR)
    assert rejected.message.text.startswith("«\u00a0webinaire replay\u00a0» ne sera pas")
    entry = await faq_app.services.get(FaqRepo).get(43)
    assert entry is not None and "webinaire replay" not in entry.draft.variants
    assert (await type_in(faq_app, "/faq unanswered", role=EDITOR)).message.text.startswith(
        "Aucune"
    )


async def test_a_pick_while_its_ask_is_being_written_still_teaches(faq_app: BotApp) -> None:
    asked = (await type_in(faq_app, f"/faq ask {UNSURE}", user="ann")).message
    asks = faq_app.services.get(FaqRepo).activity.asks
    # Another writer holds the database: the ask's batch is taken from the queue and its
    # transaction waits, while the member picks a suggestion.
    async with faq_app.db.write():
        writing = asyncio.create_task(asks.flush())
        await asyncio.sleep(0.05)
        picked = asyncio.create_task(click(faq_app, *button(asked, "faq.pick", entry="3")))
        await asyncio.sleep(0.3)
    assert await writing == 1
    assert (await picked).message.title == "Quand faut-il payer la cotisation ?"
    queue = (await type_in(faq_app, "/faq unanswered", role=EDITOR)).message
    assert "Formulation n° 1 proposée pour l'entrée n° 3 · 1 personne" in [
        f.name for f in queue.fields
    ]


async def test_words_the_entry_already_has_teach_nothing(faq_app: BotApp) -> None:
    answer = (await type_in(faq_app, "/faq ask Comment adhérer à la fédération ?")).message
    await click(faq_app, *button(answer, "faq.feedback", helpful="yes"))
    assert (await faq_app.services.get(FaqRepo).activity.phrasings.pending())[1] == 0


async def test_auto_accept_after_n_distinct_people(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"faq": {"auto_accept_after": 2}})
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        await load_eval_faq(app)
        await pick(app, "3", "ann")
        await pick(app, "3", "ann")  # the same person twice is one person
        phrasings = app.services.get(FaqRepo).activity.phrasings
        [waiting], _ = await phrasings.pending()
        assert waiting.supporters == 1
        await pick(app, "3", "ben")
        assert (await phrasings.pending())[1] == 0
        entry = await app.services.get(FaqRepo).get(3)
        assert entry is not None and UNSURE in entry.draft.variants
        answered = (await type_in(app, f"/faq ask {UNSURE}", user="cat")).message
        assert answered.title == "Quand faut-il payer la cotisation ?"


# --- rights and tampered buttons -----------------------------------------------------------


async def test_only_editors_accept_or_reject(faq_app: BotApp) -> None:
    await pick(faq_app, "3", "ann")
    for role in (Role.MEMBER, Role.MODERATOR):
        for action in ("faq.accept", "faq.reject"):
            refused = await click(faq_app, action, "phrasing=1", role=role)
            assert refused.is_error
    stranger = Caller("slack", "T0STRANGER", "U1", "Eve", "en")  # outside the federation
    outside = await faq_app.dispatcher.handle_action(stranger, PLACE, "faq.accept", "phrasing=1")
    assert outside is None or outside.is_error
    assert (await faq_app.services.get(FaqRepo).activity.phrasings.pending())[1] == 1
    entry = await faq_app.services.get(FaqRepo).get(3)
    assert entry is not None and UNSURE not in entry.draft.variants


async def test_tampered_button_values_teach_nothing_and_break_nothing(faq_app: BotApp) -> None:
    phrasings = faq_app.services.get(FaqRepo).activity.phrasings
    made_up = await click(faq_app, "faq.pick", "entry=3&ask=AAAAAAAAAAAA")
    assert made_up.message.title == "Quand faut-il payer la cotisation ?"  # shown, not learnt
    assert (await click(faq_app, "faq.pick", "entry=999&ask=x")).is_error
    assert (await click(faq_app, "faq.pick", "entry=abc")).is_error
    assert (await click(faq_app, "faq.feedback", "entry=3&helpful=yes&ask=nope")).message.text
    gone = await click(faq_app, "faq.others", "ids=999999,abc,-1")
    assert gone.message.text.startswith("Ces entrées n'existent plus")
    assert (await phrasings.pending())[1] == 0
    missing = await click(faq_app, "faq.accept", "phrasing=42", role=EDITOR)
    assert missing.is_error and "formulation proposée n° 42" in missing.message.text


# --- over the wire: Slack HTTP mode ---------------------------------------------------------


@pytest.fixture
async def slack() -> FakeSlack:
    async with FakeSlack() as server:
        add_people(server)
        yield server


async def test_slack_suggestion_click_and_editor_accept(tmp_path: Path, slack: FakeSlack) -> None:
    async with slack_bot(tmp_path, slack) as bot:
        await load_eval_faq(bot.app)
        asked = await bot.http.slash_command(command="/faq", text=f"ask {UNSURE}", user_id=ALICE)
        [row] = [b for b in asked.body["blocks"] if b["type"] == "actions"]
        assert len(row["elements"]) == 3
        first = row["elements"][0]
        await bot.http.block_action(
            action_id=first["action_id"], value=first["value"], user_id=ALICE
        )
        [shown] = await slack.wait_for_response_url_post()
        assert "Quand faut-il payer la cotisation" in str(shown.body)
        queue = await bot.http.slash_command(command="/faq", text="unanswered", user_id=STAFF)
        buttons = [e for b in queue.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
        accept = next(e for e in buttons if e["text"]["text"] == "✓ Accepter n° 1")
        # A member clicking the editor's button (a copied value) is refused.
        await bot.http.block_action(
            action_id=accept["action_id"], value=accept["value"], user_id=BOB
        )
        [_, refused] = await slack.wait_for_response_url_post(count=2)
        assert (await bot.app.services.get(FaqRepo).activity.phrasings.pending())[1] == 1
        await bot.http.block_action(
            action_id=accept["action_id"], value=accept["value"], user_id=STAFF
        )
        [*_, done] = await slack.wait_for_response_url_post(count=3)
        again = await bot.http.slash_command(command="/faq", text=f"ask {UNSURE}", user_id=BOB)
    assert "variante de l'entrée n° 3" in str(done.body)
    assert "Quand faut-il payer la cotisation" in str(again.body["blocks"][0])
    assert "This command is for FAQ editors only" in refused.body["text"]  # Bob reads English
