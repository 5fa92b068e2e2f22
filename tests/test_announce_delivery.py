"""The courier: retries and backoff, rate limits, live progress, crash and restart.

The platform is a recording sender at the `Sender` seam; the courier's sleep moves the test's
clock, so backoffs of minutes take no time and are measured exactly.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.slack.pacing import slack_buckets
from bot.app import BotApp
from bot.clock import SystemClock
from bot.errors import SendError
from bot.i18n import translator
from bot.identity import ChannelRef
from bot.messages import Message
from bot.pacing import Limiter, Rate, backoff
from bot.platform_settings import SlackSettings
from commands.announce.delivery import courier_for, run_due
from commands.announce.store.announcements import AnnouncementRepo
from commands.announce.store.outbox_rows import PENDING, SENDING, SENT
from fedbot.assembly import make_app
from tests.announce_support import (
    MonotonicClock,
    Recorder,
    add_agencies,
    clock_sleep,
    say,
    send_and_confirm,
)
from tests.conftest import make_config


def _app(tmp_path: Path, clock, **announce: object) -> BotApp:
    config = make_config(tmp_path)
    config = replace(config, announce=replace(config.announce, **announce))
    return make_app(config, clock=clock, start_scheduler=False)


async def _started(app: BotApp, recorder: Recorder, clock) -> BotApp:
    await app.start()
    app.outbound.register(recorder)
    courier = courier_for(app.services)
    courier.sleep = clock_sleep(clock)
    courier.rng = random.Random(7)
    return app


async def test_transient_errors_back_off_exponentially_then_succeed(tmp_path, clock) -> None:
    chat = Recorder(clock=clock)
    app = await _started(_app(tmp_path, clock, retry_base=2.0, sweep_interval=600), chat, clock)
    await add_agencies(app, 3)
    chat.failures["c1"] = [SendError("HTTP 500", permanent=False)] * 3
    t0 = clock.now()
    ann_id = await send_and_confirm(app, "/announce send all Hi")
    await courier_for(app.services).drain()
    rows = {
        r.ref.channel_id: r
        for r in await app.services.get(AnnouncementRepo).outbox.in_states(ann_id, [SENT])
    }
    assert set(rows) == {"c0", "c1", "c2"} and rows["c1"].attempts == 4
    assert len(chat.copies("c1")) == 1
    # 3 failures: waits drawn from [1, 2], [2, 4] and [4, 8] seconds ("equal jitter").
    waited = chat.sent_at[[ref.channel_id for ref, _ in chat.sent].index("c1")] - t0.timestamp()
    assert 7 <= waited <= 14
    await app.close()


async def test_retry_after_is_honoured(tmp_path, clock) -> None:
    chat = Recorder(clock=clock)
    app = await _started(_app(tmp_path, clock, sweep_interval=600), chat, clock)
    await add_agencies(app, 1)
    chat.failures["c0"] = [SendError("ratelimited", permanent=False, retry_after=30)]
    t0 = clock.now().timestamp()
    await send_and_confirm(app, "/announce send all Hi")
    await courier_for(app.services).drain()
    waited = chat.sent_at[-1] - t0
    assert 30 <= waited <= 33


async def test_a_send_that_keeps_failing_gives_up_with_its_reason(tmp_path, clock) -> None:
    chat = Recorder(clock=clock)
    app = await _started(_app(tmp_path, clock, max_attempts=3, sweep_interval=600), chat, clock)
    await add_agencies(app, 2)
    chat.failures["c0"] = [SendError("HTTP 503", permanent=False)] * 5
    ann_id = await send_and_confirm(app, "/announce send all Hi")
    await courier_for(app.services).drain()
    status = (await say(app, f"/announce status {ann_id}")).message.plain_text()
    assert "Agence 000 — chat c0: HTTP 503 (attempts: 3)" in status
    assert len(chat.copies()) == 1
    await app.close()


async def test_long_backoff_ends_the_run_and_the_sweep_resumes_it(tmp_path, clock) -> None:
    chat = Recorder(clock=clock)
    app = await _started(_app(tmp_path, clock, sweep_interval=30), chat, clock)
    await add_agencies(app, 1)
    chat.failures["c0"] = [SendError("ratelimited", permanent=False, retry_after=120)]
    await send_and_confirm(app, "/announce send all Hi")
    await courier_for(app.services).drain()
    assert chat.copies() == []  # the run ended: waiting 2 minutes is the sweep's job
    assert await run_due(app.services, clock.now()) == []
    clock.set(clock.now() + timedelta(minutes=3))
    assert await run_due(app.services, clock.now()) == [1]
    await courier_for(app.services).drain()
    assert len(chat.copies()) == 1
    await app.close()


async def _real_time_app(tmp_path: Path, recorder: Recorder, **announce: object) -> BotApp:
    """Pacing is about real time: a system clock, real sleeps, and fast rates."""
    app = _app(tmp_path, SystemClock(), **announce)
    await app.start()
    app.outbound.register(recorder)
    return app


def slack_recorder(**rates: float) -> Recorder:
    """A Slack that records, paced by the Slack adapter's own declared limits."""
    buckets = slack_buckets(SlackSettings(**rates))  # type: ignore[arg-type]
    return Recorder(platform="slack", clock=MonotonicClock(), buckets=buckets)


