"""Message catalogues (French and English) and locale-aware formatting.

Catalogues are TOML files, one per feature, under `locales/<lang>/`. A key is
`<file stem>.<key>`; a value is a `str.format` template, or a table of CLDR plural forms
(`one`, `other`, …) chosen with Babel's plural rules. French is the default language.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import datetime, time
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"

Entry = str | Mapping[str, str]


def normalise_lang(locale: str | None) -> str:
    """Map a platform locale (`fr-FR`, `en_GB`, `en-US`) onto one of our languages."""
    if not locale:
        return DEFAULT_LANG
    head = locale.replace("_", "-").split("-", 1)[0].lower()
    return head if head in LANGS else DEFAULT_LANG


def _flatten(prefix: str, table: Mapping[str, Any], out: dict[str, Entry]) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}"
        if isinstance(value, Mapping) and not _is_plural(value):
            _flatten(full, value, out)
        else:
            out[full] = value


def _is_plural(value: Mapping[str, Any]) -> bool:
    return "other" in value and all(isinstance(v, str) for v in value.values())


@cache
def load_catalog(lang: str) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    folder = resources.files("bot.i18n") / "locales" / lang
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            _flatten(item.name[:-5], tomllib.loads(item.read_text("utf-8")), out)
    return out


class Translator:
    """Looks up and formats messages for one language; cheap, cached per language."""

    def __init__(self, lang: str, tz: str = "Europe/Paris") -> None:
        self.lang = lang if lang in LANGS else DEFAULT_LANG
        self.locale = Locale.parse(self.lang)
        self.tz = ZoneInfo(tz)
        self._catalog = load_catalog(self.lang)
        self._fallback = load_catalog(DEFAULT_LANG)

    def __call__(self, key: str, /, **kwargs: Any) -> str:
        """The message `key`; a plural table is chosen by the `n` argument, so an error raised
        far from any translator (`UserError("core.too_short", n=3)`) still agrees."""
        entry = self._catalog.get(key) or self._fallback.get(key)
        if entry is None:
            raise KeyError(f"missing message {key!r}")
        if not isinstance(entry, str):
            if isinstance(n := kwargs.get("n"), int):
                return self.plural(key, n, **{k: v for k, v in kwargs.items() if k != "n"})
            entry = entry["other"]
        return self.format(entry, **kwargs) if kwargs else entry

    def plural(self, key: str, n: int, /, **kwargs: Any) -> str:
        """The form of `key` for `n` (written the locale's way: 20 000, 20,000)."""
        entry = self._catalog.get(key) or self._fallback[key]
        if isinstance(entry, str):
            return self.format(entry, n=self.number(n), **kwargs)
        # CLDR has no "zero" form in French or English, but "aucun salon" reads better than
        # "0 salon": an optional `zero` entry wins for n == 0.
        form = "zero" if n == 0 and "zero" in entry else _plural_form(self.lang, n)
        return self.format(entry.get(form, entry["other"]), n=self.number(n), **kwargs)

    def number(self, value: float) -> str:
        """A number as the reader's locale writes it: `5 523` in French, `5,523` in English."""
        if isinstance(value, int):
            return _integer(self.lang, value)
        return format_decimal(value, locale=self.locale)

    def datetime(self, value: datetime, style: str = "full") -> str:
        """A moment in the federation's zone, in words and in one style per language:
        `full` "lundi 14 décembre 2026 à 18 h" / "Monday, December 14, 2026 at 6:00 PM",
        `long` without the weekday, `short` "lun. 14 déc. à 18 h" / "Mon, Dec 14 at 6:00 PM"."""
        return self("core.moment", date=self.date(value, style), time=self.time(value))

    def date(self, value: datetime, style: str = "full") -> str:
        """`full` "lundi 14 décembre 2026", `long` "14 décembre 2026", `medium`
        "14 déc. 2026", `short` "lun. 14 déc." (no year: lists of coming days)."""
        pattern = _SHORT_DATE[self.lang] if style == "short" else style
        return self.first_of_month(
            format_date(value.astimezone(self.tz).date(), pattern, locale=self.locale)
        )

    def first_of_month(self, text: str) -> str:
        """French writes the first of the month "1er décembre"; Babel writes "1 décembre"."""
        return _FIRST.sub("1er", text, count=1) if self.lang == "fr" else text

    def time(self, value: datetime) -> str:
        """A moment's time of day in the federation's zone (see `clock`)."""
        local = value.astimezone(self.tz)
        return self.clock(local.hour, local.minute)

    def clock(self, hour: int, minute: int) -> str:
        """A time of day the reader's way: "18 h 30", "9 h" in French, "6:30 PM" in English."""
        if self.lang == "fr":
            minutes = f"\u00a0{minute:02d}" if minute else ""
            return f"{hour}\u00a0h{minutes}"
        return format_time(time(hour, minute), "h:mm a", locale=self.locale)

    def format(self, template: str, /, **kwargs: Any) -> str:
        """`template` filled in; a datetime argument is written in words, a number the
        locale's way, so a message raised far from any translator still reads right."""
        text = template.format(**{k: self._value(v) for k, v in kwargs.items()})
        return unnest_guillemets(text) if self.lang == "fr" and "«" in text else text

    def _value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return self.datetime(value)
        return value


# Counts repeat (a list of agencies writes "3 salons" for each): Babel's CLDR rules and
# number patterns cost ~40 µs a call, a cache hit well under one.
@lru_cache(maxsize=4096)
def _plural_form(lang: str, n: int) -> str:
    return Locale.parse(lang).plural_form(n)


@lru_cache(maxsize=4096)
def _integer(lang: str, n: int) -> str:
    return format_decimal(n, locale=Locale.parse(lang))


def unnest_guillemets(text: str) -> str:
    """French never nests guillemets: inside « … », quotes are “ … ” (a title such as
    Groupe de travail « Attractivité » quoted in a message)."""
    out: list[str] = []
    depth, skip_space = 0, False
    for char in text:
        if skip_space and char in _SPACES:
            continue
        skip_space = False
        if char == "«":
            depth += 1
            out.append("“" if depth > 1 else char)
            skip_space = depth > 1
        elif char == "»" and depth:
            if depth > 1:
                while out and out[-1] in _SPACES:
                    out.pop()
            out.append("”" if depth > 1 else char)
            depth -= 1
        else:
            out.append(char)
    return "".join(out)


_SPACES = " \u00a0\u202f"


_FIRST = re.compile(r"(?<![\d:])1(?= [^\d\s])")
# Abbreviated weekday and month, no year: the compact form of lists and agendas.
_SHORT_DATE = {"fr": "EEE d MMM", "en": "EEE, MMM d"}


@cache
def translator(lang: str, tz: str = "Europe/Paris") -> Translator:
    return Translator(lang, tz)
