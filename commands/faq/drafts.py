"""An entry's fields from what people type: tags, variants, translations, entry numbers.

Shared by the moderators' commands and the YAML importer, so a limit is the same whichever
way an entry arrives. Problems are `UserError`s (localised by whoever shows them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.errors import UserError
from commands.faq.analysis import fold
from commands.faq.store.entries import EntryDraft
from commands.faq.store.tables import (
    ANSWER_MAX,
    QUESTION_MAX,
    TAG_MAX,
    TAGS_MAX,
    VARIANTS_MAX,
)

LANGS = ("fr", "en")
QUESTION_MIN = 3
CLEAR = "-"  # typed as a value, empties an optional field (`tags:-`)
_ENTRY_NUMBER = re.compile(r"^\s*(?:n\s*[°o]\.?\s*|#)?\s*(\d{1,9})\b")


def other_lang(lang: str) -> str:
    return "en" if lang == "fr" else "fr"


def entry_number(text: str) -> int:
    """`7`, `n° 7`, `#7` or an autocompleted `7 · Comment adhérer ?` -> 7."""
    match = _ENTRY_NUMBER.match(text)
    if match is None or int(match.group(1)) == 0:
        raise UserError("faq.bad_number", value=text[:40])
    return int(match.group(1))


def split_list(text: str, separators: str) -> list[str]:
    parts = re.split(f"[{re.escape(separators)}]", text)
    return [" ".join(part.split()) for part in parts if part.strip()]


def parse_tags(text: str | None) -> tuple[str, ...]:
    """Comma (or semicolon) separated keywords; duplicates (case and accents aside) dropped."""
    if not text or text.strip() == CLEAR:
        return ()
    return check_tags(split_list(text, ",;"))


def check_tags(tags: Iterable[str]) -> tuple[str, ...]:
    unique: dict[str, str] = {}
    for tag in tags:
        unique.setdefault(fold(tag), tag)
    found = tuple(unique.values())
    if len(found) > TAGS_MAX or any(len(tag) > TAG_MAX for tag in found):
        raise UserError("faq.bad_tags", max=TAGS_MAX, length=TAG_MAX)
    return found


def parse_variants(text: str | None) -> list[str]:
    """Other phrasings of the question, separated by `|` or `;`."""
    if not text or text.strip() == CLEAR:
        return []
    return split_list(text, "|;")


def check_question(text: str) -> str:
    text = " ".join(text.split())
    if not QUESTION_MIN <= len(text) <= QUESTION_MAX:
        raise UserError("faq.bad_question", min=QUESTION_MIN, max=QUESTION_MAX)
    return text


def check_answer(text: str) -> str:
    text = text.strip()
    if not 1 <= len(text) <= ANSWER_MAX:
        raise UserError("faq.bad_answer", max=ANSWER_MAX)
    return text


def check_variants(variants: Iterable[str], question: str) -> tuple[str, ...]:
    """Each checked like a question; the question itself and repeats dropped."""
    unique: dict[str, str] = {fold(question): question}
    for variant in variants:
        unique.setdefault(fold(check_question(variant)), variant)
    found = tuple(list(unique.values())[1:])
    if len(found) > VARIANTS_MAX:
        raise UserError("faq.too_many_variants", max=VARIANTS_MAX)
    return found


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise UserError("faq.bad_lang", value=lang[:10])
    return lang


def make_draft(
    lang: str,
    question: str,
    answer: str,
    variants: Iterable[str] = (),
    tags: Iterable[str] = (),
    translations: Mapping[str, tuple[str, str]] | None = None,
) -> EntryDraft:
    """A checked draft: every limit applied, texts tidied."""
    lang = check_lang(lang)
    question = check_question(question)
    checked: dict[str, tuple[str, str]] = {}
    for other, (q, a) in (translations or {}).items():
        if check_lang(other) == lang:
            raise UserError("faq.translation_same_lang", lang=lang)
        checked[other] = (check_question(q), check_answer(a))
    return EntryDraft(
        lang=lang,
        question=question,
        answer=check_answer(answer),
        variants=check_variants(variants, question),
        tags=check_tags(tags),
        translations=checked,
    )


def with_variant(draft: EntryDraft, text: str) -> EntryDraft:
    """`draft` with `text` as one more variant, checked as any (words it has already are
    dropped; one variant too many is refused)."""
    return make_draft(
        draft.lang,
        draft.question,
        draft.answer,
        [*draft.variants, text],
        draft.tags,
        draft.translations,
    )
