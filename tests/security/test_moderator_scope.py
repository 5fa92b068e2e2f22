"""A moderator of one agency acting on another's: its events, its channels' digests, rounds and
FAQ passive mode. Rights follow the object acted on, never the channel typed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from commands.events.store.events import EventRepo
from tests.fakes.slack_server import DEFAULT_TEAM_ID, FakeSlack
from tests.security.support import changed, snapshot
from tests.slack_harness import STAFF, SlackBot, add_people, slack_bot

T = DEFAULT_TEAM_ID
NICO, RITA = "U0NICO001", "U0RITA001"  # moderators of Nantes, of Rennes
NANTES_CH, RENNES_CH = "C0NANTES1", "C0RENNES1"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        add_people(server)
        for user in (NICO, RITA):
            server.add_user(user, locale="fr-FR")
        server.add_usergroup("moderation-nantes", [NICO], usergroup_id="S0NANTES1")
        server.add_usergroup("moderation-rennes", [RITA], usergroup_id="S0RENNES1")
        yield server


AGENCIES = [
    {
        "name": "Nantes Métropole Développement",
        "region": "Pays de la Loire",
        "channels": [f"slack:{T}:{NANTES_CH}"],
        "moderators": [f"slack:{T}:S0NANTES1"],
    },
    {
        "name": "Rennes Atalante",
        "region": "Bretagne",
        "channels": [f"slack:{T}:{RENNES_CH}"],
        "moderators": [f"slack:{T}:S0RENNES1"],
    },
]


async def say(bot: SlackBot, user: str, channel: str, command: str, text: str) -> str:
    """The answer the user reads: in the ack, or through response_url for slow commands."""
    fake = bot.http.fake
    assert fake is not None
    url = fake.response_url(team_id=T)
    response = await bot.http.slash_command(
        command=command, text=text, user_id=user, channel_id=channel, response_url=url
    )
    assert response.status == 200
    if response.body["text"].startswith("⏳"):
        [post] = await fake.wait_for_response_url_post(url)
        return post.body["text"]
    return response.body["text"]


async def test_a_moderator_cannot_touch_another_agencys_things(
    tmp_path: Path, fake: FakeSlack
) -> None:
    roles = {"staff": [f"slack:{T}:{STAFF}"]}
    async with slack_bot(tmp_path, fake, roles=roles, extra={"agencies": AGENCIES}) as bot:
        created = await say(bot, NICO, "C0GENERAL", "/event", 'create "Atelier" "20 déc. 18h"')
        assert "créé" in created, created  # the only agency Nico moderates
        digest = await say(bot, NICO, NANTES_CH, "/digest", 'create schedule:"daily 9h"')
        assert "n°1" in digest or "N°1" in digest, digest
        before = await snapshot(bot.app)
        attempts = {
            "edit": await say(bot, RITA, NANTES_CH, "/event", "edit 1 title:Piraté"),
            "cancel": await say(bot, RITA, NANTES_CH, "/event", "cancel 1"),
            "attendees": await say(bot, RITA, NANTES_CH, "/event", "attendees 1"),
            "for Nantes": await say(
                bot,
                RITA,
                NANTES_CH,
                "/event",
                'create "Faux" "21 déc. 18h" agency:"Nantes Métropole Développement"',
            ),  # fmt: skip
            "digest here": await say(bot, RITA, NANTES_CH, "/digest", 'create schedule:"daily 9h"'),
            "digest run": await say(bot, RITA, RENNES_CH, "/digest", "run 1"),
            "digest delete": await say(bot, RITA, RENNES_CH, "/digest", "delete 1"),
            "passive": await say(bot, RITA, NANTES_CH, "/faq", "passive on"),
            "rounds": await say(bot, RITA, NANTES_CH, "/match", "rounds enable"),
            "faq add": await say(bot, RITA, RENNES_CH, "/faq", 'add "Q ?" "R."'),
            "announce": await say(bot, RITA, RENNES_CH, "/announce", 'send text:"x" to:all'),
        }
        after = await snapshot(bot.app)
        # Typed in Nantes' channel, Rita still organises for Rennes, the agency she moderates.
        own = await say(bot, RITA, NANTES_CH, "/event", 'create "Atelier rennais" "22 déc. 18h"')
        event = await bot.app.services.get(EventRepo).get(2)

    assert changed(before, after) == []
    for what, text in attempts.items():
        assert text.startswith(":warning:"), (what, text)
    assert "Seuls les organisateurs" in attempts["edit"]
    assert "Vous ne modérez pas l'agence « Nantes" in attempts["for Nantes"]
    assert "que vous ne modérez pas" in attempts["digest here"]
    assert "n°1 appartient" in attempts["digest run"]
    assert "que vous ne modérez pas" in attempts["passive"]
    assert "que vous ne modérez pas" in attempts["rounds"]
    assert "réservée aux éditeurs de la FAQ" in attempts["faq add"]
    assert "réservée aux membres de l'équipe fédérale" in attempts["announce"]
    assert "créé" in own
    assert event is not None and event.fields.agency_id == 2  # Rennes, the second agency
