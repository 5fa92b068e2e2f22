"""A stranger's Discord server: the bot invited there, a role named like the federation's,
commands, clicks, autocomplete and direct messages from people of no federation server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.discord_harness import ALICE, GUILD, fake_discord, make_guild, running_bot
from tests.fakes.discord_server import (
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
)
from tests.security.support import changed, snapshot

STRANGE_GUILD = 5_000_000_000_000_000_001
STRANGE_CHANNEL = 5_000_000_000_000_000_002
STRANGE_ROLE = 5_000_000_000_000_000_003
MALLORY = FakeUser(id=5_000_000_000_000_000_010, username="mallory", global_name="Mallory")
NOBODY = FakeUser(id=5_000_000_000_000_000_011, username="nobody", global_name="Nobody")


def strange_guild(guild_id: int = STRANGE_GUILD) -> FakeGuild:
    """Mallory's own server, with a role named like the federation staff's."""
    return FakeGuild(
        id=guild_id,
        name="Pirates",
        channels=[FakeChannel(guild_id + 1, "general")],
        roles=[FakeRole(guild_id + 2, "Équipe fédérale")],
        members=[FakeMember(MALLORY, roles=[guild_id + 2])],
    )


async def _until(predicate, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def test_the_bot_leaves_servers_outside_the_federation(tmp_path: Path) -> None:
    fake = FakeDiscord(guilds=[make_guild(), strange_guild()], patch_discord=False)
    async with fake, running_bot(tmp_path, fake) as (app, _):
        await _until(lambda: STRANGE_GUILD in fake.left_guild_ids)
        later = strange_guild(STRANGE_GUILD + 100)
        await fake.join_guild(later)  # invited again, to another server, at run time
        await _until(lambda: later.id in fake.left_guild_ids)
        known = {w.workspace_id: w.status for w in await app.services.federation.overview()}
    assert GUILD not in fake.left_guild_ids
    assert known[str(GUILD)] == "listed"
    assert known[str(STRANGE_GUILD)] == known[str(later.id)] == "pending"


async def test_commands_and_completions_from_a_strange_server_do_nothing(
    tmp_path: Path,
) -> None:
    fake = FakeDiscord(guilds=[make_guild(), strange_guild()], patch_discord=False)
    async with fake:
        # Built while the server exists: Discord may deliver them before the bot has left.
        attempts = [
            fake.slash_interaction(name, options, user_id=MALLORY.id, guild_id=STRANGE_GUILD,
                                   locale="en-US")
            for name, options in (
                ("announce send", {"text": "Offre spéciale !", "to": "all"}),
                ("event rsvp", {"event": 1, "answer": "going"}),
                ("faq ask", {"question": "une question que personne ne connaît"}),
                ("profile set", {"interests": "tiers-lieux", "match": True}),
                ("agency add", {"name": "Agence pirate", "region": "Nulle-part"}),
            )
        ]  # fmt: skip
        # "Add to FAQ" in a message's menu, on a reply in Mallory's server.
        root = fake.post_user_message(
            STRANGE_CHANNEL, "Comment gagner au loto ?", user_id=MALLORY.id
        )
        answer = fake.post_user_message(
            STRANGE_CHANNEL, "Achetez nos tickets.", user_id=MALLORY.id, reply_to=int(root["id"])
        )
        attempts.append(
            fake.message_command_interaction("Add to FAQ", int(answer["id"]), user_id=MALLORY.id)
        )
        typing = fake.autocomplete_interaction(
            "agency channel", {"agency": "n"}, focused="agency", user_id=MALLORY.id,
            guild_id=STRANGE_GUILD,
        )  # fmt: skip
        async with running_bot(tmp_path, fake, sync_on_start=True) as (app, _):
            await app.services.agencies.add("Nantes Métropole", "Pays de la Loire", app.clock.now())
            before = await snapshot(app, exclude=("workspaces",))
            replies = []
            for payload in attempts:
                await fake.dispatch_interaction(payload)
                replies.append(await fake.wait_for_callback(payload))
            await fake.dispatch_interaction(typing)
            suggestions = await fake.wait_for_callback(typing)
            after = await snapshot(app, exclude=("workspaces",))

    texts = [r["data"].get("content", "") for r in replies]
    assert all("Sorry, fedbot only serves" in text for text in texts), texts
    assert suggestions == {"type": 8, "data": {"choices": []}}
    assert changed(before, after) == []


async def test_direct_messages_belong_to_members_of_a_federation_server(tmp_path: Path) -> None:
    fake = fake_discord()
    async with fake, running_bot(tmp_path, fake, sync_on_start=True) as (app, _):
        before = await snapshot(app, exclude=("workspaces",))
        member = fake.slash_interaction("ping", user_id=ALICE.id, dm=True, locale="fr")
        stranger = fake.slash_interaction(
            "profile set", {"interests": "tiers-lieux"}, user_id=NOBODY.id, dm=True
        )
        for payload in (member, stranger):
            await fake.dispatch_interaction(payload)
        welcome = await fake.wait_for_callback(member)
        refused = await fake.wait_for_callback(stranger)
        after = await snapshot(app, exclude=("workspaces",))

    assert welcome["data"]["content"].startswith("Pong ! fedbot fonctionne")
    assert "Sorry, fedbot only serves" in refused["data"]["content"]
    assert changed(before, after) == []


@pytest.mark.parametrize("role_name", ["Équipe fédérale", "Bureau"])
async def test_a_role_named_like_the_staff_role_grants_nothing(
    tmp_path: Path, role_name: str
) -> None:
    """Inside a federation server, a role created with the staff role's name is not it: only
    the granted role id counts."""
    guild = make_guild()
    copycat = FakeRole(3_000_000_000_000_000_099, role_name)
    guild.roles.append(copycat)
    guild.members.append(FakeMember(MALLORY, roles=[copycat.id]))
    fake = FakeDiscord(guilds=[guild], patch_discord=False)
    async with fake, running_bot(tmp_path, fake, sync_on_start=True) as (app, _):
        before = await snapshot(app)
        attempt = fake.slash_interaction(
            "agency add", {"name": "Agence pirate", "region": "Nulle-part"}, user_id=MALLORY.id
        )
        await fake.dispatch_interaction(attempt)
        body = await fake.wait_for_callback(attempt)
        after = await snapshot(app)
    assert "This command is for" in body["data"]["content"]
    assert changed(before, after) == []
