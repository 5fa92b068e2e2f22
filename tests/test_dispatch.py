"""The dispatcher as users meet it: help, errors, roles, throttling, buttons, bugs."""

from __future__ import annotations

import pytest

from bot.app import BotApp
from bot.context import CommandContext
from bot.errors import UserError
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Button, Message, Reply
from bot.spec import CommandSpec, L10n, OptionSpec, OptionType, Role
from bot.throttle import Throttle
from fedbot.assembly import make_app
from tests.conftest import PLACE


async def test_help_lists_only_what_the_role_may_use(say) -> None:
    member = (await say("/help", role=Role.MEMBER)).message
    staff = (await say("/help", role=Role.STAFF)).message
    member_text = member.plain_text()
    assert "/agence liste" in member_text
    assert "/agence ajouter" not in member_text
    assert "/agence ajouter" in staff.plain_text()
    assert member.title == "Commandes de fedbot"


async def test_help_speaks_the_callers_language(say) -> None:
    reply = await say("/help", lang="en")
    assert reply.message.title == "fedbot commands"
    assert "List agencies by region" in reply.message.plain_text()


async def test_help_on_one_command_gives_usage_and_options(say) -> None:
    text = (await say("/help agency add", lang="en")).message.plain_text()
    assert "Usage: /agency add name:<…> region:<…>" in text
    assert "For federation staff only." in text


async def test_french_aliases_reach_the_same_command(say) -> None:
    await say('/agence ajouter nom:"Lyon Attractivité" region:"Auvergne-Rhône-Alpes"')
    text = (await say("/agence liste")).message.plain_text()
    assert "Lyon Attractivité (aucun salon)" in text


async def test_unknown_command_suggests_the_closest(say) -> None:
    reply = await say("/agency lst")
    assert reply.is_error and reply.ephemeral
    assert "ajouter, salon, detacher, liste" in reply.message.text
    reply = await say("/hepl")
    assert "Vouliez-vous dire /aide ?" in reply.message.text
    reply = await say("/zzz", lang="en")
    assert reply.message.text.startswith('I don\'t know the command "zzz"')


async def test_missing_option_says_what_to_type(say) -> None:
    reply = await say("/agency add name:Lyon", lang="en")
    assert reply.is_error
    assert 'The option "region" is missing.' in reply.message.text
    assert "Usage: /agency add name:<…> region:<…>" in reply.message.text


async def test_role_is_checked_in_the_core(say) -> None:
    reply = await say('/agency add name:"X Y" region:Bretagne', role=Role.MODERATOR)
    assert reply.is_error
    assert reply.message.text.startswith(
        "Cette commande est réservée aux membres de l'équipe fédérale."
    )
    assert "X Y" not in (await say("/agency list")).message.plain_text()


async def test_roles_come_from_config_users_groups_and_agencies(tmp_path, clock) -> None:
    from tests.conftest import make_config

    guild, role = "300000000000000001", "300000000000000004"
    raw = {
        "federation": {"slack_teams": ["T01"], "discord_guilds": [guild]},
        "roles": {"staff": ["slack:T01:U01"], "faq_editor": ["slack:T01:S0EDIT"]},
        "agencies": [
            {"name": "Rennes", "region": "Bretagne", "moderators": [f"discord:{guild}:{role}"]}
        ],
    }
    async with make_app(make_config(tmp_path, raw), clock=clock) as app:
        roles = app.dispatcher.roles
        rennes = await app.services.agencies.find("Rennes")
        assert roles.access_for(Caller("slack", "T01", "U01")).role is Role.STAFF
        assert roles.access_for(Caller("slack", "T02", "U01")).role is Role.MEMBER
        editor = roles.access_for(Caller("slack", "T01", "U7", groups=frozenset({"S0EDIT"})))
        assert editor.may(Role.FAQ_EDITOR) and not editor.may(Role.MODERATOR)
        mod = roles.access_for(Caller("discord", guild, "42", groups=frozenset({role})))
        assert mod.may(Role.MODERATOR) and mod.moderates == {rennes.id}
        assert not mod.may(Role.FAQ_EDITOR)
        # The same role id in another server grants nothing.
        other = Caller("discord", "300000000000000099", "42", groups=frozenset({role}))
        assert roles.access_for(other).role is Role.MEMBER


