"""The Slack App Home, over the wire: the real adapter publishes with `views.publish` to the fake
Slack, which keeps each member's Home and refuses what Slack refuses (not a `home` view, more
than 100 blocks, a block over Block Kit's limits).

What is asserted is what a member sees in their Home tab: per role and language (golden files:
FEDBOT_UPDATE_GOLDEN=1 rewrites them), after their clicks there, after changes that concern
them, and never more often than the debounce allows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.home import MAX_VIEW_BLOCKS, home_view
from adapters.slack.manifest import build_manifest
from bot.clock import FixedClock
from bot.config import parse_config
from bot.i18n import translator
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Button, Field, Message, Reply
from commands.announce.store.announcements import AnnouncementRepo
from commands.announce.store.outbox import SENT
from commands.events.store.events import EventRepo
from commands.match.round_runner import run_due
from fedbot.assembly import full_registry
from tests.fakes.slack_server import DEFAULT_TEAM_ID, FakeSlack, app_home_opened_event
from tests.slack_harness import ALICE, BOB, STAFF, SlackBot, add_people, golden, slack_bot
from tests.waiting import until

TEAM = DEFAULT_TEAM_ID
MODO = "U0MODO001"  # English, moderator of Nantes
NANTES = "C0NANTES1"
HERE = Place(ChannelRef("slack", TEAM, NANTES))
AGENCY = "Nantes Métropole Développement"
ROUND = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 30 November, 09:00 in Paris

Json = dict[str, Any]


def agencies() -> dict[str, Any]:
    return {
        "agencies": [
            {
                "name": AGENCY,
                "region": "Pays de la Loire",
                "channels": [f"slack:{TEAM}:{NANTES}"],
                "moderators": [f"slack:{TEAM}:{MODO}"],
            }
        ]
    }


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        add_people(server)
        server.add_user(MODO, name="morgan", display_name="Morgan", locale="en-GB")
        server.add_channel(NANTES, name="nantes")
        yield server


@asynccontextmanager
async def home_bot(tmp_path: Path, fake: FakeSlack, **slack: Any) -> AsyncIterator[SlackBot]:
    settings = {"home_debounce": 0.05, **slack}
    async with slack_bot(tmp_path, fake, slack=settings, extra=agencies()) as bot:
        yield bot


CALLERS = {
    ALICE: ("Alice", "fr"),
    BOB: ("Bob", "en"),
    STAFF: ("Sam", "fr"),
    MODO: ("Morgan", "en"),
}


async def say(bot: SlackBot, user: str, line: str) -> Reply:
    name, lang = CALLERS[user]
    reply = await bot.app.dispatcher.handle_text(
        Caller("slack", TEAM, user, name, lang), HERE, line
    )
    assert reply is not None and not reply.is_error, reply and reply.message.plain_text()
    return reply


async def federation_life(bot: SlackBot) -> None:
    """What members did before opening their Home: profiles, a round and its question, events
    and answers, an announcement delivered to Nantes, a question the FAQ could not answer, a
    digest in Nantes' channel."""
    app = bot.app
    for user, tags in ((ALICE, "tiers-lieux, numerique"), (BOB, "numerique, export")):
        await say(bot, user, f'profile set agency:"{AGENCY}" interests:"{tags}" match:yes')
    await say(bot, MODO, 'match rounds enable schedule:"un lundi sur deux à 9h"')
    clock = app.clock
    assert isinstance(clock, FixedClock)
    clock.set(ROUND)
    await run_due(app.services, ROUND)
    asked = ROUND + timedelta(days=5, minutes=1)
    clock.set(asked)
    await run_due(app.services, asked)  # "did you meet?" sent to both

    await say(bot, STAFF, f'event create "Nuit du numérique" "2026-12-10 18:00" duration:3h '
              f'place:"Cantine numérique, Nantes" agency:"{AGENCY}" capacity:30')  # fmt: skip
    await say(bot, STAFF, 'event create "Webinaire export" "2026-12-14 10:00" duration:1h '
              "link:https://visio.example.org audience:all")  # fmt: skip
    await say(bot, ALICE, "event rsvp 1 going")
    await say(bot, BOB, "event rsvp 1 maybe")

    await say(bot, STAFF, 'announce send all title:"Appel à projets 2027" Le nouvel appel.')
    await say(bot, STAFF, "announce confirm 1")
    repo = app.services.get(AnnouncementRepo)

    async def delivered() -> bool:
        return (await repo.outbox.counts(1)).get("slack", {}).get(SENT, 0) == 1

    await until(delivered, "the announcement to reach Nantes' channel")
    await say(bot, ALICE, "faq ask comment financer un tiers-lieu en milieu rural ?")
    await say(bot, MODO, 'digest create schedule:"tous les lundis à 9h" sections:events')


