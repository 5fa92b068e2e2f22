""" "Add to FAQ" on a reply in a chat thread: the thread's question and the reply become an
entry. Through the core, as the adapters call it (the message's menu fills the command's
options: tests/test_slack_message_actions.py and tests/test_discord_message_actions.py run it
over the wire); who may, what is refused, and who is told."""

from __future__ import annotations

import pytest

from bot.app import BotApp
from bot.messages import Reply
from bot.spec import Role
from commands.faq.messages import entry_question
from commands.faq.store.entries import FaqRepo
from fedbot.assembly import full_registry
from tests.conftest import PLACE, console_caller
from tests.faq_support import actions, type_in
from tests.recording import recorder

EDITOR = Role.FAQ_EDITOR
ROOT = (
    "Bonjour à tous ! Je viens d'arriver à l'agence. Où peut-on garer un vélo cargo près du siège ?"
)
QUESTION = "Où peut-on garer un vélo cargo près du siège ?"
REPLY = "Au local vélos de la cour, avec le badge d'accueil."


async def act(app: BotApp, answer: str, parent: str, role: Role = EDITOR) -> Reply:
    """What an adapter does when someone picks "Add to FAQ" in a message's menu."""
    reply = await app.dispatcher.handle(
        console_caller(role, "fr", "eve"),
        PLACE,
        ("faq", "from_message"),
        {"answer": answer, "question": parent},
    )
    assert reply is not None
    return reply


def test_it_is_offered_in_a_message_s_menu_and_nowhere_else() -> None:
    registry = full_registry()
    [spec] = registry.message_actions()
    assert spec.action_id == "faq.from_message" and spec.hidden
    assert spec.message_action is not None
    assert (spec.message_action.label.fr, spec.message_action.label.en) == (
        "Ajouter à la FAQ",
        "Add to FAQ",
    )


async def test_a_reply_becomes_an_entry_and_the_asker_is_told(faq_app: BotApp) -> None:
    sent = recorder(faq_app)
    await type_in(faq_app, f"/faq ask {QUESTION.lower()}", user="ann")  # "I don't know"
    reply = (await act(faq_app, REPLY, ROOT)).message
    lines = reply.text.split("\n")
    assert lines[0] == (
        f"Entrée n° 51 créée à partir de ce fil\u00a0: «\u00a0{QUESTION}\u00a0». "
        "Modifiez-la avec /faq modifier 51."
    )
    assert (
        lines[1] == "La personne qui avait posé cette question a reçu la réponse en message privé."
    )
    assert actions(reply) == [("faq.show", {"id": "51"}), ("faq.remove", {"id": "51"})]
    entry = await faq_app.services.get(FaqRepo).get(51)
    assert entry is not None
    assert (entry.draft.question, entry.draft.answer, entry.draft.lang) == (QUESTION, REPLY, "fr")
    [(target, message)] = sent.sent
    assert (target, message.title) == ("@ann", QUESTION)
    assert message.text.endswith(REPLY)
    # The next person asking gets it.
    again = await type_in(faq_app, "/faq ask où garer un vélo cargo près du siège", user="zoe")
    assert again.message.title == QUESTION


async def test_greetings_are_dropped_and_an_entry_that_already_answered_is_named(
    faq_app: BotApp,
) -> None:
    reply = await act(faq_app, "Par le formulaire.", "Salut, comment adhérer à la fédé ? Merci")
    assert reply.message.text.split("\n") == [
        "Entrée n° 51 créée à partir de ce fil\u00a0: «\u00a0Comment adhérer à la fédé ?\u00a0». "
        "Modifiez-la avec /faq modifier 51.",
        "L'entrée n° 1 «\u00a0Comment adhérer à la fédération ?\u00a0» répondait déjà à une "
        "question proche\u00a0: s'il s'agit de la même, supprimez la nouvelle et ajoutez plutôt "
        "une variante.",
    ]
    assert actions(reply.message) == [
        ("faq.show", {"id": "51"}),
        ("faq.merge", {"entry": "51", "into": "1"}),
        ("faq.remove", {"id": "51"}),
    ]
    merge = reply.message.buttons[1]
    assert merge.label == "En faire une variante de n° 1"
    member = console_caller(Role.MEMBER, "fr", "mal")
    refused = await faq_app.dispatcher.handle_action(member, PLACE, merge.action, merge.value)
    assert refused is not None and refused.is_error  # FAQ editors only
    editor = console_caller(EDITOR, "fr", "eve")
    merged = await faq_app.dispatcher.handle_action(editor, PLACE, merge.action, merge.value)
    assert merged is not None and merged.replace_original
    assert merged.message.text == (
        "L'entrée n° 51 est supprimée\u00a0: sa question «\u00a0Comment adhérer à la fédé ?\u00a0» "
        "est désormais une variante de l'entrée n° 1."
    )
    faq = faq_app.services.get(FaqRepo)
    first = await faq.get(1)
    assert await faq.get(51) is None and first is not None
    assert first.draft.variants[-1] == "Comment adhérer à la fédé ?"
    again = await faq_app.dispatcher.handle_action(editor, PLACE, merge.action, merge.value)
    assert again is not None and again.message.text.startswith("Je ne trouve pas d'entrée n° 51")


async def test_refused_to_a_member_and_to_a_message_answering_nothing(faq_app: BotApp) -> None:
    refused = await act(faq_app, REPLY, ROOT, role=Role.MEMBER)
    assert refused.is_error
    assert refused.message.text.startswith("Cette commande est réservée aux éditeurs de la FAQ.")
    alone = await act(faq_app, REPLY, "")
    assert alone.is_error
    assert alone.message.text.startswith(
        "Je ne trouve pas de question à laquelle ce message répond."
    )
    too_long = await act(faq_app, "x" * 2001, ROOT)
    assert too_long.is_error and "2000" in too_long.message.text.replace("\u202f", "")
    assert len(await faq_app.services.get(FaqRepo).all()) == 50  # nothing was created


@pytest.mark.parametrize(
    ("message", "question"),
    [
        # the example of docs/faq.md
        (
            "Bonjour à tous ! Je viens d'arriver. Où peut-on garer un vélo cargo ?",
            "Où peut-on garer un vélo cargo ?",
        ),
        ("Salut, comment adhérer à la fédé ? Merci", "Comment adhérer à la fédé ?"),
        ("hello everyone, where is the press kit?", "Where is the press kit?"),
        ("Où est le kit presse ?", "Où est le kit presse ?"),
    ],
)
def test_a_thread_s_message_made_a_question(message: str, question: str) -> None:
    assert entry_question(message) == question