def _register(app: BotApp, spec: CommandSpec) -> None:
    app.services.registry.add(spec)


async def test_a_bug_becomes_a_reference_never_a_traceback(app: BotApp, say, caplog) -> None:
    async def broken(ctx: CommandContext) -> Reply:
        raise RuntimeError("secret internals")

    _register(app, CommandSpec(("boom",), L10n("Casse", "Breaks"), broken))
    reply = await say("/boom", lang="en")
    assert reply.is_error
    assert "secret internals" not in reply.message.text
    assert "something went wrong on our side (ref." in reply.message.text
    ref = reply.message.text.split("ref. ")[1].split(")")[0]
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)


async def test_user_error_from_a_handler_is_localised(app: BotApp, say) -> None:
    async def picky(ctx: CommandContext) -> Reply:
        raise UserError("agency.not_found", name=ctx.options["name"])

    _register(
        app,
        CommandSpec(
            ("picky",),
            L10n("Difficile", "Picky"),
            picky,
            options=(OptionSpec("name", OptionType.TEXT, L10n("Nom", "Name"), required=True),),
        ),
    )
    reply = await say("/picky Rennes", lang="en")
    assert reply.message.text == 'I can\'t find an agency "Rennes". See /agency list.'


async def test_a_button_click_runs_its_command_with_the_same_checks(app: BotApp) -> None:
    seen: list[int] = []

    async def vote(ctx: CommandContext) -> Reply:
        seen.append(ctx.options["n"])
        return Reply.text(f"vote {ctx.options['n']}")

    async def ballot(ctx: CommandContext) -> Reply:
        return Reply(Message(text="?", buttons=(Button("Un", "vote", {"n": "1"}),)))

    _register(
        app,
        CommandSpec(
            ("vote",),
            L10n("Vote", "Vote"),
            vote,
            hidden=True,
            role=Role.MODERATOR,
            options=(OptionSpec("n", OptionType.INTEGER, L10n("n", "n"), min_value=1),),
        ),
    )
    _register(app, CommandSpec(("ballot",), L10n("Bulletin", "Ballot"), ballot))
    member = Caller("console", "local", "bob", assumed_role=Role.MEMBER)
    moderator = Caller("console", "local", "eve", assumed_role=Role.MODERATOR)
    button = (await app.dispatcher.handle_text(member, PLACE, "/ballot")).message.buttons[0]
    refused = await app.dispatcher.handle_action(member, PLACE, button.action, button.value)
    assert refused.is_error and seen == []
    done = await app.dispatcher.handle_action(moderator, PLACE, button.action, button.value)
    assert done.message.text == "vote 1" and seen == [1]
    stale = await app.dispatcher.handle_action(moderator, PLACE, "gone.away", "")
    assert stale.message.text == "Ce bouton n'est plus valable. Relancez la commande."
    assert (
        "/vote"
        not in (await app.dispatcher.handle_text(moderator, PLACE, "/help")).message.plain_text()
    )


async def test_a_flooding_user_gets_one_cooldown_reply_others_are_unaffected(app: BotApp) -> None:
    now = [0.0]
    app.dispatcher.throttle = Throttle(burst=3, rate_per_minute=6, clock=lambda: now[0])
    place = Place(ChannelRef("slack", "T1", "C1"))
    flooder, other = Caller("slack", "T1", "U1"), Caller("slack", "T1", "U2")
    replies = [await app.dispatcher.handle_text(flooder, place, "/ping") for _ in range(6)]
    assert [r is not None and not r.is_error for r in replies[:3]] == [True, True, True]
    assert replies[3].is_error and "réessayez dans 10 s" in replies[3].message.text
    assert replies[4:] == [None, None]
    assert not (await app.dispatcher.handle_text(other, place, "/ping")).is_error
    now[0] += 10.0
    assert not (await app.dispatcher.handle_text(flooder, place, "/ping")).is_error