async def open_home(bot: SlackBot, fake: FakeSlack, user: str, count: int = 1) -> Json:
    """The member opens their Home tab; the view Slack now shows them."""
    before = len(fake.calls_to("views.publish"))
    response = await bot.http.event(event=app_home_opened_event(user_id=user))
    assert response.status == 200
    await fake.wait_for_call("views.publish", count=before + count, timeout=5)
    await settle(bot)
    view = fake.home_of(user)
    assert view is not None
    return view


async def settle(bot: SlackBot) -> None:
    home = bot.adapter.home
    assert home is not None
    for _ in range(5):
        if home._tasks:
            await asyncio.wait(set(home._tasks), timeout=5)
        await asyncio.sleep(0.06)


def shown(view: Json) -> list[Json]:
    """The blocks, without the ids Slack gives views (stable golden files)."""
    return view["blocks"]


def texts(view: Json) -> str:
    found = []
    for block in view["blocks"]:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                found.append(block[key]["text"])
        found += [f["text"] for f in block.get("fields", [])]
        found += [e.get("text", {}).get("text", "") if isinstance(e.get("text"), dict)
                  else e.get("text", "") for e in block.get("elements", [])]  # fmt: skip
    return "\n".join(found).replace("\u202f", " ").replace("\u00a0", " ")


def button(view: Json, label: str) -> Json:
    for block in view["blocks"]:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element["text"]["text"] == label:
                return element
    raise AssertionError(f"no button {label!r} in the Home")


# -- what each member sees


@pytest.mark.parametrize(
    ("user", "name"),
    [(ALICE, "member_fr"), (BOB, "member_en"), (MODO, "moderator_en"), (STAFF, "staff_fr")],
)
async def test_the_home_per_role_and_language(
    tmp_path: Path, fake: FakeSlack, user: str, name: str
) -> None:
    async with home_bot(tmp_path, fake) as bot:
        await federation_life(bot)
        view = await open_home(bot, fake, user)
    assert view["type"] == "home" and len(view["blocks"]) <= MAX_VIEW_BLOCKS
    golden(f"slack_home_{name}", shown(view))