async def test_slack_sends_are_paced_per_workspace(tmp_path) -> None:
    slack = slack_recorder(workspace_rate=40.0)
    app = await _real_time_app(tmp_path, slack)
    await add_agencies(app, 16, platform="slack")
    started = time.monotonic()
    await send_and_confirm(app, "/announce send all Hi")
    await courier_for(app.services).drain()
    elapsed = time.monotonic() - started
    stamps = sorted(slack.sent_at)
    assert len(stamps) == 16
    # The n-th send never goes before n intervals of the workspace's budget...
    assert all(t - stamps[0] >= i / 40 - 0.02 for i, t in enumerate(stamps))
    # ...and the budget is used (15 intervals of 25 ms, plus the database's share), far from
    # what one send at a time with a second's wait each would take.
    assert elapsed < 3.0
    await app.close()


async def test_a_slack_channel_gets_at_most_its_own_rate(tmp_path) -> None:
    slack = slack_recorder(workspace_rate=1000.0, channel_rate=10.0)
    app = await _real_time_app(tmp_path, slack)
    await add_agencies(app, 3, platform="slack")
    await send_and_confirm(app, "/announce send all First")
    await send_and_confirm(app, "/announce send all Second")
    await courier_for(app.services).drain()
    for channel in ("c0", "c1", "c2"):
        times = [
            t
            for (ref, _), t in zip(slack.sent, slack.sent_at, strict=True)
            if ref.channel_id == channel
        ]
        # 10/s per channel: 100 ms apart, less the event loop's scheduling jitter on a busy
        # machine (the limiter's arithmetic itself is tested exactly below).
        assert len(times) == 2 and abs(times[1] - times[0]) >= 0.1 - 0.02
    await app.close()


async def test_a_busy_channel_does_not_hold_the_workspace_budget(tmp_path) -> None:
    slack = slack_recorder(workspace_rate=20.0, channel_rate=2.0)
    app = await _real_time_app(tmp_path, slack)
    busy, other = (ChannelRef("slack", "T1", channel) for channel in ("c0", "c1"))
    queued = [asyncio.create_task(app.outbound.send(busy, Message(text=f"{i}"))) for i in range(4)]
    await asyncio.sleep(0.05)  # c0's slots are taken: now, then 0.5, 1 and 1.5 s ahead
    started = time.monotonic()
    await app.outbound.send(other, Message(text="ailleurs"))
    # c1 goes now: it waited behind c0's last slot (1.5 s) when every bucket was reserved
    # at once, the workspace's slot as far ahead as the channel's.
    assert time.monotonic() - started < 1.0
    await asyncio.gather(*queued)
    assert len(slack.sent) == 5
    await app.close()


