"""A person is one subject: one Discord user across servers and DMs, one Slack user across the
workspaces of an Enterprise Grid org, and identities they linked themselves. They touch every
feature, erase everything from a Discord DM, and no column of any table keeps a trace of them:
no id, no name, no hash of either."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.clock import FixedClock
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Reply
from bot.privacy import member_tables
from bot.storage.schema import metadata
from commands.announce.store.announcements import AnnouncementRepo
from commands.announce.store.outbox_rows import SENT
from commands.events.reminders import send_due_reminders
from commands.events.store.events import EventRepo
from commands.match.store.matching import MatchingRepo, NewGroup
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.recording import recorder

ORG = "E0FEDORG"
SLACK_ID = "U0ZEPHYR42"
DISCORD_ID = "555000000000000042"
G1, G2 = "555000000000000001", "555000000000000002"
NAME, OTHER_NAME = "Zéphyrine Quarantedeux", "Zephy"

SLACK_T1 = Caller("slack", "T1", SLACK_ID, NAME, "fr", organisation=ORG)
SLACK_T2 = Caller("slack", "T2", SLACK_ID, NAME, "fr", organisation=ORG)
DISCORD_G1 = Caller("discord", G1, DISCORD_ID, OTHER_NAME, "fr")
DISCORD_G2 = Caller("discord", G2, DISCORD_ID, OTHER_NAME, "en-GB")
DISCORD_DM = Caller("discord", "dm", DISCORD_ID, OTHER_NAME, "fr", home_workspaces=frozenset({G1}))
BOB = Caller("slack", "T1", "U0BOB0001", "Bob", "fr", organisation=ORG)
NEEDLES = (SLACK_ID, DISCORD_ID, NAME, "Quarantedeux", OTHER_NAME)


def _config(tmp_path: Path):
    raw = {
        "federation": {"slack_teams": ["T1", "T2"], "discord_guilds": [G1, G2]},
        "agencies": [
            {
                "name": "Nantes Métropole Développement",
                "region": "Pays de la Loire",
                "moderators": [f"discord:*:{DISCORD_ID}"],
            }
        ],
        "throttle": {"enabled": False},
    }
    return make_config(tmp_path, raw)


async def say(app, caller: Caller, line: str, place: Place | None = None) -> Reply:
    where = place or Place(ChannelRef(caller.platform, caller.workspace, "C0GENERAL"))
    reply = await app.dispatcher.handle_text(caller, where, line)
    assert reply is not None
    return reply


async def click(app, caller: Caller, action: str, value: str) -> Reply:
    where = Place(ChannelRef(caller.platform, caller.workspace, "C0GENERAL"))
    reply = await app.dispatcher.handle_action(caller, where, action, value)
    assert reply is not None
    return reply


async def _a_full_life(app, clock: FixedClock) -> None:
    """Everything the person does, from every identity."""
    sent = recorder(app, platform="slack")
    dms = recorder(app, platform="discord")
    # Linked by the person: a code from Slack, typed and confirmed on Discord.
    code = (await say(app, SLACK_T1, "/profile link")).message.text.split("code:")[1].split()[0]
    linked = await say(app, DISCORD_G1, f"/profile link code:{code} confirm:yes")
    assert "reliés" in linked.message.text, linked.message.text
    # Profile and matching.
    profile = f'/profile set interests:"dirigeables, hackathon" match:yes visible:yes description:"{NAME} lance un fablab"'  # noqa: E501
    assert not (await say(app, SLACK_T1, profile)).is_error
    await say(app, BOB, '/profile set interests:"dirigeables" match:yes')
    found = await say(app, SLACK_T1, "/match find")
    sent.sent.clear()
    to_bob = next(b for b in found.message.buttons if "Bob" in b.label)
    assert not (await click(app, SLACK_T1, to_bob.action, to_bob.value)).is_error
    members = app.services.members
    me, bob = (
        await members.find("slack", "T1", SLACK_ID),
        await members.find("slack", "T1", BOB.user_id),
    )
    matching = app.services.get(MatchingRepo)
    config = await matching.enable(
        ChannelRef("slack", "T1", "C0ROUNDS"), "every monday 09:00", clock.now(), clock.now()
    )  # noqa: E501
    await matching.create_round(
        config,
        clock.now(),
        [NewGroup((me.id, bob.id), ("tiers-lieux",), False)],
        member_count=2,
        now=clock.now(),
        ask_at=clock.now(),
        next_run_at=None,
    )  # noqa: E501
    assert not (await click(app, SLACK_T1, "match.met", "answer=yes&group=1")).is_error
    # Events: an RSVP from one server, a reminder sent to them.
    assert not (await say(app, DISCORD_G1, "/event rsvp 1 going")).is_error
    event = await app.services.get(EventRepo).get(1)
    clock.set(event.starts_at - timedelta(hours=23))
    assert await send_due_reminders(app.services, clock.now()) == 1
    assert [target for target, _ in dms.sent] == [f"@{DISCORD_ID}"]
    # FAQ: a question nobody can answer, and feedback on an entry.
    await say(app, SLACK_T2, "/faq ask quelle est la couleur préférée de Zéphyrine Quarantedeux ?")
    assert not (await say(app, SLACK_T2, "/faq feedback entry:1 helpful:yes")).is_error
    # An announcement acknowledged in an agency's channel.
    repo = app.services.get(AnnouncementRepo)
    ann = (await repo.recent())[0]
    copy = next(
        d
        for d in await repo.outbox.in_states(ann.id, (SENT,))
        if d.agency_name != "Rennes Atalante"
    )  # noqa: E501
    ack = await say(app, DISCORD_G2, f"/announce ack id:{ann.id}", Place(copy.ref))
    assert not ack.is_error, ack.message.text
    # A digest created as the moderator of Nantes, from a DM.
    made = await say(
        app, DISCORD_DM, '/digest create schedule:"daily 9h" channel:console:local:nantes'
    )
    assert not made.is_error, made.message.text


def _hashes(text: str) -> set[str]:
    raw = text.encode()
    return {
        hashlib.sha256(raw).hexdigest(),
        hashlib.md5(raw).hexdigest(),
        hashlib.sha1(raw).hexdigest(),
    }  # noqa: E501


async def _traces(app, member_ids: set[int]) -> list[str]:
    """Every cell that names the person: their member ids in a column pointing at members,
    or, in any column (JSON and text included), their platform ids, names or hashes of them
    (and of their member ids)."""
    needles = {n.casefold() for n in NEEDLES}
    for value in (*NEEDLES, *map(str, member_ids)):
        needles |= _hashes(value)
    needles |= {app.services.signer.tag("member", m) for m in member_ids}
    referencing = {table.name: cols for table, cols in member_tables()}
    found = []
    async with app.db.read() as conn:
        for table in metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                values = row._mapping
                for col in referencing.get(table.name, []):
                    if values[col] in member_ids:
                        found.append(f"{table.name}.{col} = member {values[col]}")
                for col, value in values.items():
                    text = json.dumps(value, default=str) if not isinstance(value, str) else value
                    if any(n in text.casefold() for n in needles):
                        found.append(f"{table.name}.{col}: {text[:80]}")
    return found


async def test_one_person_everywhere_erased_everywhere(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    async with make_app(_config(tmp_path), clock, start_scheduler=False) as app:
        await app.load_demo()
        await _a_full_life(app, clock)
        identities = await app.services.members.subject_of(DISCORD_DM)
        places = sorted((m.platform, m.workspace) for m in identities)
        assert places == [("discord", G1), ("discord", G2), ("slack", "T1"), ("slack", "T2")]
        ids = {m.id for m in identities}
        assert await _traces(app, ids)  # the scan sees them before the erasure

        exported = await say(app, DISCORD_DM, "/profile export")
        (attachment,) = exported.message.attachments
        document: dict[str, Any] = json.loads(attachment.content)
        assert document["schema"] == "fedbot-personal-data" and document["version"] == 1
        assert {i["member"]["workspace"] for i in document["identities"]} == {G1, G2, "T1", "T2"}

        asked = await say(app, DISCORD_DM, "/profile delete")
        assert "4 identités" in asked.message.text
        done = await say(app, DISCORD_DM, "/profile delete confirm:yes")
        assert not done.is_error
        assert await _traces(app, ids) == []
        assert await app.services.members.subject_of(SLACK_T2) == []


async def test_staff_erase_a_person_by_platform_id(tmp_path: Path, capsys) -> None:
    from commands.profile.member_tools import erase_people

    clock = FixedClock(T0)
    async with make_app(_config(tmp_path), clock, start_scheduler=False) as app:
        for caller in (DISCORD_G1, DISCORD_G2):
            await say(app, caller, '/profile set interests:"fablab"')
        await say(app, SLACK_T1, '/profile set interests:"fablab"')
        await say(app, SLACK_T2, '/profile set interests:"fablab"')
        import io

        out = io.StringIO()
        assert (
            await erase_people(
                app.services, [f"discord:{DISCORD_ID}", f"slack:T1:{SLACK_ID}"], False, out
            )
            == 0
        )  # noqa: E501
        assert "discord:555000000000000042: erased 2 identities" in out.getvalue()
        assert "slack:T1:U0ZEPHYR42: erased 2 identities" in out.getvalue()  # T2: the same org
        assert await _traces(app, set()) == []
