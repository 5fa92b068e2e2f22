"""Every user-facing string exists in French and English, with the same placeholders."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

from bot.i18n import load_catalog, normalise_lang, translator
from fedbot.assembly import full_registry


def _placeholders(entry: object) -> set[str]:
    texts = entry.values() if isinstance(entry, dict) else [entry]
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    fr, en = load_catalog("fr"), load_catalog("en")
    assert sorted(set(fr) ^ set(en)) == []
    mismatched = [k for k in fr if _placeholders(fr[k]) != _placeholders(en[k])]
    assert mismatched == []


def test_french_strings_keep_their_non_breaking_spaces() -> None:
    """French puts a non-breaking space before : ; ? ! and inside « »: a plain one lets a
    chat client wrap the line there, leaving the mark alone at the start of the next line."""
    loose = re.compile(r" [:;?!»]|« ")
    fr = load_catalog("fr")
    texts = ((k, t) for k, e in fr.items() for t in (e.values() if isinstance(e, dict) else [e]))
    assert [k for k, text in texts if loose.search(text)] == []


def test_every_command_is_described_in_both_languages() -> None:
    registry = full_registry()
    for spec in registry.commands.values():
        assert spec.description.fr != spec.description.en or spec.description.fr.isascii()
        for opt in spec.options:
            assert opt.description.fr and opt.description.en
    for group in registry.groups.values():
        assert group.description.fr and group.description.en


def test_locales_map_onto_our_languages() -> None:
    assert normalise_lang("fr-FR") == "fr"
    assert normalise_lang("en_GB") == "en"
    assert normalise_lang("de") == "fr"
    assert normalise_lang(None) == "fr"


def test_dates_are_shown_in_paris_time_in_the_readers_locale() -> None:
    moment = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # 18:00 in Paris (winter)
    assert translator("fr").datetime(moment) == "vendredi 4 décembre 2026 à 18\u00a0h"
    assert translator("en").datetime(moment) == "Friday, December 4, 2026 at 6:00 PM"
    assert translator("fr").datetime(moment, "short") == "ven. 4 déc. à 18\u00a0h"
    assert translator("en").datetime(moment, "short") == "Fri, Dec 4 at 6:00 PM"
    summer = datetime(2027, 6, 4, 16, 30, tzinfo=UTC)  # 18:30 in Paris (summer)
    assert translator("fr").time(summer) == "18\u00a0h\u00a030"
    assert translator("fr").date(datetime(2027, 6, 1, 9, tzinfo=UTC)) == "mardi 1er juin 2027"


def test_plurals_follow_each_language() -> None:
    fr, en = translator("fr"), translator("en")
    assert fr.plural("agency.channels", 0) == "aucun salon"
    assert fr.plural("agency.channels", 1) == "1 salon"
    assert fr.plural("agency.channels", 2) == "2 salons"
    assert en.plural("agency.list_title", 1) == "1 agency"
    assert en.plural("agency.list_title", 3) == "3 agencies"