async def test_a_new_member_gets_a_home_that_says_where_to_start(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with home_bot(tmp_path, fake) as bot:
        view = await open_home(bot, fake, BOB)
        assert await bot.app.services.members.find("slack", TEAM, BOB) is None  # nothing stored
    text = texts(view)
    assert "Hello Bob" in text
    assert "You have no profile yet" in text
    assert "Take part in introductions" in [
        e["text"]["text"] for b in view["blocks"] for e in b.get("elements", []) if "value" in e
    ]


# -- buttons in the Home are ordinary buttons


async def test_an_rsvp_in_the_home_answers_and_shows_it_at_the_top(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with home_bot(tmp_path, fake) as bot:
        await federation_life(bot)
        view = await open_home(bot, fake, BOB)
        (webinar,) = [b for b in view["blocks"] if "Webinaire export" in str(b.get("text"))]
        index = view["blocks"].index(webinar)
        going = view["blocks"][index + 1]["elements"][0]
        assert going["text"]["text"] == "Going"
        await bot.http.block_action(
            action_id=going["action_id"], value=going["value"], user_id=BOB, view=view
        )
        await fake.wait_for_call("views.publish", count=2)
        await settle(bot)
        after = fake.home_of(BOB)
        assert after is not None
        first = after["blocks"][0]["text"]["text"]
        assert first.startswith(':white_check_mark: Noted: you are going to "Webinaire export"')
        assert "Your answer: going" in texts(after)
        roster = await bot.app.services.get(EventRepo).rsvps.roster(2)
    assert [(a.display_name, a.status) for a in roster] == [("Bob", "going")]
    assert fake.response_url_posts == []  # a Home has no response_url: nothing sent there


async def test_bien_recu_in_the_home_acknowledges_for_the_members_agency(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with home_bot(tmp_path, fake) as bot:
        await federation_life(bot)
        view = await open_home(bot, fake, ALICE)
        ack = button(view, "✅ Bien reçu / Acknowledge")
        await bot.http.block_action(
            action_id=ack["action_id"], value=ack["value"], user_id=ALICE, view=view
        )
        await fake.wait_for_call("views.publish", count=2)
        await settle(bot)
        after = fake.home_of(ALICE)
        acks = await bot.app.services.get(AnnouncementRepo).acks(1)
    assert after is not None
    assert "Merci ! La lecture est enregistrée pour Nantes Métropole Développement." in texts(after)
    assert "✅ Lecture confirmée par Alice" in texts(after)
    assert [a.member_name for a in acks] == ["Alice"]


async def test_a_rich_reply_from_the_home_goes_to_the_messages_tab(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with home_bot(tmp_path, fake) as bot:
        await federation_life(bot)
        view = await open_home(bot, fake, MODO)
        preview = button(view, "Preview")
        posted = len(fake.calls_to("chat.postMessage"))
        await bot.http.block_action(
            action_id=preview["action_id"], value=preview["value"], user_id=MODO, view=view
        )
        await fake.wait_for_call("views.publish", count=2)
        await settle(bot)
        dm = fake.calls_to("chat.postMessage")[posted:]
        after = fake.home_of(MODO)
    assert len(dm) == 1 and dm[0].params["channel"].startswith("D")  # Morgan's DM with the bot
    assert "Answer sent to the Messages tab." in texts(after or {})


# -- refreshed when something concerns the member, debounced


async def test_a_change_that_concerns_a_member_refreshes_their_open_home(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with home_bot(tmp_path, fake) as bot:
        await federation_life(bot)
        await say(bot, STAFF, "event edit 1 capacity:1")  # Alice has the only seat
        await say(bot, BOB, "event rsvp 1 going")  # Bob waits
        await open_home(bot, fake, BOB)
        assert "Your answer: on the waitlist" in texts(fake.home_of(BOB) or {})
        before = len(fake.calls_to("views.publish"))
        await say(bot, ALICE, "event rsvp 1 no")  # Alice frees her seat: Bob is in
        await fake.wait_for_call("views.publish", count=before + 1)
        await settle(bot)
        home = fake.home_of(BOB)
    assert home is not None and "Your answer: going" in texts(home)
    published_for = {c.params["user_id"] for c in fake.calls_to("views.publish")}
    assert published_for == {BOB}  # Alice never opened her Home: nothing published for her


async def test_changes_in_a_burst_make_one_publish_per_debounce(
    tmp_path: Path, fake: FakeSlack
) -> None:
    # A debounce of a second leaves a busy machine time to make the ten changes inside it.
    async with home_bot(tmp_path, fake, home_debounce=1.0) as bot:
        await open_home(bot, fake, ALICE)
        for _ in range(10):
            bot.app.services.home.changed()  # ten changes within a few milliseconds
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert len(fake.calls_to("views.publish")) == 1  # still within the debounce
        await fake.wait_for_call("views.publish", count=2, timeout=5)
        await asyncio.sleep(1.2)
    assert len(fake.calls_to("views.publish")) == 2  # the ten gathered into one


async def test_a_rate_limited_publish_waits_and_is_delivered(
    tmp_path: Path, fake: FakeSlack
) -> None:
    fake.fail_next("views.publish", status=429, retry_after=2)
    async with home_bot(tmp_path, fake) as bot:
        view = await open_home(bot, fake, ALICE, count=2)
        assert bot.sleep.delays == [2.0]  # Retry-After honoured, then published
    assert view["blocks"]


# -- who gets no Home, and the manifest


async def test_a_stranger_workspace_gets_no_home(tmp_path: Path, fake: FakeSlack) -> None:
    async with home_bot(tmp_path, fake) as bot:
        event = app_home_opened_event(user_id="U0MALLORY")
        await bot.http.event(event=event, team_id="T0STRANGER")
        await bot.http.event(event=app_home_opened_event(user_id=ALICE, tab="messages"))
        await asyncio.sleep(0.2)
        await settle(bot)
    assert fake.calls_to("views.publish") == []


async def test_the_home_tab_can_be_switched_off_in_manifest_and_code_alike(
    tmp_path: Path, fake: FakeSlack
) -> None:
    config = parse_config({"slack": {"home_tab": False}}, {})
    manifest = build_manifest(full_registry(), config)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is False
    assert "app_home_opened" not in manifest["settings"]["event_subscriptions"]["bot_events"]
    on = build_manifest(full_registry(), parse_config({}, {}))
    assert "app_home_opened" in on["settings"]["event_subscriptions"]["bot_events"]
    async with home_bot(tmp_path, fake, home_tab=False) as bot:
        assert bot.adapter.home is None
        await bot.http.event(event=app_home_opened_event(user_id=ALICE))
        await asyncio.sleep(0.2)
    assert fake.calls_to("views.publish") == []


def test_a_home_too_long_for_slack_is_cut_at_100_blocks() -> None:
    t = translator("fr")
    many = [
        Message(title=f"Partie {i}", fields=(Field("a", "b"),), buttons=(Button("x", "help"),))
        for i in range(60)
    ]
    view = home_view(many, t)
    assert len(view["blocks"]) == MAX_VIEW_BLOCKS
    assert "La suite ne tient pas dans cette page" in view["blocks"][-1]["elements"][0]["text"]
    exact = home_view(many[:25], t)  # 25 sections of 4 blocks (divider, title, fields, buttons)
    assert len(exact["blocks"]) == 99 and "La suite" not in str(exact["blocks"][-1])
