"""The Slack Sender (the core posting anywhere) and the adapter's own retry policy, on the wire.

The sleep is injected: a `Retry-After: 30` is waited in full (30 s, not the 3 s slack_sdk's
rate-limit handler would take from the header's first character) without slowing the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.slack.sender import SlackSender
from adapters.slack.webapi import parse_retry_after
from bot.errors import SendError
from bot.identity import ChannelRef
from bot.messages import Attachment, Field, Message
from bot.outbound import Posted
from tests.fakes.slack_server import DEFAULT_BOT_TOKEN, DEFAULT_TEAM_ID, FakeSlack
from tests.slack_harness import ALICE, SlackBot, add_people, slack_bot

GENERAL = ChannelRef("slack", DEFAULT_TEAM_ID, "C0GENERAL")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        add_people(server)
        yield server


@pytest.fixture
async def bot(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[SlackBot]:
    async with slack_bot(tmp_path, fake) as running:
        yield running


def sender(bot: SlackBot) -> SlackSender:
    assert bot.adapter.sender is not None
    return bot.adapter.sender


async def test_the_core_posts_through_the_outbound_router(bot: SlackBot, fake: FakeSlack) -> None:
    message = Message(title="Nuit du net", text="<!channel> venez", fields=(Field("Où", "Nantes"),))
    posted = await bot.app.outbound.send(GENERAL, message)

    call = fake.last_call("chat.postMessage")
    assert call.token == DEFAULT_BOT_TOKEN
    assert posted == Posted(GENERAL, call.response["ts"])  # type: ignore[index]
    assert call.params["text"] == "*Nuit du net*\n&lt;!channel&gt; venez\n*Où*\nNantes"
    assert [b["type"] for b in call.params["blocks"]] == ["header", "section", "section"]
    assert call.params["unfurl_links"] is False


async def test_a_posted_message_can_be_edited(bot: SlackBot, fake: FakeSlack) -> None:
    posted = await bot.app.outbound.send(GENERAL, Message(text="Envoi : 0/80"))
    fake.fail_next("chat.update", status=429, retry_after=2)
    await bot.app.outbound.edit(posted, Message(text="Envoi : 80/80 <@U1>"))

    [shown] = fake.messages_in("C0GENERAL")
    assert shown["text"] == "Envoi : 80/80 &lt;@U1&gt;"
    assert shown["blocks"][0]["text"]["text"] == "Envoi : 80/80 &lt;@U1&gt;"
    assert bot.sleep.delays == [2.0]


async def test_429_waits_the_whole_retry_after(bot: SlackBot, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=30)
    posted = await sender(bot).send(GENERAL, Message(text="bonjour"))

    assert bot.sleep.delays == [30.0]  # slack_sdk's own handler would wait 3 s
    first, second = fake.calls_to("chat.postMessage")
    assert (first.status, second.status) == (429, 200)
    assert fake.messages_in("C0GENERAL")[0]["ts"] == posted.message_id


async def test_server_errors_back_off_then_succeed(bot: SlackBot, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", status=503, count=2)
    await sender(bot).send(GENERAL, Message(text="bonjour"))

    assert bot.sleep.delays == [1.0, 2.0]
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [503, 503, 200]


async def test_permanent_errors_are_not_retried(bot: SlackBot, fake: FakeSlack) -> None:
    fake.channel_errors["C404"] = "channel_not_found"
    fake.add_channel("CPRIV", is_private=True, is_member=False)
    errors = []
    for channel in ("C404", "CPRIV"):
        with pytest.raises(SendError) as caught:
            await sender(bot).send(ChannelRef("slack", DEFAULT_TEAM_ID, channel), Message("x"))
        errors.append((caught.value.permanent, caught.value.reason))

    assert errors == [
        (True, "chat.postMessage: channel_not_found"),
        (True, "chat.postMessage: not_in_channel"),
    ]
    assert bot.sleep.delays == []
    assert len(fake.calls_to("chat.postMessage")) == 2


async def test_exhausted_or_too_long_waits_are_transient_errors(
    bot: SlackBot, fake: FakeSlack
) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=5, count=4)
    with pytest.raises(SendError) as exhausted:
        await sender(bot).send(GENERAL, Message("x"))
    fake.fail_next("chat.postMessage", status=429, retry_after=600)
    with pytest.raises(SendError) as too_long:
        await sender(bot).send(GENERAL, Message("x"))

    assert (exhausted.value.permanent, exhausted.value.retry_after) == (False, 5.0)
    assert bot.sleep.delays == [5.0, 5.0, 5.0]  # 3 retries, then the caller decides
    assert (too_long.value.permanent, too_long.value.retry_after) == (False, 600.0)


async def test_direct_messages_long_messages_files_and_delete(
    bot: SlackBot, fake: FakeSlack
) -> None:
    long = Message(text="\n".join(f"ligne {i} " + "x" * 90 for i in range(300)))
    posted = await sender(bot).send(GENERAL, long)
    dm = await bot.app.outbound.send_dm(
        "slack",
        DEFAULT_TEAM_ID,
        ALICE,
        Message(
            text="rappel",
            attachments=(Attachment("nuit.ics", b"BEGIN:VCALENDAR", "text/calendar"),),
        ),
    )
    stamps = posted.message_id.split(",")
    await bot.app.outbound.delete(posted)
    await bot.app.outbound.delete(posted)  # deleting twice is harmless

    assert len(stamps) == 3  # 30 000 characters: three messages of at most 12 000
    assert fake.messages_in("C0GENERAL") == []
    assert dm.channel.channel_id.startswith("D")
    assert fake.last_call("conversations.open").params["users"] == ALICE
    [upload] = fake.uploaded_files.values()
    assert (upload["name"], upload["content"], upload["channels"]) == (
        "nuit.ics",
        b"BEGIN:VCALENDAR",
        [dm.channel.channel_id],
    )


async def test_a_single_token_never_posts_in_another_workspace(
    bot: SlackBot, fake: FakeSlack
) -> None:
    with pytest.raises(SendError) as caught:
        await sender(bot).send(ChannelRef("slack", "T0OTHER99", "C1"), Message("x"))

    assert caught.value.permanent
    assert fake.calls_to("chat.postMessage") == []


def test_retry_after_is_read_whole() -> None:
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) == 1.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
