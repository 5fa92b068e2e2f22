"""`faq …` (issue #6): the specs of every FAQ command, and the feature's declaration.

Handlers live by concern: answers (ask, show, feedback), curation (add, edit, remove, list),
questions (unanswered, promote, dismiss, stats), passive (the listener, `faq passive`, the
start hook). The YAML import/export is a CLI tool (transfer), not a chat command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.feature import Feature
from bot.home import HomeSection
from bot.services import Services
from bot.spec import Choice, CommandSpec, GroupSpec, Handler, L10n, MessageAction, Role
from commands.faq import (
    answers,
    curation,
    learning,
    passive,
    privacy,  # noqa: F401 - registers the export of FAQ data
    questions,
    retention,  # noqa: F401 - registers how long the FAQ keeps what was asked
)
from commands.faq.demo import load_demo
from commands.faq.home import questions_home, queue_home
from commands.faq.options import (
    ADD_OPTIONS,
    ANSWER_MAX,
    ASK_TOKEN,
    CHOICE,
    EDIT_OPTIONS,
    ENTRY,
    ENTRY_NUMBER,
    ID_MAX,
    INT,
    LANG,
    PAGE,
    PHRASING_ID,
    QUESTION_ID,
    TAGS,
    T,
    opt,
)
from commands.faq.retrieval import RetrievalConfig
from commands.faq.store.entries import FaqRepo
from commands.faq.store.reports import FaqReports
from commands.faq.store.tables import TAG_MAX
from commands.faq.transfer import FAQ_TOOL


def _command(sub: str, fr: str, en: str, handler: Handler, fr_name: str, **kw: Any) -> CommandSpec:
    return CommandSpec(("faq", sub), L10n(fr, en), handler, fr_name=fr_name, **kw)


PARENT_MAX = 4000  # a thread's first message: reduced to its question sentences, then checked

# Curating the FAQ is a federation-wide right (staff, or `roles.faq_editor`), not a
# moderator's: the FAQ answers every agency.
EDITOR = {"role": Role.FAQ_EDITOR}

COMMANDS = (
    _command(
        "ask",
        "Pose une question à la FAQ",
        "Ask the FAQ a question",
        answers.ask,
        "demander",
        options=(
            opt(
                "question",
                T,
                "Votre question",
                "Your question",
                required=True,
                rest=True,
                max_length=1000,
            ),
        ),
        examples=("/faq ask comment adhérer ?", "/faq ask how much is the fee?"),
    ),
    _command(
        "show",
        "Affiche une entrée de la FAQ",
        "Show one FAQ entry",
        answers.show,
        "voir",
        options=(ENTRY,),
        examples=("/faq show 3",),
    ),
    _command(
        "add",
        "Ajoute une entrée à la FAQ",
        "Add an FAQ entry",
        curation.add,
        "ajouter",
        options=ADD_OPTIONS,
        examples=(
            '/faq add "Comment adhérer ?" "Remplissez le formulaire d\'adhésion." '
            'tags:adhésion variants:"devenir membre | rejoindre la fédération"',
            '/faq add "Où trouver le logo ?" "Dans l\'espace membres." '
            'translated_question:"Where is the logo?" translated_answer:"In the members\' area."',
        ),
        **EDITOR,
    ),
    _command(
        "edit",
        "Modifie une entrée de la FAQ",
        "Edit an FAQ entry",
        curation.edit,
        "modifier",
        options=EDIT_OPTIONS,
        examples=(
            '/faq edit 3 answer:"Le barème 2027 est en ligne."',
            '/faq edit 3 add_variants:"prix de l\'adhésion" remove_variants:2',
        ),
        **EDITOR,
    ),
    _command(
        "remove",
        "Supprime une entrée de la FAQ (après confirmation)",
        "Remove an FAQ entry (after confirmation)",
        curation.remove,
        "supprimer",
        options=(ENTRY,),
        **EDITOR,
    ),
    _command(
        "list",
        "Liste les entrées de la FAQ",
        "List the FAQ entries",
        curation.list_entries,
        "liste",
        options=(
            opt("tag", T, "Un thème", "One tag", fr_name="theme", max_length=TAG_MAX),
            PAGE,
        ),
        examples=("/faq list tag:cotisation",),
        **EDITOR,
    ),
    _command(
        "unanswered",
        "Les questions restées sans réponse, les plus fréquentes d'abord",
        "Questions left unanswered, most frequent first",
        questions.unanswered,
        "sans_reponse",
        options=(PAGE,),
        **EDITOR,
    ),
    _command(
        "promote",
        "Fait d'une question sans réponse une entrée, ou une variante d'une entrée",
        "Turn an unanswered question into an entry, or a variant of one",
        questions.promote,
        "transformer",
        options=(
            QUESTION_ID,
            opt(
                "answer",
                T,
                "La réponse de la nouvelle entrée",
                "The new entry's answer",
                fr_name="reponse",
                max_length=ANSWER_MAX,
            ),
            opt(
                "variant_of",
                INT,
                "Ou : le numéro de l'entrée dont c'est une variante",
                "Or: the number of the entry it is a variant of",
                fr_name="variante_de",
                min_value=1,
                max_value=ID_MAX,
            ),
            LANG,
            TAGS,
        ),
        examples=(
            '/faq promote 12 answer:"Écrivez à contact@federation.example."',
            "/faq promote 12 variant_of:3",
        ),
        **EDITOR,
    ),
    _command(
        "dismiss",
        "Écarte une question sans réponse (hors sujet, doublon…)",
        "Dismiss an unanswered question (off topic, duplicate…)",
        questions.dismiss,
        "ecarter",
        options=(QUESTION_ID,),
        **EDITOR,
    ),
    _command(
        "stats",
        "Statistiques de la FAQ : questions, réponses, avis",
        "FAQ statistics: questions, answers, feedback",
        questions.stats,
        "statistiques",
        **EDITOR,
    ),
    _command(
        "passive",
        "Réponses automatiques aux questions de ce salon (en fil)",
        "Automatic answers to this channel's questions (in threads)",
        passive.passive,
        "passif",
        options=(
            opt(
                "state",
                CHOICE,
                "on ou off",
                "on or off",
                required=True,
                fr_name="etat",
                choices=(
                    Choice("on", L10n("activé", "on")),
                    Choice("off", L10n("désactivé", "off")),
                ),
            ),
        ),
        examples=("/faq passive on",),
        role=Role.MODERATOR,  # of the channel's agency: checked by the handler
    ),
    _command(
        "from_message",
        "Fait d'une réponse donnée dans un fil une entrée de la FAQ",
        "Make a reply given in a thread a FAQ entry",
        questions.from_message,
        "depuis_message",
        options=(
            opt("answer", T, "La réponse", "The answer", required=True, max_length=ANSWER_MAX),
            opt(
                "question",
                T,
                "Le message de la question",
                "The question's message",
                max_length=PARENT_MAX,
            ),
        ),
        hidden=True,  # offered in a message's menu, not typed
        message_action=MessageAction(
            L10n("Ajouter à la FAQ", "Add to FAQ"), text_option="answer", parent_option="question"
        ),
        **EDITOR,
    ),
    # Targets of buttons.
    _command(
        "merge",
        "Fait d'une entrée une variante d'une autre",
        "Make an entry a variant of another",
        questions.merge,
        "fusionner",
        options=(
            ENTRY_NUMBER,
            opt(
                "into",
                INT,
                "Dans l'entrée",
                "Into entry",
                required=True,
                min_value=1,
                max_value=ID_MAX,
            ),
        ),
        hidden=True,
        **EDITOR,
    ),
    _command(
        "pick",
        "Suggestion choisie",
        "Suggestion picked",
        learning.pick,
        "choisir",
        options=(ENTRY_NUMBER, ASK_TOKEN),
        hidden=True,
    ),
    _command(
        "others",
        "Autres réponses possibles",
        "Other possible answers",
        learning.others,
        "autres",
        options=(
            opt("ids", T, "Entrées", "Entries", required=True, max_length=40),
            ASK_TOKEN,
        ),
        hidden=True,
    ),
    _command(
        "accept",
        "Accepte une formulation proposée comme variante",
        "Accept a proposed phrasing as a variant",
        learning.accept,
        "accepter",
        options=(PHRASING_ID,),
        hidden=True,
        **EDITOR,
    ),
    _command(
        "reject",
        "Rejette une formulation proposée",
        "Reject a proposed phrasing",
        learning.reject,
        "rejeter",
        options=(PHRASING_ID,),
        hidden=True,
        **EDITOR,
    ),
    _command(
        "feedback",
        "Avis sur une réponse",
        "Feedback on an answer",
        answers.feedback,
        "avis",
        options=(
            opt(
                "entry",
                INT,
                "Entrée",
                "Entry",
                required=True,
                min_value=1,
                max_value=ID_MAX,
            ),
            opt(
                "helpful",
                CHOICE,
                "Utile ?",
                "Helpful?",
                required=True,
                choices=(
                    Choice("yes", L10n("oui", "yes")),
                    Choice("no", L10n("non", "no")),
                ),
            ),
            ASK_TOKEN,
        ),
        hidden=True,
    ),
    _command(
        "remove_confirmed",
        "Suppression confirmée",
        "Removal confirmed",
        curation.remove_confirmed,
        "suppression_confirmee",
        options=(opt("id", INT, "Entrée", "Entry", required=True, min_value=1, max_value=ID_MAX),),
        hidden=True,
        **EDITOR,
    ),
)


def _stores(services: Services) -> tuple[FaqRepo, FaqReports]:
    repo = FaqRepo(services.db, RetrievalConfig(encoder=services.config.faq.encoder))
    return repo, FaqReports(services.db, repo.activity.asks.flush)


FEATURE = Feature(
    "faq",
    groups=(GroupSpec("faq", L10n("Foire aux questions", "Frequently asked questions")),),
    commands=COMMANDS,
    stores=_stores,
    migrations=Path(__file__).with_name("migrations"),
    on_start=passive.start_faq,
    on_stop=passive.stop_faq,
    listeners=(passive.answer_in_thread,),
    completions={"faq": answers.entry_choices},
    home=(HomeSection(30, questions_home), HomeSection(65, queue_home)),
    demo=load_demo,
    cli=(FAQ_TOOL,),
)
