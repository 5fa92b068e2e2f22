"""The FAQ as members and moderators meet it, through the real dispatcher and database:
asking (every way people type), answers in the asker's language, suggestions, "I don't know"
recorded for moderators, feedback, curation, permissions."""

from __future__ import annotations

import pytest

from bot.app import BotApp
from bot.spec import Role
from commands.faq.store.entries import FaqRepo
from tests.conftest import console_caller
from tests.faq_support import actions, labels, type_in
from tests.recording import RecordingSender

MOD = Role.FAQ_EDITOR  # curating the FAQ is a federation-wide right, not a moderator's


def entry_of(reply) -> int | None:
    """The entry a reply answers with (its feedback buttons name it), None otherwise."""
    found = {args["entry"] for action, args in actions(reply.message) if action == "faq.feedback"}
    return int(found.pop()) if found else None


# --- every way people ask ------------------------------------------------------------------

ASKED = [
    ("exact", "Comment notre agence peut-elle devenir membre de la fédération ?", 1),
    ("no accents", "comment adherer a la federation", 1),
    ("typo", "combien coute la cotisaton", 2),
    ("sms", "qd faut payer la cotiz", 3),
    ("two keywords", "tarif adhésion", 2),
    (
        "chatty",
        "Hello tout le monde, on est trois de l'agence à vouloir venir au forum cette année, "
        "comment on fait pour s'inscrire ? merci d'avance",
        6,
    ),
    ("english for a french entry", "How do we become members of the federation?", 1),
    ("french for an english entry", "une délégation étrangère peut-elle participer au forum ?", 48),
]


@pytest.mark.parametrize(("kind", "question", "expected"), ASKED, ids=[k for k, _, _ in ASKED])
async def test_each_kind_of_question_gets_its_entry(
    faq_app: BotApp, kind: str, question: str, expected: int
) -> None:
    reply = await type_in(faq_app, f"/faq ask {question}")
    assert not reply.is_error
    assert entry_of(reply) == expected, reply.message.plain_text()


async def test_the_answer_is_in_the_language_the_question_was_asked_in(faq_app: BotApp) -> None:
    english = (await type_in(faq_app, "/faq ask how much is the membership fee?")).message
    assert english.title == "How much is the annual membership fee?"
    assert english.text.startswith("The fee depends on the agency's size")
    assert labels(english)[:2] == ["👍 Yes", "👎 No"]  # the whole answer in English
    assert labels(english)[2:] in ([], ["Other possible answers"])
    french = (await type_in(faq_app, "/faq ask combien coûte la cotisation ?", lang="en")).message
    assert french.title == "Combien coûte la cotisation annuelle ?"
    assert french.footer == "FAQ n° 2 · Était-ce utile ?"


async def test_an_entry_without_translation_answers_in_its_own_language(faq_app: BotApp) -> None:
    # Entry 49 exists only in English; a French question still finds it (lexicon).
    reply = await type_in(
        faq_app, "/faq ask la fédération peut-elle écrire une lettre de soutien ?"
    )
    assert entry_of(reply) == 49
    assert reply.message.title == "Can the federation write a support letter for our EU project?"


async def test_out_of_scope_is_not_answered_but_recorded_most_frequent_first(
    faq_app: BotApp,
) -> None:
    asked = (
        ("quel temps fera-t-il demain à Lyon ?", 1),
        ("recette de la pâte à crêpes", 2),
        ("Recette de la pâte à crêpes ?", 1),  # the same question, counted with it
    )
    for question, times in asked:
        for n in range(times):
            reply = await type_in(faq_app, f"/faq ask {question}", user=f"u{n}")
            assert entry_of(reply) is None and not reply.message.buttons
            assert reply.message.text.startswith("Je ne connais pas encore la réponse")
    listed = (await type_in(faq_app, "/faq unanswered", role=MOD)).message
    assert listed.title == "2 questions sans réponse"
    assert [f.name for f in listed.fields] == [
        "n° 2 · posée 3 fois · 2 personnes",  # two people: u0 asked it twice
        "n° 1 · posée 1 fois · 1 personne",
    ]
    assert listed.fields[0].value.startswith("recette de la pâte à crêpes\n")
    assert actions(listed)[:2] == [
        ("faq.promote", {"question": "2"}),
        ("faq.promote", {"question": "1"}),
    ]


