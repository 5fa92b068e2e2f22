"""The options of the FAQ's commands (feature.py declares the commands)."""

from __future__ import annotations

from typing import Any

from bot.spec import Choice, L10n, OptionSpec, OptionType
from commands.faq.store.tables import ANSWER_MAX, QUESTION_MAX, TOKEN_MAX

T, INT, CHOICE = OptionType.TEXT, OptionType.INTEGER, OptionType.CHOICE
ID_MAX = 2**31 - 1


def opt(name: str, kind: OptionType, fr: str, en: str, **kw: Any) -> OptionSpec:
    return OptionSpec(name, kind, L10n(fr, en), **kw)


ENTRY = opt(
    "id",
    T,
    "Numéro de l'entrée (ou tapez des mots de sa question)",
    "Entry number (or type words of its question)",
    required=True,
    fr_name="numero",
    max_length=100,
    autocomplete="faq",
)
LANG = opt(
    "lang",
    CHOICE,
    "Langue de l'entrée (par défaut : la vôtre)",
    "Language of the entry (default: yours)",
    fr_name="langue",
    choices=(Choice("fr", L10n("français", "French")), Choice("en", L10n("anglais", "English"))),
)
TAGS = opt(
    "tags",
    T,
    "Thèmes, séparés par des virgules (- pour aucun)",
    "Tags, comma separated (- for none)",
    fr_name="themes",
    max_length=400,
)
PAGE = opt("page", INT, "Page", "Page", min_value=1, max_value=1000)
QUESTION_ID = opt(
    "question",
    INT,
    "Numéro de la question sans réponse (voir /faq unanswered)",
    "Number of the unanswered question (see /faq unanswered)",
    required=True,
    min_value=1,
    max_value=ID_MAX,
)

ENTRY_NUMBER = opt("entry", INT, "Entrée", "Entry", required=True, min_value=1, max_value=ID_MAX)
ASK_TOKEN = opt("ask", T, "Question posée", "Question asked", max_length=TOKEN_MAX)
PHRASING_ID = opt(
    "phrasing",
    INT,
    "Numéro de la formulation proposée",
    "Number of the proposed phrasing",
    required=True,
    min_value=1,
    max_value=ID_MAX,
    fr_name="formulation",
)


def _translation(verb_fr: str, verb_en: str) -> tuple[OptionSpec, OptionSpec]:
    return (
        opt(
            "translated_question",
            T,
            f"{verb_fr} la question dans l'autre langue (fr↔en)",
            f"{verb_en} the question in the other language (fr↔en)",
            fr_name="question_traduite",
            max_length=QUESTION_MAX,
        ),
        opt(
            "translated_answer",
            T,
            f"{verb_fr} la réponse dans l'autre langue",
            f"{verb_en} the answer in the other language",
            fr_name="reponse_traduite",
            max_length=ANSWER_MAX,
        ),
    )


ADD_OPTIONS = (
    opt("question", T, "La question", "The question", required=True, max_length=QUESTION_MAX),
    opt(
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
    opt(
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
    opt("question", T, "Nouvelle question", "New question", max_length=QUESTION_MAX),
    opt("answer", T, "Nouvelle réponse", "New answer", fr_name="reponse", max_length=ANSWER_MAX),
    LANG,
    TAGS,
    opt(
        "add_variants",
        T,
        "Variantes à ajouter, séparées par « | » ou « ; »",
        "Variants to add, separated by | or ;",
        fr_name="ajouter_variantes",
        max_length=2000,
    ),
    opt(
        "remove_variants",
        T,
        "Variantes à retirer : leurs numéros (voir /faq show) ou leur texte",
        "Variants to remove: their numbers (see /faq show) or text",
        fr_name="retirer_variantes",
        max_length=2000,
    ),
    *_translation("Traduction (- pour la retirer) :", "Translation (- removes it):"),
)
