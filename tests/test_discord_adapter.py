"""The Discord adapter end to end: real discord.py, real BotApp, the fake Discord over loopback.

What is asserted is what a Discord user would see: the interaction callbacks, follow-ups and
channel messages the fake received (visibility flags, embeds, components, allowed mentions).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.adapter import DiscordAdapter
from bot.context import CommandContext
from bot.errors import ConfigError, SendError
from bot.identity import ChannelRef
from bot.messages import Button, ButtonStyle, Message, Reply
from bot.registry import Registry
from bot.spec import CommandSpec, GroupSpec, L10n, OptionSpec, OptionType
from fedbot.assembly import full_registry, make_app
from fedbot.cli import build_parser
from fedbot.platforms import discord as discord_cli
from fedbot.serving import _serve, platform_adapters
from tests.discord_harness import (
    ALICE,
    BOB,
    CAROL,
    GENERAL,
    GUILD,
    NEWS,
    discord_config,
    fake_discord,
    menu_entries,
    running_bot,
)
from tests.fakes.discord_server import FLAG_EPHEMERAL, FakeDiscord

Json = dict[str, Any]


@pytest.fixture
async def fake() -> Any:
    async with fake_discord() as server:
        yield server


def content_of(body: Json) -> str:
    data = body.get("data", body)
    return data.get("content") or "\n".join(
        f"{e.get('title', '')}|{e.get('description', '')}" for e in data.get("embeds", [])
    )


def bodies_with_messages(fake: FakeDiscord) -> list[Json]:
    """Every message the bot sent, whatever the route (callbacks, follow-ups, channel posts)."""
    found = []
    for request in fake.requests:
        body = request.json if isinstance(request.json, dict) else {}
        data = body.get("data", body) if "type" in body else body
        if request.method in ("POST", "PATCH") and isinstance(data, dict):
            if data.get("content") or data.get("embeds"):
                found.append(data)
    return found


# -- slash commands, roles and languages


async def test_slash_commands_answer_in_the_callers_language_and_role(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with running_bot(tmp_path, fake, sync_on_start=True):
        french = await fake.dispatch_interaction(fake.slash_interaction("help", locale="fr"))
        english = await fake.dispatch_interaction(fake.slash_interaction("help", locale="en-GB"))
        fr_body, en_body = (
            await fake.wait_for_callback(french),
            await fake.wait_for_callback(english),
        )
        assert fr_body["type"] == 4 and fr_body["data"]["flags"] == FLAG_EPHEMERAL
        assert fr_body["data"]["embeds"][0]["title"] == "Commandes de fedbot"
        assert en_body["data"]["embeds"][0]["title"] == "fedbot commands"

        # A plain member is refused, in French, privately.
        refused = await fake.dispatch_interaction(
            fake.slash_interaction(
                "agency add",
                {"name": "Nantes", "region": "Pays de la Loire"},
                user_id=ALICE.id,
                locale="fr",
            )
        )
        body = await fake.wait_for_callback(refused)
        assert body["data"]["flags"] == FLAG_EPHEMERAL
        assert body["data"]["content"].startswith("Cette commande est réservée aux membres")

        # The Discord role named in config makes Bob staff: the reply is public.
        added = await fake.dispatch_interaction(
            fake.slash_interaction(
                "agency add",
                {"name": "Nantes Métropole", "region": "Pays de la Loire"},
                user_id=BOB.id,
                locale="en-US",
            )
        )
        body = await fake.wait_for_callback(added)
        assert body["data"]["content"] == (
            'Agency "Nantes Métropole" added (region Pays de la Loire).'
        )
        assert not body["data"].get("flags")
        (public,) = [m for m in fake.messages_in(GENERAL) if not m["flags"] & FLAG_EPHEMERAL]
        assert public["content"] == body["data"]["content"]

        # Carol is admin through a role id; a channel option arrives as a channel.
        linked = await fake.dispatch_interaction(
            fake.slash_interaction(
                "agency channel",
                {"agency": "nantes metropole", "channel": NEWS},
                user_id=CAROL.id,
                locale="fr",
            )
        )
        body = await fake.wait_for_callback(linked)
        assert f"discord:{GUILD}:{NEWS}" in body["data"]["content"]

        listed = await fake.dispatch_interaction(
            fake.slash_interaction("agency list", user_id=ALICE.id, locale="fr")
        )
        body = await fake.wait_for_callback(listed)
        (embed,) = body["data"]["embeds"]
        assert embed["title"] == "1 agence"
        assert embed["fields"] == [
            {"name": "Pays de la Loire", "value": "Nantes Métropole (1 salon)", "inline": False}
        ]
        assert fake.protocol_errors == [] and fake.unhandled_requests == []


async def test_autocomplete_suggests_agencies(tmp_path: Path, fake: FakeDiscord) -> None:
    async with running_bot(tmp_path, fake, sync_on_start=True) as (app, _):
        for name in ("Agence de Nancy", "Nantes Métropole", "Lyon"):
            await app.services.agencies.add(name, "Région", app.clock.now())
        typing = await fake.dispatch_interaction(
            fake.autocomplete_interaction("agency channel", {"agency": "nan"}, focused="agency")
        )
        body = await fake.wait_for_callback(typing)
        assert body == {
            "type": 8,
            "data": {
                "choices": [
                    {"name": "Nantes Métropole", "value": "Nantes Métropole"},
                    {"name": "Agence de Nancy", "value": "Agence de Nancy"},
                ]
            },
        }


async def test_a_throttled_user_is_warned_once_then_silently_acknowledged(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    throttle = {"throttle": {"enabled": True, "burst": 1, "rate_per_minute": 1}}
    async with running_bot(tmp_path, fake, raw=throttle):
        bodies = []
        for _ in range(3):
            sent = await fake.dispatch_interaction(fake.slash_interaction("ping", locale="en-US"))
            bodies.append(await fake.wait_for_callback(sent))
        assert bodies[0]["data"]["content"].startswith("Pong")
        assert bodies[1]["data"]["content"].startswith("Easy!")
        # Nothing to show: acknowledged (Discord would say "did not respond" otherwise)...
        assert bodies[2] == {"type": 5, "data": {"flags": FLAG_EPHEMERAL}}
        await fake.wait_for_request("DELETE webhooks/*/*/messages/@original")
        # ...and the "thinking" note removed.
        assert len(fake.messages_in(GENERAL)) == 2


# -- deadlines


def declare_gated(registry: Registry, gate: asyncio.Event) -> None:
    async def wait_then_answer(ctx: CommandContext) -> Reply:
        await gate.wait()
        text = f"Rapport prêt pour {ctx.caller.display_name}"
        return Reply.text(text, ephemeral=ctx.spec.path[-1] == "report")

    registry.add_group(GroupSpec("demo", L10n("Démonstration", "Demo")))
    registry.add(
        CommandSpec(
            ("demo", "report"),
            L10n("Un rapport lent", "A slow report"),
            wait_then_answer,
            slow=True,
        )
    )
    registry.add(
        CommandSpec(
            ("demo", "late"),
            L10n("Une réponse publique en retard", "A late public answer"),
            wait_then_answer,
        )
    )


async def test_a_slow_command_is_deferred_at_once_then_followed_up(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    gate = asyncio.Event()
    async with running_bot(
        tmp_path, fake, declare=lambda r: declare_gated(r, gate), sync_on_start=True
    ):
        started = time.monotonic()
        sent = await fake.dispatch_interaction(fake.slash_interaction("demo report"))
        body = await fake.wait_for_callback(sent)
        assert time.monotonic() - started < 1.0  # slow: deferred without waiting
        assert body == {"type": 5, "data": {"flags": FLAG_EPHEMERAL}}
        assert fake.followups == []

        gate.set()
        followup = await fake.wait_for_followup(sent)
        assert followup["content"] == "Rapport prêt pour Tester"
        assert [f.replaced_original for f in fake.followups] == [True]
        original = fake.original_response(sent)
        assert original is not None and original["flags"] & FLAG_EPHEMERAL
        assert fake.protocol_errors == []


async def test_a_command_past_the_deadline_is_deferred_and_its_public_reply_posted(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    gate = asyncio.Event()
    async with running_bot(
        tmp_path,
        fake,
        declare=lambda r: declare_gated(r, gate),
        sync_on_start=True,
        ack_deadline=0.2,
    ):
        sent = await fake.dispatch_interaction(fake.slash_interaction("demo late", locale="fr"))
        started = time.monotonic()
        body = await fake.wait_for_callback(sent)
        assert 0.1 < time.monotonic() - started < 3.0  # deferred past 0.2 s, inside Discord's 3 s
        assert body == {"type": 5, "data": {"flags": FLAG_EPHEMERAL}}  # nothing leaks early

        gate.set()
        await fake.wait_for_request("DELETE webhooks/*/*/messages/@original")
        # The reply is public; the private "thinking" note said where it went, then vanished.
        (message,) = fake.messages_in(GENERAL)
        assert message["content"] == "Rapport prêt pour Tester"
        assert not message["flags"] & FLAG_EPHEMERAL
        note = fake.requests_matching("PATCH webhooks/*/*/messages/@original")[0].json
        assert note["content"] == "✅ Réponse publiée dans le salon."
        assert fake.protocol_errors == []


# -- buttons


def declare_vote(registry: Registry) -> None:
    async def show_vote(ctx: CommandContext) -> Reply:
        buttons = (
            Button("Pour", "demo.cast", {"choice": "yes"}, ButtonStyle.PRIMARY),
            Button("Contre", "demo.cast", {"choice": "no", "private": "1"}, ButtonStyle.DANGER),
        )
        return Reply(Message(title="Vote", text="Votez !", buttons=buttons), ephemeral=False)

    async def cast(ctx: CommandContext) -> Reply:
        text = f"{ctx.caller.display_name} : {ctx.options['choice']}"
        if ctx.options["private"]:
            return Reply.text(f"(privé) {text}")
        return Reply(Message(title="Vote", text=text), ephemeral=False, replace_original=True)

    registry.add_group(GroupSpec("demo", L10n("Démonstration", "Demo")))
    registry.add(CommandSpec(("demo", "vote"), L10n("Un vote", "A vote"), show_vote))
    registry.add(
        CommandSpec(
            ("demo", "cast"),
            L10n("Voter", "Cast a vote"),
            cast,
            options=(
                OptionSpec("choice", OptionType.TEXT, L10n("Choix", "Choice"), required=True),
                OptionSpec("private", OptionType.BOOLEAN, L10n("Privé", "Private")),
            ),
            hidden=True,
        )
    )


async def test_buttons_work_after_a_restart(tmp_path: Path, fake: FakeDiscord) -> None:
    buttons = (
        Button("Pour", "demo.cast", {"choice": "yes"}, ButtonStyle.PRIMARY),
        Button("Contre", "demo.cast", {"choice": "no", "private": "1"}, ButtonStyle.DANGER),
        Button("Ancien", "gone.away", {"x": "1"}),
    )
    async with running_bot(tmp_path, fake, declare=declare_vote, sync_on_start=True) as (app, _):
        (demo,) = [c for c in fake.commands() if c["name"] == "demo"]
        assert [o["name"] for o in demo["options"]] == ["vote"]  # hidden `cast` not listed
        posted = await app.outbound.send(
            ChannelRef("discord", str(GUILD), str(GENERAL)),
            Message(title="Vote", text="Votez !", buttons=buttons),
        )
    message_id = int(posted.message_id)
    stored = fake.message(message_id)
    assert stored is not None
    shown = stored["components"][0]["components"]
    assert [(b["custom_id"], b["style"]) for b in shown] == [
        ("fb:demo.cast:choice=yes", 1),
        ("fb:demo.cast:choice=no&private=1", 4),
        ("fb:gone.away:x=1", 2),
    ]

    # A new process (new app, new adapter, same database) has never seen that message.
    async with running_bot(tmp_path, fake, declare=declare_vote):
        private = await fake.dispatch_interaction(
            fake.component_interaction(shown[1]["custom_id"], message_id, user_id=ALICE.id)
        )
        body = await fake.wait_for_callback(private)
        assert body["type"] == 4 and body["data"]["flags"] == FLAG_EPHEMERAL
        assert body["data"]["content"] == "(privé) Alice : no"

        stale = await fake.dispatch_interaction(
            fake.component_interaction(shown[2]["custom_id"], message_id, locale="fr")
        )
        body = await fake.wait_for_callback(stale)
        assert body["data"]["content"] == "Ce bouton n'est plus valable. Relancez la commande."

        click = await fake.dispatch_interaction(
            fake.component_interaction(shown[0]["custom_id"], message_id, user_id=BOB.id)
        )
        body = await fake.wait_for_callback(click)
        assert body["type"] == 7  # the clicked message is edited in place
        edited = fake.message(message_id)
        assert edited is not None
        assert edited["embeds"][0]["description"] == "Bob : yes"
        assert edited["components"] == []
    assert fake.protocol_errors == []


async def test_a_slash_reply_with_buttons_can_be_clicked(tmp_path: Path, fake: FakeDiscord) -> None:
    async with running_bot(tmp_path, fake, declare=declare_vote, sync_on_start=True):
        vote = await fake.dispatch_interaction(fake.slash_interaction("demo vote"))
        body = await fake.wait_for_callback(vote)
        ids = [b["custom_id"] for b in body["data"]["components"][0]["components"]]
        assert ids == ["fb:demo.cast:choice=yes", "fb:demo.cast:choice=no&private=1"]
        original = fake.original_response(vote)
        assert original is not None
        click = await fake.dispatch_interaction(
            fake.component_interaction(ids[0], int(original["id"]), user_id=CAROL.id)
        )
        await fake.wait_for_callback(click)
        edited = fake.message(int(original["id"]))
        assert edited is not None and edited["embeds"][0]["description"] == "Carol : yes"


# -- mentions


async def test_user_text_never_pings(tmp_path: Path, fake: FakeDiscord) -> None:
    async with running_bot(tmp_path, fake, sync_on_start=True) as (app, _):
        hostile = "@everyone @here <@&3000000000000000004> <@3000000000000000010> Lyon"
        added = await fake.dispatch_interaction(
            fake.slash_interaction(
                "agency add", {"name": hostile, "region": "@here"}, user_id=BOB.id
            )
        )
        await fake.wait_for_callback(added)
        await app.outbound.send(
            ChannelRef("discord", str(GUILD), str(NEWS)),
            Message(title="@everyone", text=f"Relayed: {hostile}", footer="@here"),
        )
        await app.outbound.send_dm("discord", str(GUILD), str(ALICE.id), Message(text=hostile))

    sent = bodies_with_messages(fake)
    assert len(sent) == 3
    assert all(body["allowed_mentions"] == {"parse": []} for body in sent)
    for message in [*fake.messages_in(GENERAL), *fake.messages_in(NEWS)]:
        assert not message["mention_everyone"]
        assert message["mentions"] == [] and message["mention_roles"] == []
        shown = content_of(message) + str(message["embeds"])
        assert "@everyone" not in shown and "@here" not in shown
        assert "@\u200beveryone" in shown
    dm = fake.messages_in(fake.dm_channel_id(ALICE.id) or 0)
    assert dm[0]["content"].startswith("@\u200beveryone @\u200bhere <@\u200b&")


# -- sending


async def test_a_rate_limited_send_is_retried_and_delivered_once(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with running_bot(tmp_path, fake) as (app, _):
        fake.fail_next("POST channels/{id}/messages", status=429, retry_after=0.2)
        started = time.monotonic()
        posted = await app.outbound.send(
            ChannelRef("discord", str(GUILD), str(GENERAL)), Message(text="Forum jeudi 18 h")
        )
        assert time.monotonic() - started >= 0.2
    attempts = fake.requests_matching("POST channels/*/messages")
    assert [r.status for r in attempts] == [429, 200]
    (message,) = fake.messages_in(GENERAL)
    assert message["content"] == "Forum jeudi 18 h" and message["id"] == posted.message_id


async def test_sender_failures_say_whether_to_retry(tmp_path: Path, fake: FakeDiscord) -> None:
    async with running_bot(tmp_path, fake) as (app, _):
        unknown = ChannelRef("discord", str(GUILD), "4000000000000000000")
        with pytest.raises(SendError) as error:
            await app.outbound.send(unknown, Message(text="hello"))
        assert error.value.permanent

        general = ChannelRef("discord", str(GUILD), str(GENERAL))
        fake.fail_next(
            "POST channels/*/messages",
            status=403,
            body={"message": "Missing Access", "code": 50001},
        )
        with pytest.raises(SendError) as error:
            await app.outbound.send(general, Message(text="hello"))
        assert error.value.permanent

        # A wait longer than `max_ratelimit_wait` is the caller's to schedule.
        fake.fail_next("POST channels/*/messages", status=429, retry_after=90)
        with pytest.raises(SendError) as error:
            await app.outbound.send(general, Message(text="hello"))
        assert not error.value.permanent and error.value.retry_after == 90
        # That wait belongs to the channel's route: the channel holds its sends for it...
        tried = len(fake.requests_matching(f"POST channels/{GENERAL}/messages"))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(app.outbound.send(general, Message(text="encore")), 0.5)
        assert len(fake.requests_matching(f"POST channels/{GENERAL}/messages")) == tried
        # ...and every other channel is served at once (it used to stall all Discord sends).
        news = ChannelRef("discord", str(GUILD), str(NEWS))
        posted = await asyncio.wait_for(app.outbound.send(news, Message(text="Forum")), 10)
        assert [m["id"] for m in fake.messages_in(NEWS)][-1] == posted.message_id

        with pytest.raises(SendError) as error:
            await app.outbound.send(ChannelRef("discord", "x", "general"), Message(text="hi"))
        assert error.value.permanent


async def test_sender_posts_edits_and_withdraws(tmp_path: Path, fake: FakeDiscord) -> None:
    async with running_bot(tmp_path, fake) as (app, _):
        general = ChannelRef("discord", str(GUILD), str(GENERAL))
        long = Message(title="Compte rendu", text="mot " * 2000)  # 8000 chars: two messages
        posted = await app.outbound.send(general, long)
        first, second = posted.message_id.split(",")
        assert [m["id"] for m in fake.messages_in(GENERAL)] == [first, second]

        await app.outbound.edit(posted, Message(text="Envoi : 12/80 agences"))
        (shown,) = fake.messages_in(GENERAL)  # shorter now: the second part is withdrawn
        assert shown["id"] == first and shown["content"] == "Envoi : 12/80 agences"
        assert shown["embeds"] == []
        edit = fake.requests_matching(f"PATCH channels/{GENERAL}/messages/{first}")[0].json
        assert edit["allowed_mentions"] == {"parse": []}

        await app.outbound.delete(posted)
        assert fake.messages_in(GENERAL) == []
        await app.outbound.delete(posted)  # already gone: not an error


# -- lifecycle and CLI


async def test_fedbot_discord_sync_pushes_the_tree(
    tmp_path: Path, fake: FakeDiscord, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = full_registry()
    roots = list(dict.fromkeys(p[0] for p, s in registry.commands.items() if not s.hidden))
    roots += menu_entries(registry)  # "Add to FAQ" in a message's menu
    config = discord_config(tmp_path, fake, guild_ids=[str(GUILD)])
    assert await discord_cli(config, build_parser().parse_args(["discord", "sync"])) == 0
    assert [c["name"] for c in fake.command_payloads[GUILD]] == roots
    assert None not in fake.command_payloads

    args = build_parser().parse_args(["discord", "sync", "--global"])
    assert await discord_cli(config, args) == 0
    assert [c["name"] for c in fake.command_payloads[None]] == roots
    assert fake.identify_payloads == []  # HTTP only: the gateway is never opened
    assert fake.protocol_errors == []

    args = build_parser().parse_args(["discord", "sync", "--global", "--clear"])
    assert await discord_cli(config, args) == 0
    assert fake.command_payloads[None] == []

    args = build_parser().parse_args(["discord", "sync", "--guild", "42"])
    assert await discord_cli(config, args) == 2  # not a guild of the bot: said, not raised
    wrong = replace(config, secrets=replace(config.secrets, discord_token="wrong"))
    assert await discord_cli(wrong, build_parser().parse_args(["discord", "sync"])) == 2
    assert "DISCORD_TOKEN: refused by Discord" in capsys.readouterr().err


async def test_run_serves_discord_until_sigterm(tmp_path: Path, fake: FakeDiscord) -> None:
    config = discord_config(tmp_path, fake)
    async with make_app(config, start_scheduler=False) as app:
        adapters = platform_adapters(app)
        assert [type(a) for a in adapters] == [DiscordAdapter]
        serving = asyncio.create_task(_serve(app, adapters))
        await fake.wait_for_identify()
        while "discord" not in app.outbound.platforms:
            await asyncio.sleep(0.01)
        identify = fake.identify_payloads[0]
        assert identify["intents"] == 1  # GUILDS only: nothing privileged
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(serving, 5)
        assert app.outbound.platforms == [] and not fake.connected


async def test_a_refused_token_fails_start_and_leaves_discord_py_as_it_was(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    from discord.http import Route

    config = discord_config(tmp_path, fake)
    wrong = replace(config, secrets=replace(config.secrets, discord_token="wrong"))
    before = Route.BASE
    async with make_app(wrong, start_scheduler=False) as app:
        with pytest.raises(ConfigError, match="DISCORD_TOKEN: refused by Discord"):
            await DiscordAdapter(app).start()
        assert app.outbound.platforms == []
    assert Route.BASE == before and fake.identify_payloads == []