async def test_a_vague_question_asks_for_more_and_records_nothing(faq_app: BotApp) -> None:
    reply = await type_in(faq_app, "/faq ask bonjour ?")
    assert reply.is_error and "préciser" in reply.message.text
    assert (await type_in(faq_app, "/faq unanswered", role=MOD)).message.text.startswith("Aucune")


async def test_an_ambiguous_question_offers_the_closest_entries(faq_app: BotApp) -> None:
    reply = await type_in(faq_app, "/faq ask cotisation")
    message = reply.message
    assert entry_of(reply) is None
    assert message.text.startswith("Je ne suis pas sûr de la réponse. Vouliez-vous dire :")
    shown = [args["entry"] for action, args in actions(message) if action == "faq.pick"]
    assert 2 <= len(shown) <= 3 and "2" in shown and "3" in shown
    (button,) = [b for b in message.buttons if b.args["entry"] == "3"]
    clicked = await faq_app.dispatcher.handle_action(
        console_caller(Role.MEMBER), _place(), button.action, button.value
    )
    assert clicked is not None and clicked.message.title == "Quand faut-il payer la cotisation ?"


def _place():
    from tests.conftest import PLACE

    return PLACE


# --- feedback and statistics ---------------------------------------------------------------


async def test_feedback_is_one_vote_per_member_and_shows_in_stats(faq_app: BotApp) -> None:
    answer = (await type_in(faq_app, "/faq ask comment adhérer à la fédération ?")).message
    yes, no = answer.buttons[:2]
    assert (yes.action, dict(yes.args)) == (
        "faq.feedback",
        {"entry": "1", "helpful": "yes", "ask": yes.args["ask"]},
    )
    for user, button in (("ann", yes), ("ben", yes), ("cat", no), ("cat", yes), ("dan", no)):
        reply = await faq_app.dispatcher.handle_action(
            console_caller(Role.MEMBER, user=user), _place(), button.action, button.value
        )
        assert reply is not None and reply.message.text.startswith("Merci")
    await type_in(faq_app, "/faq ask recette de la pâte à crêpes")
    stats = (await type_in(faq_app, "/faq stats", role=MOD)).message
    values = {f.name: f.value for f in stats.fields}
    assert values["Entrées"] == "50 (dont 37 traduites)"
    assert values["Questions posées (30 derniers jours)"] == "2"
    assert values["Réponses"] == "répondues 50 % · suggestions 0 % · sans réponse 50 %"
    assert values["Avis (👍 / 👎)"].startswith(
        "n° 1 Comment adhérer à la fédération ? : 👍 3 · 👎 1"
    )
    # Cat and Dan found that answer unhelpful: the question waits for the editors, twice.
    assert values["Questions sans réponse les plus fréquentes"] == (
        "×2 comment adhérer à la fédération ?\n×1 recette de la pâte à crêpes"
    )


# --- moderators curate ---------------------------------------------------------------------


async def test_add_with_variants_tags_and_translation_then_ask(app: BotApp) -> None:
    reply = await type_in(
        app,
        '/faq add "Où trouver le kit presse ?" "Dans l\'espace membres, rubrique presse." '
        'tags:"presse, communication" variants:"kit média | dossier de presse" '
        'translated_question:"Where is the press kit?" translated_answer:"In the members\' area."',
        role=MOD,
    )
    assert reply.message.text == "Entrée n° 1 ajoutée : « Où trouver le kit presse ? »."
    assert not reply.ephemeral
    assert entry_of(await type_in(app, "/faq ask dossier de presse")) == 1
    english = await type_in(app, "/faq ask where can I find the press kit?")
    assert english.message.text == "In the members' area."
    shown = (await type_in(app, "/faq show 1", role=MOD)).message
    fields = {f.name: f.value for f in shown.fields}
    assert fields["Variantes"] == "1. kit média\n2. dossier de presse"
    assert fields["Thèmes"] == "presse, communication"
    assert fields["Langues"] == "fr, en"


