"""Languages a member speaks: typed as codes or names in French or English ("fr, anglais,
German" -> fr, en, de), stored as ISO 639 codes, shown in the reader's language."""

from __future__ import annotations

import re
from functools import cache

from babel import Locale

from bot.errors import UserError
from bot.options import fold

MAX_LANGUAGES = 8
_CODE = re.compile(r"^[a-z]{2,3}$")


@cache
def _names() -> dict[str, str]:
    """Folded language name -> code, from Babel's French and English names."""
    names: dict[str, str] = {}
    for lang in ("fr", "en"):
        for code, name in Locale.parse(lang).languages.items():
            if _CODE.match(code):
                names.setdefault(fold(name), code)
    return names


def parse_languages(text: str) -> tuple[str, ...]:
    """Codes of the languages in `text` (comma, semicolon or space separated)."""
    found: dict[str, None] = {}
    for word in re.split(r"[,;/\s]+", text.strip()):
        if not word:
            continue
        code = _code(word)
        if code is None:
            raise UserError("profile.bad_language", value=word[:30])
        found[code] = None
    if len(found) > MAX_LANGUAGES:
        raise UserError("profile.too_many_languages", max=MAX_LANGUAGES)
    return tuple(found)


def _code(word: str) -> str | None:
    key = fold(word)
    if _CODE.match(key) and key in Locale.parse("en").languages:
        return key
    return _names().get(key)


def language_names(codes: tuple[str, ...], lang: str) -> list[str]:
    names = Locale.parse(lang).languages
    return [names.get(code, code) for code in codes]
