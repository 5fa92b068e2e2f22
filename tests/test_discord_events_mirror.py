"""Events in Discord's Events tab, over the wire: the real BotApp and discord.py against the fake
Discord, which validates scheduled events as Discord does and sends the gateway events members
cause ("Interested", a deletion by hand).

What is asserted is what members see: the server's scheduled events (name, times, location,
description, status), and the answers fedbot keeps (roster, waitlist, direct messages).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.adapter import DiscordAdapter, gateway_intents
from adapters.discord.checks import missing_permissions
from bot.app import BotApp
from bot.clock import FixedClock
from bot.config import parse_config
from bot.errors import ConfigError
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Reply
from bot.spec import Role
from commands.events import mirror_sync, mirrors
from commands.events.store.events import EventRepo
from commands.events.store.tables import CREATING, FAILED, LINKED, UNLINKED
from fedbot.assembly import make_app
from tests.conftest import T0, TEST_FEDERATION, console_caller
from tests.discord_harness import ALICE, BOB, CAROL, GENERAL, GUILD, discord_config, make_guild
from tests.fakes.discord_server import (
    ALL_PERMISSIONS,
    PERM_ADMINISTRATOR,
    PERM_CREATE_EVENTS,
    PERM_MANAGE_EVENTS,
    FakeChannel,
    FakeDiscord,
)
from tests.waiting import until

Json = dict[str, Any]
VOICE = 3_000_000_000_000_000_020
STRANGER_GUILD = 4_000_000_000_000_000_001
AGENCY = "Nantes Métropole Développement"
MIRRORED = {"scheduled_events": [str(GUILD)]}


def fake_discord() -> FakeDiscord:
    guild = make_guild()
    guild.channels.append(FakeChannel(VOICE, "Salle visio", type=2))
    return FakeDiscord(guilds=[guild], patch_discord=False, now=lambda: T0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord() as server:
        yield server


def agencies() -> dict[str, Any]:
    channel = f"discord:{GUILD}:{GENERAL}"
    return {"agencies": [{"name": AGENCY, "region": "Pays de la Loire", "channels": [channel]}]}


@asynccontextmanager
async def mirrored_bot(
    tmp_path: Path, fake: FakeDiscord, **discord: Any
) -> AsyncIterator[tuple[BotApp, DiscordAdapter]]:
    config = discord_config(tmp_path, fake, agencies(), **{**MIRRORED, **discord})
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        adapter = DiscordAdapter(app)
        await adapter.start()
        try:
            await settle(app)
            yield app, adapter
        finally:
            await adapter.stop()


async def settle(app: BotApp) -> None:
    """Let the background work the gateway or a calendar's arrival started finish."""
    for _ in range(3):
        keeper = mirrors.keeper_for(app.services)
        if keeper.tasks:
            await asyncio.wait(set(keeper.tasks), timeout=5)
        await asyncio.sleep(0.05)


async def staff_says(app: BotApp, line: str) -> Reply:
    caller = console_caller(Role.STAFF)
    reply = await app.dispatcher.handle_text(
        caller, Place(ChannelRef("console", "local", "x")), line
    )
    assert reply is not None
    return reply


async def create(app: BotApp, extra: str = "") -> int:
    reply = await staff_says(
        app,
        f'event create "Nuit du numérique" "2026-12-10 18:00" duration:3h '
        f'place:"Cantine numérique, Nantes" agency:"{AGENCY}" {extra}',
    )
    footer = reply.message.footer or ""
    assert "n° " in footer, reply.message.plain_text()
    return int(footer.split("n° ")[1].split()[0])


def the_mirror(fake: FakeDiscord) -> Json:
    (event,) = fake.scheduled_events(GUILD)
    return event


async def roster(app: BotApp, event_id: int) -> dict[str, str]:
    found = await app.services.get(EventRepo).rsvps.roster(event_id)
    return {a.display_name or a.user_id: a.status for a in found}


def rsvp_button(fake: FakeDiscord, answer: str) -> tuple[str, int]:
    """The custom id of an RSVP button of the announcement in #general, and its message."""
    (message,) = [m for m in fake.messages_in(GENERAL) if m.get("components")]
    buttons = [c for row in message["components"] for c in row["components"]]
    (button,) = [b for b in buttons if f"answer={answer}" in b["custom_id"]]
    return button["custom_id"], int(message["id"])


async def click(fake: FakeDiscord, user: int, answer: str) -> Json:
    custom_id, message_id = rsvp_button(fake, answer)
    interaction = await fake.dispatch_interaction(
        fake.component_interaction(custom_id, message_id, user_id=user, locale="fr")
    )
    return await fake.wait_for_callback(interaction)


# -- out: created, updated, cancelled


