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
from bot.spec import Choice, CommandSpec, GroupSpec, Handler, L10n, OptionSpec, OptionType, Role
from commands.faq import (
    answers,
    curation,
    passive,
    privacy,  # noqa: F401 - registers the export of FAQ data
    questions,
    retention,  # noqa: F401 - registers how long the FAQ keeps what was asked
)
from commands.faq.demo import load_demo
from commands.faq.home import questions_home, queue_home
from commands.faq.retrieval import RetrievalConfig
from commands.faq.store.entries import FaqRepo
from commands.faq.store.reports import FaqReports
from commands.faq.store.tables import ANSWER_MAX, QUESTION_MAX, TAG_MAX
from commands.faq.transfer import FAQ_TOOL

T, INT, CHOICE = OptionType.TEXT, OptionType.INTEGER, OptionType.CHOICE
ID_MAX = 2**31 - 1


def _opt(name: str, kind: OptionType, fr: str, en: str, **kw: Any) -> OptionSpec:
    return OptionSpec(name, kind, L10n(fr, en), **kw)


ENTRY = _opt(
    "id",
    T,
    "Numéro de l'entrée (ou tapez des mots de sa question)",
    "Entry number (or type words of its question)",
    required=True,
    fr_name="numero",
    max_length=100,
    autocomplete="faq",
)
LANG = _opt(
    "lang",
    CHOICE,
    "Langue de l'entrée (par défaut : la vôtre)",
    "Language of the entry (default: yours)",
    fr_name="langue",
    choices=(Choice("fr", L10n("français", "French")), Choice("en", L10n("anglais", "English"))),
)
TAGS = _opt(
    "tags",
    T,
    "Thèmes, séparés par des virgules (- pour aucun)",
    "Tags, comma separated (- for none)",
    fr_name="themes",
    max_length=400,
)
PAGE = _opt("page", INT, "Page", "Page", min_value=1, max_value=1000)
QUESTION_ID = _opt(
    "question",
    INT,
    "Numéro de la question sans réponse (voir /faq unanswered)",
    "Number of the unanswered question (see /faq unanswered)",
    required=True,
    min_value=1,
    max_value=ID_MAX,
)


def _translation(verb_fr: str, verb_en: str) -> tuple[OptionSpec, OptionSpec]:
    return (
        _opt(
            "translated_question",
            T,
            f"{verb_fr} la question dans l'autre langue (fr↔en)",
            f"{verb_en} the question in the other language (fr↔en)",
            fr_name="question_traduite",
            max_length=QUESTION_MAX,
        ),
        _opt(
            "translated_answer",
            T,
            f"{verb_fr} la réponse dans l'autre langue",
            f"{verb_en} the answer in the other language",
            fr_name="reponse_traduite",
            max_length=ANSWER_MAX,
        ),
    )


ADD_OPTIONS = (
    _opt("question", T, "La question", "The question", required=True, max_length=QUESTION_MAX),
    _opt(
        "answer",
        T,
        "La réponse",
        "The answer",
        required=True,
        fr_name="reponse",
        max_length=ANSWER_MAX,
    ),
    LANG,
    TAGS,
    _opt(
        "variants",
        T,
        "Autres façons de poser la question, séparées par « | » ou « ; »",
        "Other ways to ask, separated by | or ;",
        fr_name="variantes",
        max_length=2000,
    ),
    *_translation("Traduction :", "Translation:"),
)

EDIT_OPTIONS = (
    ENTRY,
    _opt("question", T, "Nouvelle question", "New question", max_length=QUESTION_MAX),
    _opt("answer", T, "Nouvelle réponse", "New answer", fr_name="reponse", max_length=ANSWER_MAX),
    LANG,
    TAGS,
    _opt(
        "add_variants",
        T,
        "Variantes à ajouter, séparées par « | » ou « ; »",
        "Variants to add, separated by | or ;",
        fr_name="ajouter_variantes",
        max_length=2000,
    ),
    _opt(
        "remove_variants",
        T,
        "Variantes à retirer : leurs numéros (voir /faq show) ou leur texte",
        "Variants to remove: their numbers (see /faq show) or text",
        fr_name="retirer_variantes",
        max_length=2000,
    ),
    *_translation("Traduction (- pour la retirer) :", "Translation (- removes it):"),
)


def _command(sub: str, fr: str, en: str, handler: Handler, fr_name: str, **kw: Any) -> CommandSpec:
    return CommandSpec(("faq", sub), L10n(fr, en), handler, fr_name=fr_name, **kw)


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
            _opt(
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
            _opt("tag", T, "Un thème", "One tag", fr_name="theme", max_length=TAG_MAX),
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
            _opt(
                "answer",
                T,
                "La réponse de la nouvelle entrée",
                "The new entry's answer",
                fr_name="reponse",
                max_length=ANSWER_MAX,
            ),
            _opt(
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
            _opt(
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
    # Targets of buttons.
    _command(
        "feedback",
        "Avis sur une réponse",
        "Feedback on an answer",
        answers.feedback,
        "avis",
        options=(
            _opt(
                "entry",
                INT,
                "Entrée",
                "Entry",
                required=True,
                min_value=1,
                max_value=ID_MAX,
            ),
            _opt(
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
        ),
        hidden=True,
    ),
    _command(
        "remove_confirmed",
        "Suppression confirmée",
        "Removal confirmed",
        curation.remove_confirmed,
        "suppression_confirmee",
        options=(_opt("id", INT, "Entrée", "Entry", required=True, min_value=1, max_value=ID_MAX),),
        hidden=True,
        **EDITOR,
    ),
)

FEATURE = Feature(
    "faq",
    groups=(GroupSpec("faq", L10n("Foire aux questions", "Frequently asked questions")),),
    commands=COMMANDS,
    stores=lambda services: (
        FaqRepo(services.db, RetrievalConfig(encoder=services.config.faq.encoder)),
        FaqReports(services.db),
    ),
    migrations=Path(__file__).with_name("migrations"),
    on_start=passive.start_faq,
    listeners=(passive.answer_in_thread,),
    completions={"faq": answers.entry_choices},
    home=(HomeSection(30, questions_home), HomeSection(65, queue_home)),
    demo=load_demo,
    cli=(FAQ_TOOL,),
)