def test_limiter_reserves_the_earliest_slot_every_bucket_allows() -> None:
    limiter = Limiter()
    ws, ch = Rate(2.0, burst=2), Rate(1.0)
    assert limiter.reserve([("ws", ws), ("c1", ch)], 0.0) == 0.0
    assert limiter.reserve([("ws", ws), ("c2", ch)], 0.0) == 0.0  # the workspace's burst
    assert limiter.reserve([("ws", ws), ("c3", ch)], 0.0) == 0.5
    assert limiter.reserve([("ws", ws), ("c1", ch)], 0.0) == 1.0  # c1's own 1/s
    limiter.pause("ws", 10.0)
    assert limiter.reserve([("ws", ws), ("c4", ch)], 2.0) == pytest.approx(9.5)


def test_backoff_is_exponential_with_jitter_and_honours_retry_after() -> None:
    assert backoff(1, None, 2.0, 600.0, 0.0) == 1.0
    assert backoff(3, None, 2.0, 600.0, 0.999) == pytest.approx(8.0, abs=0.01)
    assert backoff(20, None, 2.0, 600.0, 0.5) == 450.0  # capped, still jittered
    assert backoff(1, 30.0, 2.0, 600.0, 0.5) == 31.5


async def test_progress_message_is_edited_at_most_every_interval(tmp_path) -> None:
    slack = slack_recorder(workspace_rate=40.0)
    chat = Recorder()  # the staff channel's platform
    app = await _real_time_app(tmp_path, slack, progress_interval=0.1)
    app.outbound.register(chat)
    await add_agencies(app, 20, platform="slack")
    await send_and_confirm(app, "/announce send all Hi")
    await courier_for(app.services).drain()
    assert [m.title for m in chat.to_staff()] == ["Announcement #1 — Hi"]
    edits = [m for _, m in chat.edits]
    assert edits[-1].text == "Delivered everywhere. ✅"
    assert edits[-1].fields[0].value == "20/20 delivered"
    # 20 sends at 40/s last ~0.5 s: about one edit per 0.1 s, plus the final one.
    assert 3 <= len(edits) <= 9
    await app.close()


async def test_a_crash_mid_delivery_loses_nothing_and_shows_nothing_twice(tmp_path, clock) -> None:
    """Two lifetimes on one database file: the first dies with sends in flight (the platform
    accepted them, the bot never learnt it) and rows reserved; the second sends what nobody
    holds at once, and takes the dead process's rows over once their lease lapsed, checking
    the platform for the copies in flight first."""
    chat = Recorder(clock=clock)
    first = await _started(_app(tmp_path, clock, concurrency=4), chat, clock)
    await add_agencies(first, 40)
    chat.hold = asyncio.Event()  # every copy is accepted, then the answer never comes back
    ann_id = await send_and_confirm(first, "/announce send all Important")
    courier = courier_for(first.services)
    while chat.accepted_then_held < 4:
        await asyncio.sleep(0)
    for task in list(courier._runs.values()):  # noqa: SLF001 - the crash: no grace, no cleanup
        task.cancel()
    await asyncio.gather(*courier._runs.values(), return_exceptions=True)  # noqa: SLF001
    counts = await first.services.get(AnnouncementRepo).outbox.counts(ann_id)
    assert counts["chat"] == {SENDING: 4, PENDING: 36}
    await first.db.close()  # the process is gone; nothing else of it runs

    chat.hold = None
    second = await _started(_app(tmp_path, clock, concurrency=4), chat, clock)
    assert await run_due(second.services, clock.now()) == [ann_id]
    await courier_for(second.services).drain()
    copies = [ref.channel_id for ref, _ in chat.sent if ref.channel_id != "staff"]
    assert 4 < len(copies) < 40  # the rows nobody held; the dead process's wait for its lease

    clock.set(clock.now() + timedelta(seconds=second.config.cluster.lease_seconds + 1))
    assert await run_due(second.services, clock.now()) == [ann_id]
    await courier_for(second.services).drain()
    copies = [ref.channel_id for ref, _ in chat.sent if ref.channel_id != "staff"]
    assert sorted(copies) == sorted(f"c{i}" for i in range(40))  # each channel once
    assert chat.adopted == 4  # the copies in flight at the crash were found, not sent again
    status = (await say(second, f"/announce status {ann_id}")).message
    assert "chat: 40/40 delivered" in status.plain_text()
    await second.close()