async def test_add_warns_of_a_look_alike(faq_app: BotApp) -> None:
    reply = await type_in(
        faq_app, '/faq add "Comment adhérer à notre fédération ?" "Voir le formulaire."', role=MOD
    )
    assert "Attention : elle ressemble à l'entrée n° 1" in reply.message.text


async def test_edit_changes_fields_variants_and_translation(faq_app: BotApp) -> None:
    await type_in(
        faq_app,
        '/faq edit 2 answer:"1 600 € en 2027." add_variants:"prix annuel" remove_variants:1 '
        'translated_answer:"€1,600 in 2027."',
        role=MOD,
    )
    entry = await faq_app.services.get(FaqRepo).get(2)
    assert entry is not None
    assert entry.draft.answer == "1 600 € en 2027."
    assert entry.draft.variants == ("Tarif de l'adhésion", "prix annuel")
    assert entry.draft.translations["en"] == (
        "How much is the annual membership fee?",
        "€1,600 in 2027.",
    )
    assert (await type_in(faq_app, "/faq ask prix annuel")).message.text == "1 600 € en 2027."
    await type_in(faq_app, "/faq edit 2 translated_question:- tags:-", role=MOD)
    entry = await faq_app.services.get(FaqRepo).get(2)
    assert entry is not None and entry.draft.translations == {} and entry.draft.tags == ()
    nothing = await type_in(faq_app, "/faq edit 2", role=MOD)
    assert nothing.is_error and nothing.message.text.startswith("Rien à modifier")


async def test_remove_asks_for_confirmation_then_the_entry_is_gone(faq_app: BotApp) -> None:
    asked = (await type_in(faq_app, "/faq remove 29", role=MOD)).message
    assert asked.text.startswith("Supprimer l'entrée n° 29 « Où télécharger le logo")
    assert actions(asked) == [("faq.remove_confirmed", {"id": "29"})]
    assert await faq_app.services.get(FaqRepo).get(29) is not None  # nothing removed yet
    done = await faq_app.dispatcher.handle_action(
        console_caller(MOD), _place(), "faq.remove_confirmed", asked.buttons[0].value
    )
    assert done is not None and done.replace_original
    assert done.message.text == "Entrée n° 29 supprimée."
    assert await faq_app.services.get(FaqRepo).get(29) is None
    assert entry_of(await type_in(faq_app, "/faq ask où est le logo de la fédération ?")) is None


async def test_list_is_paginated_and_filtered_by_tag(faq_app: BotApp) -> None:
    first = (await type_in(faq_app, "/faq list", role=MOD)).message
    assert first.title == "FAQ : 50 entrées" and first.footer == "Page 1 sur 5"
    assert (
        first.text.splitlines()[0]
        == "n° 1 [fr] Comment adhérer à la fédération ? — adhésion, membre"
    )
    assert actions(first) == [("faq.list", {"page": "2"})]
    tagged = (await type_in(faq_app, "/faq list tag:Cotisation", role=MOD)).message
    assert tagged.title == "FAQ : 3 entrées"
    assert [line.split(" ")[1] for line in tagged.text.splitlines()] == ["2", "3", "36"]


