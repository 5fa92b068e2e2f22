"""Over-the-wire tests of :mod:`tests.fakes.discord_server` with the real discord.py client.

Why: the fake is only useful if the unmodified ``discord.Client`` +
``CommandTree`` can log in, connect, receive interactions and answer them
through it.  These tests prove that end to end (no mocks, loopback only), so
adapter tests built on the fake can trust it.
"""

from __future__ import annotations

import asyncio
import datetime
import io
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.http import Route

from tests.fakes.discord_server import (
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
)

GUILD_ID = 2_000_000_000_000_000_001
CHANNEL_ID = 2_000_000_000_000_000_002
ANNOUNCE_ID = 2_000_000_000_000_000_003
ROLE_ID = 2_000_000_000_000_000_004
ALICE = FakeUser(id=2_000_000_000_000_000_005, username="alice", global_name="Alice")


def make_guild() -> FakeGuild:
    return FakeGuild(
        id=GUILD_ID,
        name="Agencies",
        channels=[
            FakeChannel(id=CHANNEL_ID, name="general"),
            FakeChannel(id=ANNOUNCE_ID, name="announcements", type=5),
        ],
        roles=[FakeRole(id=ROLE_ID, name="organiser", permissions=1 << 33)],
        members=[FakeMember(user=ALICE, roles=[ROLE_ID])],
        preferred_locale="fr",
    )


@dataclass
class Bot:
    """A real discord.py client wired like a small bot, plus what its callbacks saw."""

    client: discord.Client
    tree: app_commands.CommandTree
    seen: dict[str, Any] = field(default_factory=dict)


