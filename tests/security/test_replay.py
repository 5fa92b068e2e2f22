"""Replays: a captured Slack request sent again, to the same process or another one sharing the
database; a retried event delivered to a second process. Each is handled once."""

from __future__ import annotations

import logging
import time
import urllib.parse
from pathlib import Path

from commands.faq.store.entries import FaqRepo
from tests.fakes.slack_server import FakeSlack, slash_command_payload
from tests.security.support import snapshot
from tests.slack_harness import ALICE, STAFF, add_people, slack_bot


async def test_a_captured_request_is_refused_in_every_process(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        add_people(fake)
        payload = slash_command_payload(
            command="/faq",
            text="ask une question que personne n'a prévue",
            user_id=ALICE,
            response_url=fake.response_url(),
            trigger_id="1.2.captured",
        )
        body = urllib.parse.urlencode(payload)
        stamp = int(time.time())
        form = "application/x-www-form-urlencoded"
        async with slack_bot(tmp_path, fake) as first, slack_bot(tmp_path, fake) as second:
            original = await first.http.post(body, content_type=form, timestamp=stamp)
            await first.app.services.get(FaqRepo).activity.asks.flush()  # asks are batched
            after_original = await snapshot(first.app)
            same_process = await first.http.post(body, content_type=form, timestamp=stamp)
            other_process = await second.http.post(body, content_type=form, timestamp=stamp)
            for bot in (first, second):
                await bot.app.services.get(FaqRepo).activity.asks.flush()
            after_replays = await snapshot(first.app)

    assert original.status == 200
    assert (same_process.status, other_process.status) == (401, 401)
    assert after_replays == after_original
    assert len(after_original["faq_unanswered_askers"]) == 1


async def test_a_retried_event_is_handled_once_across_processes(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="adapters.slack.adapter")
    async with FakeSlack() as fake:
        add_people(fake)
        slack = {"message_events": True}
        async with (
            slack_bot(tmp_path, fake, slack=slack) as first,
            slack_bot(tmp_path, fake, slack=slack) as second,
        ):
            await first.http.slash_command(command="/faq", text="passive on", user_id=STAFF)
            await first.http.slash_command(
                command="/faq", text='add "Comment adhérer ?" "Par le formulaire."', user_id=STAFF
            )
            await second.app.services.get(FaqRepo).refresh()  # what the periodic refresh would do
            message = {
                "type": "message", "user": ALICE, "text": "Comment adhérer à la fédé ?",
                "channel": "C0GENERAL", "ts": "1700000000.000100",
            }  # fmt: skip
            await first.http.event(event=message, event_id="Ev0RETRIED1")
            await second.http.event(event=message, event_id="Ev0RETRIED1", retry_num=1)
            await fake.wait_for_call("chat.postMessage")
            await first.app.services.get(FaqRepo).refresh()

    replies = [c for c in fake.calls_to("chat.postMessage") if c.params.get("thread_ts")]
    assert len(replies) == 1
    # The second process knew from the database, before reaching the FAQ's own guard.
    assert any("Ev0RETRIED1 delivered again" in r.getMessage() for r in caplog.records)
