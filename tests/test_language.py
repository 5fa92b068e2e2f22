"""How the bot writes, checked over every message it can say: French typography in French
(no-break spaces before : ; ? ! and inside « »), none in English, plurals from the catalogue,
French command and option names in French messages and help, examples that work."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.i18n import load_catalog, translator
from bot.spec import L10n
from bot.textargs import bind_options, split_path
from commands.help import examples
from fedbot.assembly import full_registry

REGISTRY = full_registry()
NBSP, NNBSP = "\u00a0", "\u202f"


def _strings(entry: object) -> Iterator[str]:
    if isinstance(entry, str):
        yield entry
    else:
        yield from entry.values()  # type: ignore[union-attr]


def _french_texts() -> Iterator[tuple[str, str]]:
    for key, entry in load_catalog("fr").items():
        for text in _strings(entry):
            yield key, text
    for spec in REGISTRY.commands.values():
        yield spec.name, spec.description.fr
        for opt in spec.options:
            yield f"{spec.name} {opt.name}", opt.description.fr
            for choice in opt.choices:
                yield f"{spec.name} {opt.name} {choice.value}", choice.label.fr
    for group in REGISTRY.groups.values():
        yield group.name, group.description.fr


# A space that is not a no-break one before : ; ? ! or inside guillemets; a mark glued to
# a word ("Oups!"). `nom:valeur` and links have no space at all and are not typography.
_BAD_FRENCH = re.compile(r"[ ][:;!?»]|«[ ]|[^\s\u00a0\u202f/(«\"“][;!?](?=\s|$)|\d %")


def test_french_typography_everywhere() -> None:
    bad = [(key, text) for key, text in _french_texts() if _BAD_FRENCH.search(text)]
    assert bad == []


def test_no_french_spacing_in_english() -> None:
    bad = [
        (key, text)
        for key, entry in load_catalog("en").items()
        for text in _strings(entry)
        if (NBSP in text or NNBSP in text or re.search(r"\w [:;?!%]", text))
        and key != "slack.not_installed"  # bilingual on purpose: the workspace's is unknown
    ]
    assert bad == []


def test_plurals_come_from_the_catalogue() -> None:
    for lang in ("fr", "en"):
        found = [k for k, e in load_catalog(lang).items() for s in _strings(e) if "(s)" in s]
        assert found == [], lang
    t = translator("fr")
    three = t("core.too_short", option="titre", n=3)
    assert three == "«\u00a0titre\u00a0» doit faire au moins 3 caractères."
    assert t("core.too_short", option="titre", n=1).endswith("au moins 1 caractère.")


def _english_option_names() -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for spec in REGISTRY.commands.values():
        for opt in spec.options:
            if opt.fr_name and opt.fr_name != opt.name:
                names.setdefault(opt.name, set()).add(opt.fr_name)
    return names


def test_french_messages_name_commands_and_options_in_french() -> None:
    english = _english_option_names()
    for key, entry in load_catalog("fr").items():
        for text in _strings(entry):
            for words in re.findall(r"(?<![\w/])/([a-z_]+(?: [a-z_]+)?)", text):
                spec, used = REGISTRY.resolve(words.split())
                if spec is not None:
                    label = REGISTRY.label(spec, "fr").split()
                    assert words.split()[:used] == label, (key, text)
            for name in re.findall(r"(?<![\w/:.-])([a-z_]+):(?=[\"«“<\w…-])", text):
                assert name not in english, (key, name, text)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_example_in_help_is_a_valid_command_in_its_language(lang: str) -> None:
    for spec in REGISTRY.commands.values():
        for example in examples(REGISTRY, spec, lang):
            words, tokens, source = split_path(example)
            found, used = REGISTRY.resolve(words)
            assert found is spec, example
            assert REGISTRY.label(spec, lang).split() == [w.lower() for w in words[:used]]
            bind_options(spec, tokens[used:], source)
            for token in tokens[used:]:
                if token.key and (opt := spec.option(token.key)):
                    assert token.key == opt.display_name(lang), (lang, example)


def test_english_help_shows_english_dates() -> None:
    spec = REGISTRY.commands[("event", "create")]
    english = " ".join(examples(REGISTRY, spec, "en"))
    assert "Dec 4 6pm" in english and "déc." not in english
    french = " ".join(examples(REGISTRY, spec, "fr"))
    assert "/evenement creer" in french and "4 déc. 18h" in french


def test_help_in_french_shows_french_names() -> None:
    spec = REGISTRY.commands[("event", "list")]
    assert REGISTRY.usage(spec, "fr") == (
        "/evenement liste [agence:<…>] [region:<…>] [theme:<…>] [du:<…>] [au:<…>] [page:<…>]"
    )
    assert isinstance(L10n("a", "b").get("fr"), str)