async def test_a_flood_is_warned_once_even_as_tokens_refill(app: BotApp) -> None:
    """500 commands in 5 s: tokens trickle back and some go through, but one cooldown reply
    in all, until the user pauses long enough for the bucket to fill again."""
    now = [0.0]
    app.dispatcher.throttle = Throttle(burst=10, rate_per_minute=20, clock=lambda: now[0])
    place = Place(ChannelRef("slack", "T1", "C1"))
    flooder = Caller("slack", "T1", "U1")
    warnings = 0
    for _ in range(500):
        reply = await app.dispatcher.handle_text(flooder, place, "/ping")
        warnings += reply is not None and reply.is_error
        now[0] += 0.01
    assert warnings == 1
    now[0] += 30.0  # a pause: the bucket is full again, the next flood gets its own warning
    replies = [await app.dispatcher.handle_text(flooder, place, "/ping") for _ in range(11)]
    assert [r is not None and r.is_error for r in replies] == [False] * 10 + [True]


async def test_the_console_is_never_throttled(app: BotApp, say) -> None:
    app.dispatcher.throttle = Throttle(burst=1, rate_per_minute=1)
    for _ in range(5):
        assert not (await say("/ping")).is_error


async def test_messages_from_bots_are_ignored(app: BotApp) -> None:
    bot = Caller("slack", "T1", "B1", is_bot=True)
    assert await app.dispatcher.handle_text(bot, PLACE, "/help") is None


@pytest.mark.parametrize("line", ["", "/", "   ", "/help extra words that are many"])
async def test_odd_lines_get_an_answer(say, line: str) -> None:
    assert isinstance(await say(line), Reply)


async def test_channel_messages_reach_listeners_but_never_from_bots(app: BotApp, caplog) -> None:
    async def broken(message, services, t) -> Reply | None:
        raise RuntimeError("listener bug")

    async def echo(message, services, t) -> Reply | None:
        return Reply.text(f"vu : {message.text}") if "?" in message.text else None

    app.dispatcher.listeners[:] = [broken, echo]
    place = Place(ChannelRef("slack", "T1", "C1"), message_id="1700000000.000100")
    human, bot = Caller("slack", "T1", "U1"), Caller("slack", "T1", "B1", is_bot=True)
    reply = await app.dispatcher.handle_message(human, place, "on adhère comment ?")
    assert reply is not None and reply.message.text == "vu : on adhère comment ?"
    assert await app.dispatcher.handle_message(human, place, "merci") is None
    assert await app.dispatcher.handle_message(bot, place, "une question ?") is None
    assert any("listener broken failed" in r.getMessage() for r in caplog.records)


async def test_agencies_are_seeded_from_config_at_every_start(tmp_path, clock) -> None:
    from tests.conftest import make_config

    raw = {
        "agencies": [
            {"name": "Brest Métropole", "region": "Bretagne", "channels": ["slack:T1:C9"]},
        ]
    }
    for _ in range(2):  # a restart changes nothing
        async with make_app(make_config(tmp_path, raw), clock=clock, start_scheduler=False) as app:
            listed = await app.services.agencies.list()
            assert [(a.name, a.channel_count) for a in listed] == [("Brest Métropole", 1)]
            found = await app.services.agencies.agency_of(ChannelRef("slack", "T1", "C9"))
            assert found is not None and found.name == "Brest Métropole"


async def test_help_on_a_group_lists_only_what_the_role_may_use(say) -> None:
    member = (await say("/help agency", role=Role.MEMBER, lang="en")).message.plain_text()
    assert "/agency list" in member and "/agency add" not in member
    staff = (await say("/help agency", role=Role.STAFF, lang="en")).message.plain_text()
    assert "/agency add" in staff