async def test_an_announced_event_appears_in_the_events_tab(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with mirrored_bot(tmp_path, fake) as (app, _):
        reply = await staff_says(
            app,
            'event create "Nuit du numérique" "2026-12-10 18:00" duration:3h '
            f'place:"Cantine numérique, Nantes" agency:"{AGENCY}" capacity:40 '
            'description:"Ateliers et démonstrations pour les TPE."',
        )
        assert "Ajouté à l'onglet Événements de 1 serveur Discord." in reply.message.text
        mirror = the_mirror(fake)
    assert mirror["name"] == "Nuit du numérique"
    assert mirror["scheduled_start_time"].startswith("2026-12-10T17:00:00")  # 18:00 in Paris
    assert mirror["scheduled_end_time"].startswith("2026-12-10T20:00:00")
    assert mirror["entity_type"] == 3 and mirror["privacy_level"] == 2
    assert mirror["entity_metadata"] == {"location": "Cantine numérique, Nantes"}
    description = mirror["description"]
    assert description.startswith("Ateliers et démonstrations pour les TPE.")
    assert "Participants : 0 inscrit sur 40" in description.replace("\u202f", " ")
    assert "« Intéressé » compte comme « peut-être »" in description
    assert description.splitlines()[-1].startswith("fedbot #1 · ")
    assert fake.protocol_errors == []


async def test_the_gateway_asks_for_scheduled_events_only_when_mirroring(tmp_path: Path) -> None:
    plain = parse_config({"federation": TEST_FEDERATION}, {})
    mirrored = parse_config({"federation": TEST_FEDERATION, "discord": MIRRORED}, {})
    assert not gateway_intents(plain.discord).guild_scheduled_events
    assert gateway_intents(mirrored.discord).guild_scheduled_events
    with pytest.raises(ConfigError, match="not in federation.discord_guilds"):
        parse_config({"discord": {"scheduled_events": [str(STRANGER_GUILD)]}}, {})


async def test_an_event_in_a_voice_channel_is_held_there(tmp_path: Path, fake: FakeDiscord) -> None:
    async with mirrored_bot(tmp_path, fake) as (app, _):
        link = f"https://discord.com/channels/{GUILD}/{VOICE}"
        await create(app, f"link:{link}")
        mirror = the_mirror(fake)
    assert mirror["entity_type"] == 2 and mirror["channel_id"] == str(VOICE)
    assert mirror["entity_metadata"] is None


async def test_edits_and_cancellations_follow_the_event(tmp_path: Path, fake: FakeDiscord) -> None:
    async with mirrored_bot(tmp_path, fake) as (app, _):
        event_id = await create(app)
        await staff_says(app, f'event edit {event_id} start:"2026-12-11 19:00" title:"Nuit du net"')
        edited = the_mirror(fake)
        assert edited["name"] == "Nuit du net"
        assert edited["scheduled_start_time"].startswith("2026-12-11T18:00:00")
        assert edited["scheduled_end_time"].startswith("2026-12-11T21:00:00")  # length kept

        await staff_says(app, f"event cancel {event_id} la salle n'est plus disponible")
        cancelled = the_mirror(fake)
    assert cancelled["status"] == 4  # CANCELED: gone from the Events tab
    assert fake.protocol_errors == []


async def test_a_series_is_mirrored_as_its_dates_come_closer(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with mirrored_bot(tmp_path, fake, scheduled_events_days=15) as (app, _):
        await create(app, "repeat:weekly count:4")  # 10, 17, 24 and 31 December
        assert len(fake.scheduled_events(GUILD)) == 1  # within 15 days of 26 November
        clock = app.clock
        assert isinstance(clock, FixedClock)
        clock.set(T0 + timedelta(days=14))
        await mirror_sync.sweep(app.services)
        await mirror_sync.sweep(app.services)  # again: nothing mirrored twice
    starts = sorted(e["scheduled_start_time"][:10] for e in fake.scheduled_events(GUILD))
    assert starts == ["2026-12-10", "2026-12-17", "2026-12-24"]


# -- in: interest, both ways, and capacity


async def test_interested_counts_as_maybe_and_withdrawing_it_withdraws_it(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with mirrored_bot(tmp_path, fake) as (app, _):
        event_id = await create(app)
        mirror_id = the_mirror(fake)["id"]
        await fake.scheduled_event_user_add(GUILD, mirror_id, ALICE.id)

        async def alice_maybe() -> bool:
            return await roster(app, event_id) == {"Alice": "maybe"}

        await until(alice_maybe, "Alice's interest to count as maybe")
        await settle(app)
        assert "1 peut-être" in the_mirror(fake)["description"].replace("\u202f", " ")

        await fake.scheduled_event_user_remove(GUILD, mirror_id, ALICE.id)

        async def nobody() -> bool:
            return await roster(app, event_id) == {}

        await until(nobody, "Alice's maybe to go with her interest")
    assert fake.protocol_errors == []


async def test_interest_never_overrides_an_answer_the_member_chose(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with mirrored_bot(tmp_path, fake, sync_on_start=True) as (app, _):
        event_id = await create(app)
        mirror_id = the_mirror(fake)["id"]
        body = await click(fake, ALICE.id, "going")
        assert "vous venez à « Nuit du numérique »" in body["data"]["content"]
        await fake.scheduled_event_user_add(GUILD, mirror_id, ALICE.id)
        await fake.scheduled_event_user_remove(GUILD, mirror_id, ALICE.id)

        # Bob was interested first, then answered "going" himself: his answer stays too.
        await fake.scheduled_event_user_add(GUILD, mirror_id, BOB.id)

        async def bob_maybe() -> bool:
            return (await roster(app, event_id)).get("Bob") == "maybe"

        await until(bob_maybe, "Bob's interest")
        await click(fake, BOB.id, "going")
        await fake.scheduled_event_user_remove(GUILD, mirror_id, BOB.id)
        # Carol said no, then clicked Interested: a newer choice, maybe.
        await click(fake, CAROL.id, "no")
        await fake.scheduled_event_user_add(GUILD, mirror_id, CAROL.id)

        async def carol_maybe() -> bool:
            return (await roster(app, event_id)).get("Carol") == "maybe"

        await until(carol_maybe, "Carol's interest")
        await asyncio.sleep(0.1)  # the other gateway events had time to land
        assert await roster(app, event_id) == {"Alice": "going", "Bob": "going", "Carol": "maybe"}


async def test_capacity_and_the_waitlist_ignore_interest(tmp_path: Path, fake: FakeDiscord) -> None:
    async with mirrored_bot(tmp_path, fake, sync_on_start=True) as (app, _):
        event_id = await create(app, "capacity:1")
        mirror_id = the_mirror(fake)["id"]
        await click(fake, BOB.id, "going")  # the only seat
        await fake.scheduled_event_user_add(GUILD, mirror_id, ALICE.id)
        await fake.scheduled_event_user_add(GUILD, mirror_id, CAROL.id)

        async def two_maybes() -> bool:
            return await roster(app, event_id) == {
                "Bob": "going",
                "Alice": "maybe",
                "Carol": "maybe",
            }

        await until(two_maybes, "interest to count as maybe, not as seats")
        body = await click(fake, ALICE.id, "going")
        assert "liste d'attente" in body["data"]["content"]  # full: Alice waits, first in line
        assert (await roster(app, event_id))["Alice"] == "waitlisted"
        await settle(app)
        seats = the_mirror(fake)["description"].replace("\u202f", " ")
        assert "1 inscrit sur 1" in seats and "1 en liste d'attente" in seats

        await click(fake, BOB.id, "no")  # Bob frees his seat: Alice is in, and told so
        assert (await roster(app, event_id))["Alice"] == "going"
        dm = await fake.wait_for_message(
            fake.dm_channel_id(ALICE.id) or 0, lambda m: "une place s'est libérée" in str(m)
        )
        assert dm is not None
        # Withdrawing her interest now leaves the seat she asked for.
        await fake.scheduled_event_user_remove(GUILD, mirror_id, ALICE.id)
        await asyncio.sleep(0.1)
        assert (await roster(app, event_id))["Alice"] == "going"


async def test_interest_shown_while_the_bot_was_away_is_caught_up(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    config = discord_config(tmp_path, fake, agencies(), **MIRRORED)
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        adapter = DiscordAdapter(app)
        await adapter.start()
        event_id = await create(app)
        mirror_id = the_mirror(fake)["id"]
        await fake.scheduled_event_user_add(GUILD, mirror_id, BOB.id)
        await until(lambda: _has(app, event_id, "Bob"), "Bob's interest")
        await adapter.stop()

        await fake.scheduled_event_user_add(GUILD, mirror_id, ALICE.id, dispatch=False)
        await fake.scheduled_event_user_remove(GUILD, mirror_id, BOB.id, dispatch=False)
        adapter = DiscordAdapter(app)
        await adapter.start()
        try:
            await settle(app)
            assert await roster(app, event_id) == {"Alice": "maybe"}
        finally:
            await adapter.stop()


async def _has(app: BotApp, event_id: int, name: str) -> bool:
    return name in await roster(app, event_id)


async def test_interest_from_outside_the_federation_counts_for_nothing(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with mirrored_bot(tmp_path, fake) as (app, _):
        event_id = await create(app)
        mirror_id = the_mirror(fake)["id"]
        stranger = Caller("discord", str(STRANGER_GUILD), str(ALICE.id), "Mallory")
        await app.services.calendars.interest(stranger, mirror_id, True)
        bot = Caller("discord", str(GUILD), "42", "Robot", is_bot=True)
        await app.services.calendars.interest(bot, mirror_id, True)
        await app.services.calendars.deleted("discord", str(STRANGER_GUILD), mirror_id)
        assert await roster(app, event_id) == {}
        rows = await app.services.get(EventRepo).mirrors.of_event(event_id)
    assert [r.state for r in rows] == [LINKED]


# -- a mirror deleted by hand, a crash, a missing permission


async def test_a_mirror_deleted_by_hand_is_unlinked_and_left_alone(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with mirrored_bot(tmp_path, fake) as (app, _):
        event_id = await create(app)
        await fake.delete_scheduled_event_by_hand(GUILD, the_mirror(fake)["id"])

        async def unlinked() -> bool:
            rows = await app.services.get(EventRepo).mirrors.of_event(event_id)
            return [r.state for r in rows] == [UNLINKED]

        await until(unlinked, "the mirror to be unlinked")
        await staff_says(app, f'event edit {event_id} title:"Nuit du net"')
        await mirror_sync.sweep(app.services, catch_up=True)
    assert fake.scheduled_events(GUILD) == []  # not recreated behind the admin's back


async def test_a_mirror_deleted_by_hand_can_be_recreated_never_twice(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with mirrored_bot(tmp_path, fake, scheduled_events_deleted="recreate") as (app, _):
        event_id = await create(app)
        first = the_mirror(fake)["id"]
        await fake.delete_scheduled_event_by_hand(GUILD, first)

        async def recreated() -> bool:
            rows = await app.services.get(EventRepo).mirrors.of_event(event_id)
            return len(rows) == 1 and rows[0].state == LINKED and rows[0].mirror_id != first

        await until(recreated, "the mirror to be recreated")
        await mirror_sync.sweep(app.services, catch_up=True)
        await staff_says(app, f'event edit {event_id} title:"Nuit du net"')
        (mirror,) = fake.scheduled_events(GUILD)
    assert mirror["name"] == "Nuit du net" and mirror["id"] != first


async def test_a_creation_left_in_doubt_by_a_crash_is_adopted_not_repeated(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with mirrored_bot(tmp_path, fake) as (app, _):
        event_id = await create(app)
        repo = app.services.get(EventRepo).mirrors
        (row,) = await repo.of_event(event_id)
        # The process died after Discord created the event, before the id was written.
        await repo.set(row.id, CREATING, T0 - timedelta(minutes=10))
        mirrors.keeper_for(app.services).creating.clear()
        await mirror_sync.sweep(app.services)
        (adopted,) = await repo.of_event(event_id)
    assert adopted.state == LINKED and adopted.mirror_id == row.mirror_id
    assert len(fake.scheduled_events(GUILD)) == 1


async def test_without_manage_events_nothing_is_mirrored_and_doctor_says_so(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with mirrored_bot(tmp_path, fake) as (app, adapter):
        lacking = ALL_PERMISSIONS & ~(PERM_MANAGE_EVENTS | PERM_CREATE_EVENTS | PERM_ADMINISTRATOR)
        await fake.set_bot_permissions(GUILD, lacking)
        assert adapter.client is not None
        lines = await missing_permissions(app.config.discord, adapter.client)
        assert lines == [
            f"Discord server {GUILD} (Fédération): scheduled events are on "
            "(discord.scheduled_events), but the bot lacks the Manage Events permission: give "
            "it to the bot's role (Server Settings > Roles), or no event is added to the Events "
            "tab"
        ]
        reply = await staff_says(app, f'event create "Forum" "2026-12-10 18:00" agency:"{AGENCY}"')
        assert "onglet Événements" not in reply.message.text  # created and announced all the same
        assert fake.scheduled_events(GUILD) == []
        (row,) = await app.services.get(EventRepo).mirrors.of_event(1)
        assert row.state == FAILED and "missing_access" in row.detail

        await fake.set_bot_permissions(GUILD, ALL_PERMISSIONS)
        assert await missing_permissions(app.config.discord, adapter.client) == []
        clock = app.clock
        assert isinstance(clock, FixedClock)
        clock.set(T0 + timedelta(hours=1))
        await mirror_sync.sweep(app.services)  # retried an hour later
    assert [e["name"] for e in fake.scheduled_events(GUILD)] == ["Forum"]


async def test_a_cancellation_made_while_discord_was_away_reaches_it_later(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    config = discord_config(tmp_path, fake, agencies(), **MIRRORED)
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        adapter = DiscordAdapter(app)
        await adapter.start()
        event_id = await create(app)
        await adapter.stop()
        await staff_says(app, f"event cancel {event_id}")
        assert the_mirror(fake)["status"] == 1  # Discord could not be told
        adapter = DiscordAdapter(app)
        await adapter.start()
        try:
            await settle(app)
            assert the_mirror(fake)["status"] == 4
        finally:
            await adapter.stop()