async def test_an_unanswered_question_becomes_an_entry_or_a_variant(faq_app: BotApp) -> None:
    sent = RecordingSender()
    faq_app.outbound.register(sent)
    for user in ("ann", "ben"):
        await type_in(faq_app, "/faq ask quel est le code wifi des locaux ?", user=user)
    offered = await type_in(faq_app, "/faq ask on paie la cotisation comment ?")
    assert entry_of(offered) is None  # suggestions only: recorded as unanswered too
    guidance = (await type_in(faq_app, "/faq promote 2", role=MOD)).message
    assert "/faq transformer 2 reponse:" in guidance.text
    variant_of = [args.get("variant_of") for action, args in actions(guidance)]
    assert "3" in variant_of  # among the closest entries: when to pay the fee
    created = await type_in(faq_app, '/faq promote 1 answer:"Demandez-le à l\'accueil."', role=MOD)
    assert created.message.text == (
        "Entrée n° 51 créée : « quel est le code wifi des locaux ? ».\n"
        "Les 2 personnes qui avaient posé cette question ont reçu la réponse en message privé."
    )
    assert sent.targets() == ["@ann", "@ben"]  # see test_faq_answered.py
    await type_in(faq_app, "/faq promote 2 variant_of:3", role=MOD)
    entry = await faq_app.services.get(FaqRepo).get(3)
    assert entry is not None
    assert "on paie la cotisation comment ?" in entry.draft.variants
    assert (await type_in(faq_app, "/faq unanswered", role=MOD)).message.text.startswith("Aucune")
    assert entry_of(await type_in(faq_app, "/faq ask code du wifi ?")) == 51
    assert entry_of(await type_in(faq_app, "/faq ask on paie la cotisation comment")) == 3


async def test_bad_input_gets_a_clear_message_and_changes_nothing(faq_app: BotApp) -> None:
    cases = {
        "/faq show abc": "« abc » n'est pas un numéro d'entrée",
        "/faq show 999": "Je ne trouve pas d'entrée n° 999",
        '/faq add "Qui ?" "x" tags:"a,b,c,d,e,f,g,h,i,j,k"': "Thèmes invalides : 10 au maximum",
        '/faq add "Une question ?" "Une réponse." translated_question:"A question?"': (
            "Une traduction a besoin de sa question et de sa réponse"
        ),
        '/faq add "?" "Une réponse."': "Une question compte de 3 à 300 caractères.",
        "/faq promote 77": "Je ne trouve pas de question sans réponse n° 77",
    }
    for line, expected in cases.items():
        reply = await type_in(faq_app, line, role=MOD)
        assert reply.is_error and expected in reply.message.text, (line, reply.message.text)
    assert len(faq_app.services.get(FaqRepo).index) == 50


# --- permissions ---------------------------------------------------------------------------

MEMBER_REFUSED = [
    '/faq add "Une question ?" "Une réponse."',
    "/faq edit 1 answer:x",
    "/faq remove 1",
    "/faq remove_confirmed 1",
    "/faq list",
    "/faq unanswered",
    '/faq promote 1 answer:"x"',
    "/faq dismiss 1",
    "/faq stats",
    "/faq passive on",
]


@pytest.mark.parametrize("line", MEMBER_REFUSED)
@pytest.mark.parametrize("role", [Role.MEMBER, Role.MODERATOR])
async def test_members_and_agency_moderators_may_not_curate(
    faq_app: BotApp, line: str, role: Role
) -> None:
    reply = await type_in(faq_app, line, role=role)
    assert reply.is_error, reply.message.text
    if "passive" in line:  # switched by the channel's agency's moderators: this is no agency's
        expected = "réservée aux modérateurs" if role is Role.MEMBER else "aucune agence"
    else:
        expected = "réservée aux éditeurs de la FAQ"
    assert expected in reply.message.text
    assert (await faq_app.services.get(FaqRepo).get(1)) is not None


async def test_members_see_an_entry_without_the_moderators_details(faq_app: BotApp) -> None:
    member = (await type_in(faq_app, "/faq show 1")).message
    moderator = (await type_in(faq_app, "/faq show 1", role=MOD)).message
    assert member.fields == () and labels(member) == ["👍 Oui", "👎 Non"]
    assert "Supprimer" in labels(moderator) and moderator.fields


async def test_entry_numbers_autocomplete_by_number_or_words(faq_app: BotApp) -> None:
    services, caller = faq_app.services, console_caller()
    completer = faq_app.completer
    by_number = await completer.complete("faq", services, "3", caller)
    assert by_number[0] == ("3 · Quand faut-il payer la cotisation ?", "3")
    by_words = await completer.complete("faq", services, "cotisation", caller)
    assert {value for _, value in by_words} == {"2", "3", "36"}
