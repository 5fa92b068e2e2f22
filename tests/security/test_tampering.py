"""Tampered buttons and numbers: confirming someone else's announcement, changing the member
on an "introduce me" button, typing a hidden command by hand, answering for another group."""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.identity import Caller
from commands.match.store.matching import MatchingRepo, NewGroup
from tests.fakes.slack_server import DEFAULT_TEAM_ID, FakeSlack
from tests.security.support import changed, snapshot
from tests.slack_harness import ALICE, BOB, STAFF, SlackBot, add_people, slack_bot

T = DEFAULT_TEAM_ID
STAFF_TWO = "U0STAFF02"
CAROL, DAN = "U0CAROL01", "U0DAN0001"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        add_people(server)
        server.add_user(STAFF_TWO, locale="fr-FR", name="sacha")
        server.add_user(CAROL, locale="fr-FR", name="carol")
        server.add_user(DAN, locale="fr-FR", name="dan")
        yield server


async def say(bot: SlackBot, user: str, command: str, text: str) -> dict[str, Any]:
    """The answer the user sees (blocks and text): in the ack or through response_url."""
    fake = bot.http.fake
    assert fake is not None
    url = fake.response_url(team_id=T)
    response = await bot.http.slash_command(
        command=command, text=text, user_id=user, response_url=url
    )
    if response.body["text"].startswith("⏳"):
        [post] = await fake.wait_for_response_url_post(url)
        return post.body
    return response.body


async def click(bot: SlackBot, user: str, action_id: str, value: str) -> dict[str, Any]:
    fake = bot.http.fake
    assert fake is not None
    url = fake.response_url(team_id=T, kind="actions")
    await bot.http.block_action(action_id=action_id, value=value, user_id=user, response_url=url)
    [post] = await fake.wait_for_response_url_post(url)
    return post.body


