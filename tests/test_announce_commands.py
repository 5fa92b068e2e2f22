"""`announce` as staff and agencies meet it: preview, confirm, status, list, retry, delete, ack.

A recording sender plays the platform (a fake at the `Sender` seam); everything else is real:
dispatcher, role checks, options, SQLite outbox, courier.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import BotApp
from bot.errors import SendError
from bot.identity import Caller, ChannelRef, Place
from bot.spec import Role
from commands.announce.delivery import courier_for, run_due
from commands.announce.store.announcements import AnnouncementRepo
from tests.announce_support import (
    Recorder,
    add_agencies,
    click,
    clock_sleep,
    say,
    send_and_confirm,
)


@pytest.fixture
async def chat(app: BotApp, clock) -> Recorder:
    recorder = Recorder(clock=clock)
    app.outbound.register(recorder)
    courier_for(app.services).sleep = clock_sleep(clock)
    await add_agencies(app, 6)
    return recorder


async def test_preview_shows_the_copy_and_counts_channels_per_platform(app, chat) -> None:
    now = app.clock.now()
    agency = await app.services.agencies.find("Agence 000")
    await app.services.agencies.attach_channel(agency.id, ChannelRef("slack", "T1", "C1"), (), now)
    reply = await say(
        app, '/announce send all title:"Call for projects" link:https://example.org/call Apply now.'
    )
    assert reply.ephemeral and not reply.is_error
    msg = reply.message
    assert msg.title == "Preview: Call for projects"
    assert msg.text == "Apply now."
    fields = {f.name: f.value for f in msg.fields}
    assert fields["Audience"] == "all agencies"
    assert fields["Channels"] == "7 channels: 6 chat, 1 Slack"
    assert "No Slack connection right now" in fields["Before sending"]
    assert [(link.label, link.url) for link in msg.links] == [
        ("Learn more", "https://example.org/call")
    ]
    assert [b.label for b in msg.buttons] == ["Confirm and send", "Cancel"]
    assert chat.sent == []  # a preview sends nothing


async def test_confirm_writes_every_outbox_row_before_the_first_send(app, chat) -> None:
    seen_rows: list[int] = []
    original = chat.send

    async def watching_send(channel, message, **kwargs):
        if channel.channel_id != "staff":
            counts = await app.services.get(AnnouncementRepo).outbox.counts(1)
            seen_rows.append(sum(counts.get("chat", {}).values()))
        return await original(channel, message, **kwargs)

    chat.send = watching_send  # type: ignore[method-assign]
    announcement = await send_and_confirm(app, "/announce send all Hello agencies.")
    await courier_for(app.services).drain()
    assert seen_rows == [6] * 6
    assert sorted(ref.channel_id for ref, _ in chat.sent if ref.channel_id != "staff") == [
        f"c{i}" for i in range(6)
    ]
    status = (await say(app, f"/announce status {announcement}")).message
    assert status.text.startswith("Delivered everywhere.")
    assert "chat: 6/6 delivered" in status.plain_text()


async def test_each_copy_carries_the_text_untouched_and_an_ack_button(app, chat) -> None:
    await send_and_confirm(app, "/announce send all Read this @everyone <!channel> <@U123> now")
    await courier_for(app.services).drain()
    copy = chat.copies("c0")[0]
    # Relayed as prose: the platform renderers escape it, so these mention nobody.
    assert copy.text == "Read this @everyone <!channel> <@U123> now"
    assert [(b.label, b.action, dict(b.args)) for b in copy.buttons] == [
        ("✅ Bien reçu / Acknowledge", "announce.ack", {"id": "1"})
    ]
    assert len(copy.buttons[0].custom_id) <= 100


async def test_audiences_region_agencies_and_tag(app, chat) -> None:
    reply = await say(app, '/announce send region target:"region 1" Hi')  # case and accents
    assert {f.name: f.value for f in reply.message.fields}["Channels"] == "3 channels: 3 chat"
    reply = await say(app, '/announce send agencies target:"agence 001;Agence 004" Hi')
    assert {f.name: f.value for f in reply.message.fields}["Channels"] == "2 channels: 2 chat"
    reply = await say(app, "/announce send tag target:Numérique Hi")
    assert {f.name: f.value for f in reply.message.fields}["Channels"] == "3 channels: 3 chat"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/announce send all", "Write the announcement's text"),
        ("/announce send region Hi", "Give the region"),
        (
            "/announce send region target:Atlantis Hi",
            "No agency in region “Atlantis”. Known regions",
        ),
        ('/announce send agencies target:"Agence 001;Nope" Hi', "Unknown agencies: Nope."),
        ("/announce send tag target:peche Hi", "No channel has the topic “peche”."),
        ("/announce send all target:x Hi", "“all” takes no target"),
        ("/announce send all link:javascript:alert(1) Hi", "Invalid link"),
        ("/announce send all link:https://user@evil.example Hi", "Invalid link"),
        ('/announce send all at:"yesterday 9am" Hi', ""),
        ("/announce send everyone Hi", "everyone"),
    ],
)
async def test_bad_input_gets_a_clear_message_and_sends_nothing(app, chat, line, expected) -> None:
    reply = await say(app, line)
    assert reply.is_error
    assert expected in reply.message.text
    assert chat.sent == []


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MODERATOR])
async def test_every_staff_command_is_refused_to_members_and_moderators(app, chat, role) -> None:
    staff_id = await send_and_confirm(app, "/announce send all Hello")
    await courier_for(app.services).drain()
    draft = await say(app, "/announce send all Draft")
    draft_id = draft.message.buttons[0].args["id"]
    lines = [
        "/announce send all Hi",
        f"/announce status {staff_id}",
        "/announce list",
        f"/announce retry {staff_id}",
        f"/announce delete {staff_id}",
    ]
    for line in lines:
        reply = await say(app, line, role=role)
        assert reply.is_error and "federation staff" in reply.message.text, line
    for action in ("announce.confirm", "announce.cancel"):
        reply = await click(app, action, f"id={draft_id}", role=role)
        assert reply.is_error and "federation staff" in reply.message.text
    assert (await app.services.get(AnnouncementRepo).get(int(draft_id))).state == "draft"
    assert chat.deleted == []


async def test_cancel_sends_nothing_and_a_second_confirm_changes_nothing(app, chat) -> None:
    preview = await say(app, "/announce send all Hi")
    ann_id = preview.message.buttons[0].args["id"]
    cancel = await click(app, "announce.cancel", f"id={ann_id}")
    assert cancel.replace_original and "nothing was sent" in cancel.message.text
    again = await click(app, "announce.confirm", f"id={ann_id}")
    assert again.is_error and "was cancelled" in again.message.text

    ann_id = await send_and_confirm(app, "/announce send all Once")
    twice = await click(app, "announce.confirm", f"id={ann_id}")
    assert not twice.is_error and twice.message.title.startswith(f"Announcement #{ann_id}")
    await courier_for(app.services).drain()
    assert len(chat.copies()) == 6


async def test_a_stale_preview_cannot_be_confirmed(app, chat, clock) -> None:
    preview = await say(app, "/announce send all Hi")
    clock.set(clock.now() + timedelta(hours=3))
    reply = await click(app, "announce.confirm", preview.message.buttons[0].value)
    assert reply.is_error and "expired" in reply.message.text


async def test_ack_is_recorded_per_agency_and_shown_in_status(app, chat) -> None:
    ann_id = await send_and_confirm(app, "/announce send all title:Forum Come!")
    await courier_for(app.services).drain()
    in_c0 = Place(ChannelRef("chat", "W1", "c0"))
    thanks = await click(
        app, "announce.ack", f"id={ann_id}", role=Role.MEMBER, place=in_c0, user="bob"
    )
    assert thanks.ephemeral and thanks.message.text == "Thank you! Acknowledged for Agence 000."
    again = await click(
        app, "announce.ack", f"id={ann_id}", role=Role.MEMBER, place=in_c0, user="eve"
    )
    assert "Already acknowledged for Agence 000 by Bob" in again.message.text
    elsewhere = await click(app, "announce.ack", f"id={ann_id}", role=Role.MEMBER)
    assert elsewhere.is_error and "agency channel where" in elsewhere.message.text
    fields = {
        f.name: f.value for f in (await say(app, f"/announce status {ann_id}")).message.fields
    }
    assert fields["Read by 1/6 agencies (17%)"].startswith("✅ Agence 000 — Bob, ")
    assert fields["Not acknowledged yet (5)"] == ", ".join(f"Agence {i:03d}" for i in range(1, 6))


async def test_permanent_failures_are_reported_and_retry_resends_only_them(app, chat) -> None:
    chat.failures["c2"] = [SendError("channel_not_found", permanent=True)]
    chat.failures["c4"] = [SendError("not_in_channel", permanent=True)]
    ann_id = await send_and_confirm(app, "/announce send all Hello")
    await courier_for(app.services).drain()
    assert len(chat.copies()) == 4
    alert = chat.to_staff()[-1]
    assert alert.title == f"⚠️ Announcement #{ann_id}: 2 deliveries failed"
    assert "Agence 002 — chat c2: channel_not_found (attempts: 1)" in alert.text
    assert "Agence 004 — chat c4: not_in_channel" in alert.text
    assert [b.action for b in alert.buttons] == ["announce.retry", "announce.status"]
    status = (await say(app, f"/announce status {ann_id}")).message
    assert "chat: 4/6 delivered · 2 failed" in status.plain_text()
    assert status.text.startswith("Sending finished, with failures.")

    reply = await click(app, "announce.retry", f"id={ann_id}")  # the alert's button
    assert reply.message.text == f"Announcement #{ann_id}: retrying 2 failed deliveries."
    await courier_for(app.services).drain()
    assert sorted(ref.channel_id for ref, _ in chat.sent if ref.channel_id != "staff") == [
        f"c{i}" for i in range(6)
    ]
    nothing = await say(app, f"/announce retry {ann_id}")
    assert nothing.is_error and "no failed delivery" in nothing.message.text
    audit = await app.services.get(AnnouncementRepo).audit_log(ann_id)
    assert [(e.action, e.channels, e.actor_name) for e in audit] == [
        ("confirm", 6, "Alice"),
        ("retry", 2, "Alice"),
    ]


async def test_delete_withdraws_every_posted_copy(app, chat) -> None:
    ann_id = await send_and_confirm(app, "/announce send all Oops")
    await courier_for(app.services).drain()
    reply = await say(app, f"/announce delete {ann_id}")
    assert reply.message.text.startswith(f"Withdrawing announcement #{ann_id}: 6 copies to delete")
    await courier_for(app.services).drain()
    posted = {(p.channel.channel_id, p.message_id) for p in chat.deleted}
    sent = {(ref.channel_id, f"m{i + 1}") for i, (ref, _) in enumerate(chat.sent)}
    assert posted <= sent and len(posted) == 6
    status = (await say(app, f"/announce status {ann_id}")).message
    assert status.text.startswith("Withdrawn.") and "6 withdrawn" in status.plain_text()
    ack = await click(
        app,
        "announce.ack",
        f"id={ann_id}",
        role=Role.MEMBER,
        place=Place(ChannelRef("chat", "W1", "c0")),
    )
    assert ack.is_error and "withdrawn" in ack.message.text


async def test_scheduled_announcement_waits_for_its_time(app, chat, clock) -> None:
    ann_id = await send_and_confirm(app, '/announce send all at:"in 2 hours" Later')
    status = (await say(app, f"/announce status {ann_id}")).message
    assert status.text.startswith("Scheduled for ")
    assert f"announce:{ann_id}" in app.services.scheduler.job_ids()
    assert await run_due(app.services, clock.now()) == []
    assert chat.copies() == []
    clock.set(clock.now() + timedelta(hours=2))
    assert await run_due(app.services, clock.now()) == [ann_id]
    await courier_for(app.services).drain()
    assert len(chat.copies()) == 6


async def test_deleting_a_scheduled_announcement_cancels_it(app, chat, clock) -> None:
    ann_id = await send_and_confirm(app, '/announce send all at:"tomorrow 9am" Later')
    reply = await say(app, f"/announce delete {ann_id}")
    assert "6 pending sends cancelled" in reply.message.text
    clock.set(clock.now() + timedelta(days=2))
    await run_due(app.services, clock.now())
    await courier_for(app.services).drain()
    assert chat.copies() == [] and chat.deleted == []


async def test_list_shows_recent_announcements_with_counts(app, chat) -> None:
    assert (await say(app, "/announce list")).message.text.startswith("No announcement yet")
    first = await send_and_confirm(app, "/announce send all title:First One")
    await courier_for(app.services).drain()
    await say(app, "/announce send all Draft only")
    listed = (await say(app, "/announce list")).message
    assert [f.name for f in listed.fields] == [f"#{first} · First"]
    assert listed.fields[0].value.startswith(
        "Delivered everywhere. ✅ — 6/6 delivered, 0 failed — by Alice"
    )


async def test_french_aliases_and_french_replies(app, chat) -> None:
    reply = await say(app, '/annonce envoyer pour:région cible:"Région 0" titre:Salon Venez !')
    assert reply.message.title == "Preview: Salon"  # the caller speaks English
    who = Caller("console", "local", "zoe", "Zoé", "fr", assumed_role=Role.STAFF)
    reply = await app.dispatcher.handle_text(
        who, Place(ChannelRef("chat", "W1", "staff")), "/annonce liste"
    )
    assert reply.message.text.startswith("Aucune annonce pour l'instant")
