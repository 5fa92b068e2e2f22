"""What moderators type (French or English, accents optional, or cron) -> `Schedule`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any, Literal

from bot.errors import UserError
from bot.schedules.cron import _check_cron, _cron_text, _Invalid, _parse_cron
from bot.schedules.model import (
    _ANCHOR_YEARS,
    _NTH_CODES,
    DEFAULT_HOUR,
    DEFAULT_MINUTE,
    LAST,
    WEEKS_APART,
    Kind,
    Schedule,
)

_MAX_LEN = 120  # longer than any real schedule; bounds the regex work on hostile input
_TYPOGRAPHY = str.maketrans("’‘«»“”", "''    ")


def parse_schedule(text: str, lang: str = "fr") -> Schedule:
    """Read a schedule typed in French or English (accents and case optional), or cron.

    `lang` is accepted for symmetry with the other parsers: both vocabularies are always read,
    since moderators mix them and no word means different things in the two languages.
    Raises `UserError("schedules.invalid")` or `UserError("schedules.too_frequent")`.
    """
    try:
        norm = _normalise(text)
        cron = _cron_text(norm)
        if cron is not None:
            _check_cron(_parse_cron(cron), cron)
            return Schedule("cron", cron=cron)
        return _parse_words(norm)
    except _Invalid:
        raise UserError("schedules.invalid", value=text.strip()) from None


def _normalise(text: str) -> str:
    if len(text) > _MAX_LEN or "#" in text:  # '#' marks the parser's own tokens
        raise _Invalid
    folded = unicodedata.normalize("NFKD", text.translate(_TYPOGRAPHY).casefold())
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(stripped.replace("'", " ").split())


_DAILY = (
    r"daily|quotidien(?:ne)?|everyday|(?:every|each|once a) day|tous les jours|chaque jour"
    r"|une fois par jour"
)
_WEEKLY = (
    r"weekly|hebdo(?:madaire)?|(?:every|each|once a) week|chaque semaine|toutes les semaines"
    r"|une fois par semaine"
)
_MONTHLY = (
    r"monthly|mensuel(?:le)?|(?:every|each|once a|the) month|(?:de chaque|de tous les|du"
    r"|chaque|tous les|une fois par) mois"
)
_EVERY_N_WEEKS = r"(?:toutes les|chaque|every) {n} (?:semaines|weeks)|(?:une )?semaine sur {n}"
_TWO, _FOUR = r"(?:2|two|deux)", r"(?:4|four|quatre)"
# Specific phrases first: "toutes les 2 semaines" before "toutes les semaines".
# Tokens are upper case: no pattern (the text is lower case) can match inside one.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b(?:{pattern})\b", re.ASCII), f" {token} ")
    for pattern, token in (
        (_EVERY_N_WEEKS.format(n=_TWO), "#BIWEEKLY"),
        (_EVERY_N_WEEKS.format(n=_FOUR), "#EVERY4WEEKS"),
        (rf"une? ([a-z]+) sur {_TWO}", r"#BIWEEKLY \1"),  # un lundi sur deux
        (rf"une? ([a-z]+) sur {_FOUR}", r"#EVERY4WEEKS \1"),
        (r"tous les (?:14|15|quatorze|quinze) jours", "#BIWEEKLY"),
        (r"every (?:other|second|alternate)(?: weeks?)?|bi-?weekly|fortnightly", "#BIWEEKLY"),
        (_DAILY, "#DAILY"),
        (_WEEKLY, "#WEEKLY"),
        (_MONTHLY, "#MONTHLY"),
    )
)
_FROM = re.compile(
    r"\b(?:from|starting(?: on| from)?|a partir du|a compter du|des le|depuis le)"
    r" ([0-9]{4}-[0-9]{2}-[0-9]{2})\b",
    re.ASCII,
)
_TIMES = (  # 12-hour first, so that "9:30pm" is not read as 09:30
    re.compile(r"\b([0-9]{1,2})(?::([0-9]{2}))? ?([ap])\.? ?m\b\.?", re.ASCII),
    re.compile(r"\b([0-9]{1,2}):([0-9]{2})\b()", re.ASCII),
    re.compile(r"\b([0-9]{1,2}) ?h(?:eures?)? ?([0-9]{2})?\b()", re.ASCII),
)
_WORD_TIMES = {"midi": "#T1200", "noon": "#T1200", "minuit": "#T0000", "midnight": "#T0000"}
_ORDINAL = re.compile(r"([0-9]{1,2})(?:er|re|ere|e|eme|st|nd|rd|th)?", re.ASCII)
_NTH_WORDS = {
    **dict.fromkeys(("first", "premier", "premiere"), 1),
    **dict.fromkeys(("second", "seconde", "deuxieme"), 2),
    **dict.fromkeys(("third", "troisieme"), 3),
    **dict.fromkeys(("fourth", "quatrieme"), 4),
    **dict.fromkeys(("last", "dernier", "derniere"), LAST),
}
_FILLERS = frozenset(
    "le la les l du de des d a au aux at on the of in every each chaque tous toutes tout".split()
)


# Per weekday, Monday first: English and French names, then abbreviations.
_WEEKDAY_NAMES = (
    ("monday", "lundi", "mon lun"),
    ("tuesday", "mardi", "tue tues mar"),
    ("wednesday", "mercredi", "wed mer"),
    ("thursday", "jeudi", "thu thur thurs jeu"),
    ("friday", "vendredi", "fri ven"),
    ("saturday", "samedi", "sat sam"),
    ("sunday", "dimanche", "sun dim"),
)
_WEEKDAY_WORDS = {
    word: index
    for index, (en, fr, short) in enumerate(_WEEKDAY_NAMES)
    for word in (en, fr, f"{en}s", f"{fr}s", *short.split())  # plurals: mondays, lundis
}


@dataclass(frozen=True, slots=True)
class _Token:
    tag: Literal["freq", "weekday", "day", "nth", "time", "anchor"]
    value: Any


def _parse_words(norm: str) -> Schedule:
    text = _FROM.sub(lambda m: f" #FROM{m.group(1)} ", norm)
    for pattern in _TIMES:
        text = pattern.sub(_time_token, text)
    for pattern, token in _PHRASES:
        text = pattern.sub(token, text)
    words = [w for w in re.split(r"[\s,;.]+", text) if w and w not in _FILLERS]
    return _resolve(_tokens(words))


def _time_token(match: re.Match[str]) -> str:
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if meridiem:
        if not 1 <= hour <= 12:
            raise _Invalid
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59:
        raise _Invalid
    return f" #T{hour:02d}{minute:02d} "


def _tokens(words: list[str]) -> list[_Token]:
    tokens: list[_Token] = []
    for word, following in pairwise([*words, ""]):
        word = _WORD_TIMES.get(word, word)
        if word.startswith("#T"):
            tokens.append(_Token("time", (int(word[2:4]), int(word[4:6]))))
        elif word.startswith("#FROM"):
            tokens.append(_Token("anchor", _iso_date(word.removeprefix("#FROM"))))
        elif word.startswith("#"):
            tokens.append(_Token("freq", word[1:].lower()))
        elif word in _WEEKDAY_WORDS:
            tokens.append(_Token("weekday", _WEEKDAY_WORDS[word]))
        else:
            tokens.append(_number_token(word, following))
    return tokens


def _number_token(word: str, following: str) -> _Token:
    """`1er`/`first` before a weekday is an nth weekday; otherwise a day of the month."""
    match = _ORDINAL.fullmatch(word)
    value = int(match.group(1)) if match else _NTH_WORDS.get(word)
    if value is None:
        raise _Invalid
    if following in _WEEKDAY_WORDS:
        if value not in _NTH_CODES:
            raise _Invalid
        return _Token("nth", value)
    if match is None and value != 1:  # "le premier du mois" only; "le dernier" needs a weekday
        raise _Invalid
    if not 1 <= value <= 31:
        raise _Invalid
    return _Token("day", value)


def _iso_date(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise _Invalid from None
    if value.year not in _ANCHOR_YEARS:
        raise _Invalid
    return value


def _resolve(tokens: list[_Token]) -> Schedule:
    found: dict[str, Any] = {}
    for token in tokens:
        # Only a frequency may be said twice, and the same ("monthly ... of the month").
        if token.tag in found and (token.tag != "freq" or found["freq"] != token.value):
            raise _Invalid
        found[token.tag] = token.value
    kind = _kind(found)
    hour, minute = found.get("time", (DEFAULT_HOUR, DEFAULT_MINUTE))
    anchor = found.get("anchor")
    if anchor is not None and kind not in WEEKS_APART:
        raise _Invalid
    weekday = found.get("weekday")
    if anchor is not None:  # the first run on the schedule's weekday, from that date
        anchor += timedelta(days=(weekday - anchor.weekday()) % 7)
    return Schedule(
        kind,
        hour=hour,
        minute=minute,
        weekday=weekday,
        day_of_month=found.get("day"),
        nth=found.get("nth"),
        anchor=anchor,
    )


def _kind(found: Mapping[str, Any]) -> Kind:
    freq, weekday, day, nth = (found.get(k) for k in ("freq", "weekday", "day", "nth"))
    if nth is not None and freq in (None, "monthly") and day is None:
        return "monthly"  # nth always comes with its weekday
    if day is not None and freq == "monthly" and weekday is None:
        return "monthly"
    if nth is None and day is None:
        if freq == "daily" and weekday is None:
            return "daily"
        if freq in (None, "weekly", "biweekly", "every4weeks") and weekday is not None:
            return freq or "weekly"
    raise _Invalid