def buttons(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in body.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def test_only_the_author_confirms_a_draft_announcement(
    tmp_path: Path, fake: FakeSlack
) -> None:
    roles = {"staff": [f"slack:{T}:{STAFF}", f"slack:{T}:{STAFF_TWO}"]}
    agencies = [{"name": "Rennes Atalante", "region": "Bretagne", "channels": [f"slack:{T}:C0R"]}]
    async with slack_bot(tmp_path, fake, roles=roles, extra={"agencies": agencies}) as bot:
        preview = await say(bot, STAFF, "/announce", 'send text:"Assemblée générale" to:all')
        [confirm, _cancel] = buttons(preview)
        before = await snapshot(bot.app)
        forwarded = await click(bot, STAFF_TWO, confirm["action_id"], confirm["value"])
        typed = await say(bot, STAFF_TWO, "/announce", "confirm 1")
        cancelled = await say(bot, STAFF_TWO, "/announce", "cancel 1")
        after = await snapshot(bot.app)
        mine = await click(bot, STAFF, confirm["action_id"], confirm["value"])

    for body in (forwarded, typed, cancelled):
        assert "seul son auteur (ou un administrateur)" in body["text"], body["text"]
    assert changed(before, after) == []
    assert "confirmée" in mine["text"] or "n° 1" in mine["text"], mine["text"]


async def _profiles(bot: SlackBot) -> None:
    for user in (ALICE, BOB, CAROL, DAN):
        body = await say(bot, user, "/profile", 'set interests:"tiers-lieux, hackathon" match:yes')
        assert "profil" in body["text"].lower(), body["text"]


async def test_introductions_reach_only_suggested_or_open_members(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with slack_bot(tmp_path, fake) as bot:
        await _profiles(bot)
        members = bot.app.services.members
        ids = {u: (await members.find("slack", T, u)).id for u in (ALICE, BOB, CAROL, DAN)}
        found = await say(bot, ALICE, "/match", "find")
        offered = {
            int(dict(urllib.parse.parse_qsl(b["value"]))["member"]): b for b in buttons(found)
        }
        bob_button = offered[ids[BOB]]
        forged_value = bob_button["value"].replace(f"member={ids[BOB]}", f"member={ids[CAROL]}")
        before = await snapshot(bot.app)
        attempts = {
            "typed": await say(bot, ALICE, "/match", f"introduce member:{ids[CAROL]}"),
            "number changed": await click(bot, ALICE, bob_button["action_id"], forged_value),
            "someone else's button": await click(
                bot, DAN, bob_button["action_id"], bob_button["value"]
            ),
        }
        after = await snapshot(bot.app)
        dms_before = len(fake.calls_to("chat.postMessage"))
        genuine = await click(bot, ALICE, bob_button["action_id"], bob_button["value"])
        dms_after = len(fake.calls_to("chat.postMessage"))
        await say(bot, CAROL, "/profile", "set open:yes")
        open_door = await say(bot, DAN, "/match", f"introduce member:{ids[CAROL]}")

    for what, body in attempts.items():
        assert "Je ne présente que les membres que je vous ai suggérés" in body["text"], what
    assert changed(before, after) == []
    assert "Bob" in genuine["text"] and dms_after == dms_before + 1
    assert open_door["text"].startswith("C'est fait : carol a reçu votre présentation")


async def test_a_did_you_meet_answer_is_only_for_the_groups_members(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with slack_bot(tmp_path, fake) as bot:
        services, now = bot.app.services, bot.app.clock.now()
        people = {
            u: (await services.members.ensure(Caller("slack", T, u), now)).id
            for u in (ALICE, BOB, CAROL)
        }
        matching = services.get(MatchingRepo)
        config = await matching.enable(_channel(), "every monday 09:00", now, now)
        pair = NewGroup((people[ALICE], people[BOB]), (), False)
        await matching.create_round(
            config, now, [pair], member_count=2, now=now, ask_at=now, next_run_at=None
        )
        before = await snapshot(bot.app)
        outsider = await click(bot, CAROL, "match.met", "answer=yes&group=1")
        # The same user id from another federation workspace is someone else.
        elsewhere = await _click_from(bot, "T1", ALICE, "match.met", "answer=yes&group=1")
        after = await snapshot(bot.app)
        insider = await click(bot, ALICE, "match.met", "answer=yes&group=1")

    for body in (outsider, elsewhere):
        assert "Cette question ne vous concerne pas" in body["text"], body["text"]
    assert changed(before, after) == []
    assert ":warning:" not in insider["text"]


def _channel():
    from bot.identity import ChannelRef

    return ChannelRef("slack", T, "C0ROUNDS1")


async def _click_from(
    bot: SlackBot, team: str, user: str, action_id: str, value: str
) -> dict[str, Any]:
    fake = bot.http.fake
    assert fake is not None
    url = fake.response_url(team_id=team, kind="actions")
    await bot.http.block_action(
        action_id=action_id, value=value, user_id=user, team_id=team, response_url=url
    )
    [post] = await fake.wait_for_response_url_post(url)
    return post.body


async def test_autocomplete_is_throttled_like_commands(tmp_path: Path) -> None:
    from tests.discord_harness import fake_discord, running_bot

    fake = fake_discord()
    throttle = {
        "throttle": {"enabled": True, "completion_burst": 3, "completion_rate_per_minute": 1}
    }
    async with fake, running_bot(tmp_path, fake, raw=throttle, sync_on_start=True) as (app, _):
        await app.services.agencies.add("Nantes Métropole", "Pays de la Loire", app.clock.now())
        answers = []
        for _ in range(5):
            typing = fake.autocomplete_interaction(
                "agency channel", {"agency": "nan"}, focused="agency"
            )
            await fake.dispatch_interaction(typing)
            answers.append(len((await fake.wait_for_callback(typing))["data"]["choices"]))
    assert answers == [1, 1, 1, 0, 0]


async def test_a_revoked_group_stops_granting_within_the_cache_time(
    tmp_path: Path, fake: FakeSlack
) -> None:
    import asyncio

    group = fake.add_usergroup("equipe-federale", [BOB])
    roles = {"staff": [f"slack:{T}:{group['id']}"]}
    slack = {"group_cache_seconds": 1}
    async with slack_bot(tmp_path, fake, roles=roles, slack=slack) as bot:
        granted = await say(bot, BOB, "/agency", 'add name:"Agence A" region:Bretagne')
        group["users"].remove(BOB)  # an admin removes Bob from the group in Slack
        await asyncio.sleep(1.1)  # the configured cache time (at most 60 s in production)
        revoked = await say(bot, BOB, "/agency", 'add name:"Agence B" region:Bretagne')
    assert granted["text"].startswith('Agency "Agence A" added')
    assert "This command is for federation staff only" in revoked["text"]
