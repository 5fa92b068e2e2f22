"""Slack Socket Mode from several processes: each opens its own connection (Slack allows up to
10 per app) and Slack gives each envelope to one of them. Two bots on one database against the
fake Slack, which deals the envelopes out in turn and redelivers an event nobody acked to
another connection: every command and event is handled once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.slack.adapter import MessageHook
from bot.identity import Caller, Place
from bot.messages import Reply
from tests.fakes.slack_server import (
    DEFAULT_APP_TOKEN,
    DEFAULT_CHANNEL_ID,
    FakeSlack,
    event_callback_payload,
    slash_command_payload,
)
from tests.slack_harness import ALICE, BOB, SlackBot, add_people, slack_bot

SOCKET = {"mode": "socket", "message_events": True}
ENV = {"SLACK_APP_TOKEN": DEFAULT_APP_TOKEN, "SLACK_SIGNING_SECRET": ""}


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        add_people(server)
        yield server


@contextlib.asynccontextmanager
async def two_processes(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[list[SlackBot]]:
    """Two bots on one database, connected in turn (connection 1, then 2)."""
    async with contextlib.AsyncExitStack() as stack:
        bots = []
        for count in (1, 2):
            bot = await stack.enter_async_context(slack_bot(tmp_path, fake, slack=SOCKET, env=ENV))
            await fake.socket_wait_connected(count)
            bots.append(bot)
        yield bots


async def test_commands_are_dealt_to_both_connections_and_each_answered_once(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with two_processes(tmp_path, fake):
        assert fake.socket_connection_numbers() == [1, 2]
        ids = []
        for i in range(6):
            command = slash_command_payload(
                command="/agency",
                text="list",
                user_id=BOB,
                response_url=fake.response_url(),
                trigger_id=f"trigger-{i}",
            )
            ids.append(await fake.socket_send("slash_commands", command))
        acks = [await fake.socket_wait_ack(envelope_id) for envelope_id in ids]

    assert [n for _, n in fake.socket_deliveries] == [1, 2, 1, 2, 1, 2]
    assert [ack.connection for ack in acks] == [1, 2, 1, 2, 1, 2]  # answered where it went
    assert sorted(a.envelope_id for a in fake.socket_acks) == sorted(ids)  # once each
    for ack in acks:
        assert ack.payload is not None
        assert ack.payload["text"].startswith("No agency registered yet.")


MESSAGE = {
    "type": "message",
    "channel": DEFAULT_CHANNEL_ID,
    "user": ALICE,
    "text": "comment adhérer ?",
    "ts": "1764147600.000100",
}


def question(event_id: str) -> dict[str, object]:
    return event_callback_payload(event=MESSAGE, event_id=event_id)


def recorder(handled: list[tuple[int, str]], process: int) -> MessageHook:
    """A passive-mode hook that notes which process handled a message, and answers it."""

    async def on_message(caller: Caller, place: Place, text: str) -> Reply | None:
        handled.append((process, text))
        return Reply.text("Voir la FAQ", ephemeral=False)

    return on_message


@pytest.mark.parametrize("dies", ["after handling it", "before receiving it"])
async def test_an_event_nobody_acked_is_redelivered_elsewhere_and_handled_once(
    tmp_path: Path, fake: FakeSlack, dies: str
) -> None:
    """The process behind connection 1 dies with the event unacked: either it had handled it
    (the ack lost with the connection) or it never saw it. Slack retries on connection 2; the
    event is handled once either way (deliveries are recorded in the shared database)."""
    handled: list[tuple[int, str]] = []
    async with two_processes(tmp_path, fake) as bots:
        for process, bot in enumerate(bots, start=1):
            bot.adapter.on_message = recorder(handled, process)
        if dies == "after handling it":
            fake.socket_drop_next_ack(1)
            first = await fake.socket_send("events_api", question("Ev0042"), connection=1)
        else:
            first = await fake.socket_send(
                "events_api", question("Ev0042"), connection=1, in_flight=True
            )
            await fake.socket_close(connection=1)
        ack = await fake.socket_wait_ack(first, timeout=5)
        await fake.wait_for_call("chat.postMessage")
        await asyncio.sleep(0.2)  # a second reply would have been posted by now

    [(_, first_connection), (retry_id, second_connection)] = fake.socket_deliveries[:2]
    assert (first_connection, second_connection) == (1, 2)
    assert ack.envelope_id == retry_id and ack.connection == 2
    assert len(handled) == 1
    assert handled[0][0] == (1 if dies == "after handling it" else 2)
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_http_mode_behind_a_load_balancer_handles_a_retry_once(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """HTTP mode: any process may receive any request; Slack's retry of an event (here sent to
    the other process) is dropped there, since the first delivery is recorded in the
    database they share."""
    handled: list[tuple[int, str]] = []
    async with contextlib.AsyncExitStack() as stack:
        bots = []
        for process in (1, 2):
            bot = await stack.enter_async_context(
                slack_bot(tmp_path, fake, slack={"message_events": True})
            )
            bot.adapter.on_message = recorder(handled, process)
            bots.append(bot)
        first = await bots[0].http.event(event=MESSAGE, event_id="Ev0077")
        await fake.wait_for_call("chat.postMessage")
        again = await bots[1].http.event(event=MESSAGE, event_id="Ev0077", retry_num=1)
        await asyncio.sleep(0.2)  # a second reply would have been posted by now

    assert (first.status, again.status) == (200, 200)
    assert handled == [(1, "comment adhérer ?")]
    assert len(fake.calls_to("chat.postMessage")) == 1