async def test_a_clean_stop_lets_sends_in_flight_finish(tmp_path, clock) -> None:
    chat = Recorder(clock=clock)
    app = await _started(_app(tmp_path, clock, concurrency=2), chat, clock)
    await add_agencies(app, 10)
    chat.hold = asyncio.Event()
    ann_id = await send_and_confirm(app, "/announce send all Hi")
    while chat.accepted_then_held < 2:
        await asyncio.sleep(0)
    asyncio.get_running_loop().call_later(0.05, chat.hold.set)
    await app.close()  # on_stop: no new claim, the two in flight complete
    reopened = await _started(_app(tmp_path, clock), Recorder(clock=clock), clock)
    counts = await reopened.services.get(AnnouncementRepo).outbox.counts(ann_id)
    assert counts["chat"] == {SENT: 2, PENDING: 8}
    await reopened.close()


async def test_rows_for_a_platform_without_adapter_wait_for_it(tmp_path, clock) -> None:
    chat = Recorder(clock=clock)
    app = await _started(_app(tmp_path, clock), chat, clock)
    await add_agencies(app, 2)
    now = clock.now()
    agency = await app.services.agencies.find("Agence 000")
    await app.services.agencies.attach_channel(agency.id, ChannelRef("discord", "G1", "9"), (), now)
    ann_id = await send_and_confirm(app, "/announce send all Hi")
    await courier_for(app.services).drain()
    counts = await app.services.get(AnnouncementRepo).outbox.counts(ann_id)
    assert counts == {"chat": {SENT: 2}, "discord": {PENDING: 1}}
    discord = Recorder(platform="discord", clock=clock)
    app.outbound.register(discord)
    assert await run_due(app.services, clock.now()) == [ann_id]
    await courier_for(app.services).drain()
    assert len(discord.copies()) == 1
    await app.close()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"discord": {"rate": 0}}, "config: discord.rate: must be positive"),
        ({"announce": {"concurrency": 0}}, "config: announce.concurrency: must be at least 1"),
        ({"slack": {"update_rate": "fast"}}, "config: slack.update_rate: expected a number"),
        (
            {"announce": {"discord_rate": 40}},
            "config: announce.discord_rate: moved to discord.rate",
        ),
    ],
)
def test_bad_pacing_config_names_the_key(raw, message) -> None:
    from bot.config import parse_config
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        parse_config(raw, {})


async def test_the_progress_is_not_edited_again_with_the_same_counts(tmp_path, clock) -> None:
    """The console printed the final progress twice: an edit that changes nothing is skipped
    (on Slack and Discord it would also cost an API call)."""
    chat = Recorder(clock=clock)
    app = await _started(_app(tmp_path, clock, sweep_interval=600), chat, clock)
    await add_agencies(app, 3)
    ann_id = await send_and_confirm(app, "/announce send all Hi")
    courier = courier_for(app.services)
    await courier.drain()
    edits = [message for _, message in chat.edits]
    assert edits and all(a != b for a, b in zip(edits, edits[1:], strict=False))
    before = len(chat.edits)
    ann = await app.services.get(AnnouncementRepo).get(ann_id)
    assert ann is not None
    t = translator(ann.lang)
    await courier._show_progress(ann_id, t)  # noqa: SLF001 - a final count shown twice
    await courier._show_progress(ann_id, t)  # noqa: SLF001
    assert len(chat.edits) == before
    await app.close()
