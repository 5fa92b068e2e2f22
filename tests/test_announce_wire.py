"""A broadcast over the wire: 300 destinations on the fake Slack and Discord servers, through
the real adapters, with injected 429s and 500s and channels that fail for good."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.app import BotApp
from commands.announce.delivery import courier_for
from commands.announce.store.announcements import AnnouncementRepo
from tests.announce_wire import (
    GUILD,
    MARK,
    STAFF_CHANNEL,
    Network,
    broadcast,
    discord_id,
    running,
    seed,
    slack_id,
    staff_says,
)


@pytest.fixture
async def net() -> AsyncIterator[Network]:
    network = Network(agencies=150, broken=4)  # 300 destinations, 8 of them broken
    async with network.slack, network.discord:
        yield network


@pytest.fixture
async def app(tmp_path, net: Network) -> AsyncIterator[BotApp]:
    slack = {"workspace_rate": 200.0, "update_rate": 200.0}
    async with running(tmp_path, net, slack=slack, discord={"rate": 100.0}) as bot:
        await seed(bot, net)
        yield bot


async def test_every_destination_gets_exactly_one_copy_despite_429s_and_500s(
    app: BotApp, net: Network
) -> None:
    net.slack.fail_next("chat.postMessage", status=429, retry_after=1, count=3)
    net.slack.fail_next("chat.postMessage", status=500, count=4)
    route = "POST channels/{channel_id}/messages"
    net.discord.fail_next(route, status=429, retry_after=0.05, count=6)
    net.discord.fail_next(route, status=500, count=2)

    ann_id = await broadcast(app, f"{MARK} <!channel> @everyone <@U0ALICE01> : candidatez !")
    await asyncio.wait_for(courier_for(app.services).drain(), 45)

    wrong = [
        (i, len(net.slack_copies(i)), len(net.discord_copies(i)))
        for i in net.good
        if (len(net.slack_copies(i)), len(net.discord_copies(i))) != (1, 1)
    ]
    assert wrong == []  # 292 copies, none lost, none doubled
    injected = [c for c in net.slack.calls_to("chat.postMessage") if c.injected]
    assert len(injected) == 7
    assert sum(1 for r in net.discord.requests_matching(route) if r.injected) == 8

    # Mentions typed by staff notify nobody, on either platform.
    text = net.slack_copies(0)[0]["text"]
    assert "&lt;!channel&gt;" in text and "@\u200beveryone" in text and "<@U0ALICE01>" not in text
    posts = [r for r in net.discord.requests_matching(route) if r.status == 200]
    assert all(r.json["allowed_mentions"] == {"parse": []} for r in posts)

    status = (await staff_says(app, f"/announce status {ann_id}")).message.plain_text()
    assert "Slack: 146/150 remises · 4 en échec" in status
    assert "Discord: 146/150 remises · 4 en échec" in status
    assert f"Agence 146 — Slack {slack_id(146)} : chat.postMessage: channel_not_found" in status
    assert f"Agence 147 — Slack {slack_id(147)} : chat.postMessage: not_in_channel" in status
    assert f"Agence 149 — Discord {discord_id(149)} : not_found (10003)" in status

    staff_channel = net.slack.messages_in(STAFF_CHANNEL)
    progress, alert = staff_channel[0], staff_channel[-1]
    assert "Annonce n° 1" in progress["text"] and "146/150 remises" in str(progress["blocks"])
    assert net.slack.calls_to("chat.update")  # the live progress was edited
    assert "8 envois ont échoué" in alert["text"]


async def test_an_agency_acknowledges_from_its_discord_channel(app: BotApp, net: Network) -> None:
    ann_id = await broadcast(app)
    await asyncio.wait_for(courier_for(app.services).drain(), 45)
    copy = net.discord_copies(5)[0]
    button = copy["components"][0]["components"][0]
    assert button["label"] == "✅ Bien reçu / Acknowledge"
    interaction = await net.discord.dispatch_interaction(
        net.discord.component_interaction(button["custom_id"], int(copy["id"]), locale="fr")
    )
    callback = await net.discord.wait_for_callback(interaction)
    assert callback["data"]["flags"] & 64  # ephemeral
    assert callback["data"]["content"] == "Merci\u202f! La lecture est enregistrée pour Agence 005."
    fields = (await staff_says(app, f"/announce status {ann_id}")).message.fields
    names = [f.name for f in fields]
    assert "Lu par 1/150 agences (1 %)" in names
    assert str(GUILD) in str(
        (await app.services.get(AnnouncementRepo).outbox.find(ann_id, _ref(5))).ref
    )


async def test_delete_withdraws_the_copies_on_both_platforms(app: BotApp, net: Network) -> None:
    ann_id = await broadcast(app)
    await asyncio.wait_for(courier_for(app.services).drain(), 45)
    reply = await staff_says(app, f"/announce delete {ann_id}")
    assert "292 copies à supprimer" in reply.message.text
    await asyncio.wait_for(courier_for(app.services).drain(), 45)
    assert net.delivered() == 0
    assert len(net.slack.calls_to("chat.delete")) == 146
    assert len(net.discord.deleted_message_ids) == 146


def _ref(i: int):
    from bot.identity import ChannelRef

    return ChannelRef("discord", str(GUILD), str(discord_id(i)))