class RsvpView(discord.ui.View):
    """Persistent view: fixed custom_ids, no timeout, registered with ``add_view``."""

    def __init__(self, seen: dict[str, Any]) -> None:
        super().__init__(timeout=None)
        self.seen = seen

    @discord.ui.button(label="Going", custom_id="rsvp:yes", style=discord.ButtonStyle.success)
    async def going(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.seen["rsvp"] = (interaction.user.id, interaction.message and interaction.message.id)
        await interaction.response.send_message("See you there", ephemeral=True)

    @discord.ui.button(label="Not going", custom_id="rsvp:no")
    async def not_going(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="RSVP closed", view=None)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    comment: discord.ui.TextInput = discord.ui.TextInput(label="Comment", custom_id="comment")

    def __init__(self, seen: dict[str, Any]) -> None:
        super().__init__(custom_id="feedback-modal")
        self.seen = seen

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.seen["feedback"] = self.comment.value
        await interaction.response.send_message("Thanks!", ephemeral=True)


def make_bot() -> Bot:
    client = discord.Client(intents=discord.Intents.default())  # no privileged intents
    tree = app_commands.CommandTree(client)
    bot = Bot(client=client, tree=tree)
    seen = bot.seen

    event = app_commands.Group(name="event", description="Manage events")

    @event.command(name="create", description="Create an event")
    @app_commands.describe(title="Event title", seats="Number of seats")
    async def create(
        interaction: discord.Interaction, title: str, seats: int = 10, public: bool = False
    ) -> None:
        member = interaction.user
        seen["create"] = {
            "title": title,
            "seats": seats,
            "public": public,
            "locale": interaction.locale,
            "guild_locale": interaction.guild_locale,
            "user_id": member.id,
            "role_ids": [r.id for r in getattr(member, "roles", [])],
            "channel_id": interaction.channel_id,
        }
        await interaction.response.send_message(f"Created {title} ({seats} seats)", ephemeral=True)

    @event.command(name="report", description="A slow report")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.01)
        await interaction.followup.send("Report ready", ephemeral=True)
        await interaction.followup.send("Second part")

    @event.command(name="find", description="Find an event")
    async def find(interaction: discord.Interaction, query: str) -> None:
        await interaction.response.send_message(f"Found {query}")

    @find.autocomplete("query")
    async def find_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        seen["autocomplete"] = current
        names = ["Forum", "Fourth meetup", "Gala"]
        return [app_commands.Choice(name=n, value=n.lower()) for n in names if current in n.lower()]

    @event.command(name="feedback", description="Leave feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal(seen))

    tree.add_command(event)

    @client.event
    async def setup_hook() -> None:
        client.add_view(RsvpView(seen))

    return bot


@pytest.mark.asyncio
async def test_login_ready_gateway_and_command_sync() -> None:
    bot = make_bot()
    async with FakeDiscord(guilds=[make_guild()]) as fake, fake.run_client(bot.client) as client:
        assert Route.BASE == fake.api_base
        assert client.user is not None and client.user.id == fake.bot_user.id
        assert client.application_id == fake.application_id
        guild = client.get_guild(GUILD_ID)
        assert guild is not None and not guild.unavailable
        assert guild.get_channel(CHANNEL_ID).name == "general"
        assert isinstance(guild.get_channel(ANNOUNCE_ID), discord.TextChannel)
        assert guild.get_role(ROLE_ID).name == "organiser"
        assert guild.me is not None
        assert guild.get_member(ALICE.id) is None  # no GUILD_MEMBERS intent, like Discord

        identify = fake.identify_payloads[0]
        assert identify["token"] == fake.token
        assert identify["intents"] == discord.Intents.default().value
        assert not discord.Intents._from_value(identify["intents"]).message_content
        assert fake.gateway_queries[0] == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
        assert any(f["op"] == 1 for f in fake.gateway_received)  # heartbeat on HELLO...
        assert any(f["op"] == 11 for f in fake.gateway_sent)  # ...acknowledged

        synced = await bot.tree.sync()
        (payload,) = fake.command_payloads[None]
        assert payload["name"] == "event"
        subcommands = {o["name"]: o for o in payload["options"]}
        assert set(subcommands) == {"create", "report", "find", "feedback"}
        create = subcommands["create"]
        assert create["type"] == 1
        assert [(o["name"], o["type"], o.get("required", False)) for o in create["options"]] == [
            ("title", 3, True),
            ("seats", 4, False),
            ("public", 5, False),
        ]
        assert synced[0].id == int(fake.commands()[0]["id"])

        bot.tree.copy_global_to(guild=discord.Object(GUILD_ID))
        await bot.tree.sync(guild=discord.Object(GUILD_ID))
        assert [c["name"] for c in fake.command_payloads[GUILD_ID]] == ["event"]
        assert fake.commands(GUILD_ID)[0]["guild_id"] == str(GUILD_ID)

        assert fake.unhandled_requests == []
        assert fake.protocol_errors == []
    assert Route.BASE == "https://discord.com/api/v10"  # patch restored


@pytest.mark.asyncio
async def test_slash_subcommand_ephemeral_response() -> None:
    bot = make_bot()
    async with FakeDiscord(guilds=[make_guild()]) as fake, fake.run_client(bot.client):
        await bot.tree.sync()
        interaction = await fake.dispatch_interaction(
            fake.slash_interaction(
                "event create",
                {"title": "Forum", "seats": 3},
                user_id=ALICE.id,
                locale="fr",
                member_roles=[ROLE_ID],
            )
        )
        body = await fake.wait_for_callback(interaction)

        assert body["type"] == 4
        assert body["data"]["content"] == "Created Forum (3 seats)"
        assert body["data"]["flags"] == 64
        assert bot.seen["create"] == {
            "title": "Forum",
            "seats": 3,
            "public": False,
            "locale": discord.Locale.french,
            "guild_locale": discord.Locale.french,
            "user_id": ALICE.id,
            "role_ids": [GUILD_ID, ROLE_ID],
            "channel_id": CHANNEL_ID,
        }
        (callback,) = fake.callbacks
        assert callback.ephemeral and callback.interaction_id == int(interaction["id"])
        (message,) = fake.messages_in(CHANNEL_ID)
        assert message["flags"] & FLAG_EPHEMERAL
        assert message["interaction_metadata"]["user"]["id"] == str(ALICE.id)
        assert fake.protocol_errors == []


@pytest.mark.asyncio
async def test_deferred_response_then_followups() -> None:
    bot = make_bot()
    async with FakeDiscord(guilds=[make_guild()]) as fake, fake.run_client(bot.client):
        interaction = await fake.dispatch_interaction(fake.slash_interaction("event report"))

        body = await fake.wait_for_callback(interaction)
        assert body == {"type": 5, "data": {"flags": 64}}
        first = await fake.wait_for_followup(interaction)
        second = await fake.wait_for_followup(interaction, index=1)

        assert first["content"] == "Report ready" and first["flags"] == 64
        assert second["content"] == "Second part"
        # Discord turns the "thinking" message into the first follow-up.
        assert [f.replaced_original for f in fake.followups] == [True, False]
        original = fake.original_response(interaction)
        assert original is not None
        assert original["content"] == "Report ready"
        assert original["flags"] & FLAG_EPHEMERAL and not original["flags"] & FLAG_LOADING
        assert len(fake.messages_in(CHANNEL_ID)) == 2
        assert fake.protocol_errors == []


@pytest.mark.asyncio
async def test_button_click_reaches_persistent_view() -> None:
    bot = make_bot()
    async with FakeDiscord(guilds=[make_guild()]) as fake, fake.run_client(bot.client) as client:
        channel = client.get_channel(CHANNEL_ID)
        sent = await channel.send("RSVP for the forum", view=RsvpView(bot.seen))
        stored = fake.message(sent.id)
        assert stored is not None
        assert stored["components"][0]["components"][0]["custom_id"] == "rsvp:yes"

        click = await fake.dispatch_interaction(fake.component_interaction("rsvp:yes", sent.id))
        body = await fake.wait_for_callback(click)
        assert body["type"] == 4 and body["data"]["content"] == "See you there"
        assert body["data"]["flags"] == 64
        assert bot.seen["rsvp"] == (fake.default_user.id, sent.id)

        close = await fake.dispatch_interaction(
            fake.component_interaction("rsvp:no", sent.id, user_id=ALICE.id)
        )
        body = await fake.wait_for_callback(close)
        assert body["type"] == 7 and body["data"]["content"] == "RSVP closed"
        assert fake.message(sent.id)["content"] == "RSVP closed"
        assert fake.message(sent.id)["components"] == []
        assert fake.protocol_errors == []


@pytest.mark.asyncio
async def test_rate_limited_send_is_retried_once() -> None:
    bot = make_bot()
    async with FakeDiscord(guilds=[make_guild()]) as fake, fake.run_client(bot.client) as client:
        rule = fake.fail_next("POST channels/{channel_id}/messages", status=429, retry_after=0.2)
        channel = client.get_channel(CHANNEL_ID)

        started = time.monotonic()
        message = await channel.send("hello agencies")
        elapsed = time.monotonic() - started

        attempts = fake.requests_matching("POST channels/*/messages")
        assert [r.status for r in attempts] == [429, 200]
        assert attempts[0].injected and rule.remaining == 0 and rule.hits == [attempts[0]]
        assert elapsed >= 0.2  # discord.py waited retry_after from the JSON body
        assert [m["content"] for m in fake.messages_in(CHANNEL_ID)] == ["hello agencies"]
        assert message.id == int(fake.messages_in(CHANNEL_ID)[0]["id"])

        # The webhook adapter (follow-ups) retries 429s too.
        fake.fail_next("POST webhooks/{app_id}/{token}", status=429, retry_after=0.05)
        interaction = await fake.dispatch_interaction(fake.slash_interaction("event report"))
        await fake.wait_for_followup(interaction, index=1)
        followup_posts = fake.requests_matching("POST webhooks/**")
        assert [r.status for r in followup_posts] == [429, 200, 200]
        assert len(fake.followups) == 2


@pytest.mark.asyncio
async def test_server_error_is_retried_and_other_errors_surface() -> None:
    bot = make_bot()
    async with FakeDiscord(guilds=[make_guild()]) as fake, fake.run_client(bot.client) as client:
        channel = client.get_channel(CHANNEL_ID)
        message = await channel.send("draft")

        fake.fail_next("PATCH channels/*/messages/*", status=502)
        edited = await message.edit(content="final")  # discord.py sleeps ~1 s before retrying
        assert edited.content == "final"
        assert [r.status for r in fake.requests_matching("PATCH channels/**")] == [502, 200]

        fake.fail_next(
            "POST channels/*/messages",
            status=403,
            body={"message": "Missing Permissions", "code": 50013},
        )
        with pytest.raises(discord.Forbidden) as excinfo:
            await channel.send("nope")
        assert excinfo.value.code == 50013
        assert [m["content"] for m in fake.messages_in(CHANNEL_ID)] == ["final"]


@pytest.mark.asyncio
async def test_reconnect_resumes_and_replays_missed_events() -> None:
    bot = make_bot()
    async with FakeDiscord(guilds=[make_guild()]) as fake, fake.run_client(bot.client):
        await fake.request_reconnect()
        assert await fake.wait_for_resume(1) == 1

        await fake.drop_connection(code=4000)
        # Dispatched while the client is away: replayed after RESUME.
        interaction = await fake.dispatch_interaction(
            fake.slash_interaction("event create", {"title": "Gala"})
        )
        await fake.wait_for_resume(2)
        body = await fake.wait_for_callback(interaction)
        assert body["data"]["content"] == "Created Gala (10 seats)"
        assert len(fake.identify_payloads) == 1  # resumed, never re-identified
        resumes = [f for f in fake.gateway_received if f["op"] == 6]
        assert len(resumes) == 2 and resumes[0]["d"]["session_id"]


@pytest.mark.asyncio
async def test_autocomplete_and_modal_round_trips() -> None:
    bot = make_bot()
    async with FakeDiscord(guilds=[make_guild()]) as fake, fake.run_client(bot.client):
        await bot.tree.sync()
        typing = await fake.dispatch_interaction(
            fake.autocomplete_interaction("event find", {"query": "fo"}, focused="query")
        )
        body = await fake.wait_for_callback(typing)
        assert body["type"] == 8
        assert body["data"]["choices"] == [
            {"name": "Forum", "value": "forum"},
            {"name": "Fourth meetup", "value": "fourth meetup"},
        ]
        assert bot.seen["autocomplete"] == "fo"

        opened = await fake.dispatch_interaction(fake.slash_interaction("event feedback"))
        body = await fake.wait_for_callback(opened)
        assert body["type"] == 9 and body["data"]["custom_id"] == "feedback-modal"

        submitted = await fake.dispatch_interaction(
            fake.modal_submit_interaction("feedback-modal", {"comment": "Great forum"})
        )
        body = await fake.wait_for_callback(submitted)
        assert body["type"] == 4 and body["data"]["content"] == "Thanks!"
        assert bot.seen["feedback"] == "Great forum"
        assert fake.protocol_errors == []


@pytest.mark.asyncio
async def test_dm_attachment_and_scheduled_event() -> None:
    bot = make_bot()
    async with FakeDiscord(guilds=[make_guild()]) as fake, fake.run_client(bot.client) as client:
        user = await client.fetch_user(ALICE.id)
        dm = await user.create_dm()
        await dm.send(
            "Your event starts soon", file=discord.File(io.BytesIO(b"BEGIN:VCALENDAR"), "e.ics")
        )
        dm_id = fake.dm_channel_id(ALICE.id)
        assert dm.id == dm_id
        (sent,) = fake.messages_in(dm_id)
        assert sent["content"] == "Your event starts soon"
        assert sent["attachments"][0]["filename"] == "e.ics"
        message = await dm.fetch_message(int(sent["id"]))
        assert await message.attachments[0].read() == b"BEGIN:VCALENDAR"

        guild = client.get_guild(GUILD_ID)
        start = discord.utils.utcnow() + datetime.timedelta(days=1)
        event = await guild.create_scheduled_event(
            name="Forum",
            start_time=start,
            end_time=start + datetime.timedelta(hours=2),
            entity_type=discord.EntityType.external,
            location="Town hall",
            privacy_level=discord.PrivacyLevel.guild_only,
        )
        (stored,) = fake.scheduled_events(GUILD_ID)
        assert stored["entity_metadata"] == {"location": "Town hall"}
        assert event.id == int(stored["id"]) and event.location == "Town hall"
        event = await event.edit(name="Forum 2026")
        assert event.name == "Forum 2026" and fake.scheduled_events()[0]["name"] == "Forum 2026"
        await event.delete()
        assert fake.scheduled_events() == []
        assert fake.protocol_errors == []


@pytest.mark.asyncio
async def test_bad_token_fails_login_and_everything_shuts_down() -> None:
    async with FakeDiscord(guilds=[make_guild()]) as fake:
        client = discord.Client(intents=discord.Intents.default())
        with pytest.raises(discord.LoginFailure):
            async with fake.run_client(client, token="wrong-token"):
                pass  # pragma: no cover - never ready
        assert fake.requests[0].status == 401

        bot = make_bot()
        async with fake.run_client(bot.client):
            assert fake.connected
        assert not fake.connected

    await asyncio.sleep(0)  # let finished callbacks run
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftovers == []
    # discord.py's heartbeat thread exits right after its stop event is set.
    for thread in threading.enumerate():
        if thread.name.startswith("keep-alive-handler"):
            thread.join(timeout=1.0)
            assert not thread.is_alive()


@pytest.mark.asyncio
async def test_scheduled_events_are_checked_and_watched_as_on_discord() -> None:
    """Discord's rules for scheduled events (start in the future, a place for external
    events, the Manage/Create Events permission), who is interested (the users list, and
    USER_ADD/REMOVE only for clients with the GUILD_SCHEDULED_EVENTS intent), and an event
    deleted by hand (GUILD_SCHEDULED_EVENT_DELETE)."""
    bot = make_bot()  # default intents: GUILD_SCHEDULED_EVENTS included
    seen: list[tuple[str, int]] = []

    @bot.client.event
    async def on_scheduled_event_delete(event: discord.ScheduledEvent) -> None:
        seen.append(("delete", event.id))

    async with FakeDiscord(guilds=[make_guild()]) as fake, fake.run_client(bot.client) as client:
        guild = client.get_guild(GUILD_ID)
        start = discord.utils.utcnow() + datetime.timedelta(days=1)
        with pytest.raises(discord.HTTPException) as past:
            await guild.create_scheduled_event(
                name="Late",
                start_time=discord.utils.utcnow() - datetime.timedelta(hours=1),
                end_time=start,
                entity_type=discord.EntityType.external,
                location="Town hall",
                privacy_level=discord.PrivacyLevel.guild_only,
            )
        assert past.value.status == 400 and "Cannot schedule event in the past" in str(past.value)
        event = await guild.create_scheduled_event(
            name="Forum",
            start_time=start,
            end_time=start + datetime.timedelta(hours=2),
            entity_type=discord.EntityType.external,
            location="Town hall",
            privacy_level=discord.PrivacyLevel.guild_only,
        )
        await fake.scheduled_event_user_add(GUILD_ID, event.id, ALICE.id)
        users = [u async for u in event.users()]
        assert [u.id for u in users] == [ALICE.id]
        assert fake.scheduled_events(GUILD_ID)[0]["user_count"] == 1
        sent = [f["t"] for f in fake.gateway_sent if (f.get("t") or "").startswith("GUILD_SCHED")]
        assert sent == ["GUILD_SCHEDULED_EVENT_CREATE", "GUILD_SCHEDULED_EVENT_USER_ADD"]
        (add,) = [
            f["d"] for f in fake.gateway_sent if f.get("t") == "GUILD_SCHEDULED_EVENT_USER_ADD"
        ]
        assert add == {
            "guild_scheduled_event_id": str(event.id),
            "user_id": str(ALICE.id),
            "guild_id": str(GUILD_ID),
        }

        await fake.set_bot_permissions(GUILD_ID, 0)
        with pytest.raises(discord.Forbidden):
            await event.edit(name="Forum 2026")
        await fake.set_bot_permissions(GUILD_ID, 1 << 44)  # Create Events: its own events
        event = await event.edit(name="Forum 2026")
        assert event.name == "Forum 2026"

        await fake.delete_scheduled_event_by_hand(GUILD_ID, event.id)
        for _ in range(50):
            if seen:
                break
            await asyncio.sleep(0.01)
        assert seen == [("delete", event.id)] and fake.scheduled_events(GUILD_ID) == []

    quiet = discord.Client(intents=discord.Intents(guilds=True))
    async with FakeDiscord(guilds=[make_guild()]) as fake, fake.run_client(quiet) as client:
        event = await client.get_guild(GUILD_ID).create_scheduled_event(
            name="Forum",
            start_time=start,
            end_time=start + datetime.timedelta(hours=2),
            entity_type=discord.EntityType.external,
            location="Town hall",
            privacy_level=discord.PrivacyLevel.guild_only,
        )
        await fake.scheduled_event_user_add(GUILD_ID, event.id, ALICE.id)
        assert not [f for f in fake.gateway_sent if (f.get("t") or "").startswith("GUILD_SCHED")]
        assert fake.interested_users(event.id) == [ALICE.id]
