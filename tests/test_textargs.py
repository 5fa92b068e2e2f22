"""How typed command lines become options: quotes, apostrophes, names, free text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.identity import Caller, ChannelRef
from bot.options import OptionConverter
from bot.spec import Choice, CommandSpec, L10n, OptionSpec, OptionType
from bot.textargs import bind_options, split_path
from tests.conftest import PLACE, console_caller

D = L10n("d", "d")


async def _noop(ctx):  # pragma: no cover - never run, specs need a handler
    raise AssertionError


CREATE = CommandSpec(
    ("event", "create"),
    D,
    _noop,
    options=(
        OptionSpec("title", OptionType.TEXT, D, required=True, fr_name="titre"),
        OptionSpec("start", OptionType.TEXT, D, required=True, fr_name="debut"),
        OptionSpec("capacity", OptionType.INTEGER, D, min_value=1, max_value=10_000),
    ),
)
ASK = CommandSpec(
    ("faq", "ask"),
    D,
    _noop,
    options=(
        OptionSpec("lang", OptionType.CHOICE, D, choices=(Choice("fr", D), Choice("en", D))),
        OptionSpec("question", OptionType.TEXT, D, rest=True),
    ),
)


def bind(spec: CommandSpec, line: str) -> dict[str, str]:
    words, tokens, source = split_path(line)
    return bind_options(spec, tokens[len(spec.path) :], source)


def test_named_and_quoted_values() -> None:
    got = bind(CREATE, '/event create title:"Nuit du net" start:"2026-12-04 18:00" capacity:40')
    assert got == {"title": "Nuit du net", "start": "2026-12-04 18:00", "capacity": "40"}


def test_typographic_quotes_and_french_names() -> None:
    got = bind(CREATE, "/event create titre:«Soirée numérique» debut:“4 déc. 18h”")
    assert got == {"title": "Soirée numérique", "start": "4 déc. 18h"}


def test_positional_values_fill_options_in_order() -> None:
    assert bind(CREATE, '/event create "Forum 2027" demain') == {
        "title": "Forum 2027",
        "start": "demain",
    }


def test_apostrophes_never_open_a_quote() -> None:
    got = bind(ASK, "/faq ask c'est quoi l'adhésion à l'agence ?")
    assert got == {"question": "c'est quoi l'adhésion à l'agence ?"}


def test_free_text_keeps_colons_that_are_not_option_names() -> None:
    got = bind(ASK, "/faq ask lang:en fees: how much? see http://x.fr/a:b")
    assert got == {"lang": "en", "question": "fees: how much? see http://x.fr/a:b"}


def test_an_unbalanced_quote_is_refused_where_it_opens() -> None:
    with pytest.raises(UserError) as err:
        bind(ASK, '/faq ask le "forum ?')
    assert err.value.key == "core.unclosed_quote"
    assert err.value.kwargs["at"] == '"forum ?'


async def test_an_unbalanced_quote_adds_nothing(say) -> None:
    reply = await say('/agency add name:"Foo region:Bar')
    assert reply.is_error
    assert reply.message.text == (
        "Ce guillemet n'est jamais fermé\u00a0: name:\"Foo region:Bar\n"
        'Fermez-le ("…"), ou retirez-le.'
    )
    assert "Aucune agence" in (await say("/agency list")).message.text


@pytest.mark.parametrize(
    "line",
    [
        '/agency add [- lang:"../../etc/passwd"',
        "/agency add member:true",
        '/agency add "Foo" lang:fr',
    ],
)
async def test_a_word_colon_value_that_is_no_option_is_refused(say, line: str) -> None:
    reply = await say(line)
    assert reply.is_error
    assert "n'est pas une option de cette commande" in reply.message.text
    assert "Usage\u00a0: /agence ajouter nom:<…> region:<…>" in reply.message.text
    assert "Aucune agence" in (await say("/agency list")).message.text


@pytest.mark.parametrize(
    ("line", "option"),
    [("/event list foo:bar", "foo"), ("/faq remove id:15 confirm:yes", "confirm")],
)
async def test_an_unknown_option_is_called_unknown(say, line: str, option: str) -> None:
    reply = await say(line, lang="en")
    assert reply.is_error
    assert reply.message.text.startswith(f'"{option}" is not an option of this command.')
    assert "Name the option" not in reply.message.text


async def test_an_option_that_cannot_change_says_why(say) -> None:
    reply = await say('/event edit 1 agency:"Rennes Atalante"', lang="en")
    assert reply.message.text.startswith("An event's agency never changes")


def test_quoted_colons_links_and_channels_stay_values() -> None:
    assert bind(ASK, '/faq ask "note:le prix" ?') == {"question": '"note:le prix" ?'}
    assert bind(ASK, "/faq ask voir https://x.fr/a:b") == {"question": "voir https://x.fr/a:b"}
    channel = CommandSpec(
        ("agency", "channel"),
        D,
        _noop,
        options=(OptionSpec("channel", OptionType.CHANNEL, D, required=True),),
    )
    assert bind(channel, "/agency channel slack:T1:C1") == {"channel": "slack:T1:C1"}


def test_duplicate_and_extra_arguments_are_refused() -> None:
    with pytest.raises(UserError) as err:
        bind(CREATE, "/event create title:a titre:b start:c")
    assert err.value.key == "core.duplicate_option"
    with pytest.raises(UserError) as err:
        bind(CREATE, "/event create a b 3 surplus")
    assert err.value.key == "core.unexpected_argument"


CONVERTER = OptionConverter(
    ZoneInfo("Europe/Paris"),
    lambda: datetime(2026, 11, 26, 10, tzinfo=ZoneInfo("UTC")),
    lambda text, now, tz, lang: now,
)
CALLER = Caller("slack", "T1", "U1", locale="en")


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        (OptionType.INTEGER, " 42 ", 42),
        (OptionType.BOOLEAN, "Oui", True),
        (OptionType.BOOLEAN, "no", False),
        (OptionType.USER, "<@U123|alice>", "U123"),
        (OptionType.USER, "<@!987654>", "987654"),
        (OptionType.CHANNEL, "<#C42|general>", ChannelRef("slack", "T1", "C42")),
        (OptionType.CHANNEL, "discord:G1:555", ChannelRef("discord", "G1", "555")),
    ],
)
def test_typed_values(type_: OptionType, raw: str, expected: object) -> None:
    opt = OptionSpec("x", type_, D)
    assert CONVERTER.convert(opt, raw, CALLER) == expected


@pytest.mark.parametrize(
    ("opt", "raw", "key"),
    [
        (
            OptionSpec("n", OptionType.INTEGER, D, min_value=1, max_value=5),
            "9",
            "core.out_of_range",
        ),
        (OptionSpec("n", OptionType.INTEGER, D), "douze", "core.not_integer"),
        (OptionSpec("b", OptionType.BOOLEAN, D), "peut-être", "core.not_boolean"),
        (OptionSpec("t", OptionType.TEXT, D, max_length=5), "beaucoup trop long", "core.too_long"),
        (OptionSpec("u", OptionType.USER, D), "<script>", "core.bad_user"),
        (OptionSpec("c", OptionType.CHANNEL, D), "# nope !", "core.bad_channel"),
        (
            OptionSpec("l", OptionType.CHOICE, D, choices=(Choice("fr", D),)),
            "de",
            "core.bad_choice",
        ),
    ],
)
def test_invalid_values_name_the_problem(opt: OptionSpec, raw: str, key: str) -> None:
    with pytest.raises(UserError) as err:
        CONVERTER.convert(opt, raw, CALLER)
    assert err.value.key == key


def test_choices_match_labels_without_accents() -> None:
    opt = OptionSpec(
        "answer",
        OptionType.CHOICE,
        D,
        choices=(
            Choice("going", L10n("Je viens", "Going")),
            Choice("maybe", L10n("Peut-être", "Maybe")),
        ),
    )
    assert CONVERTER.convert(opt, "peut-etre", CALLER) == "maybe"
    assert CONVERTER.convert(opt, "GOING", CALLER) == "going"


words = st.sampled_from(["agency", "help", "list", "add", "name:", "region:", "ping", "aide"])
chars = st.text(alphabet="abcz /:\"“”«»'éà-_0123456789?@#<>!|\n\t", max_size=20)
lines = st.lists(st.one_of(words, chars), max_size=8).map(" ".join)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=lines)
async def test_random_command_lines_never_crash(app, line: str) -> None:
    reply = await app.dispatcher.handle_text(console_caller(), PLACE, line)
    assert reply is not None
    assert "ref." not in reply.message.text  # an internal error would carry a reference


def test_free_text_keeps_its_line_breaks() -> None:
    got = bind(ASK, "/faq ask première ligne\n  - un point\n\nfin lang:en")
    assert got == {"lang": "en", "question": "première ligne\n  - un point\n\nfin"}
