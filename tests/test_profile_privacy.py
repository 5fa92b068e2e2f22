"""GDPR: `profile export` holds everything, `profile delete` leaves no trace in any table,
`profile purge` (admins) and `fedbot members purge` erase members who left."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import String, Text, select

from bot.app import BotApp
from bot.clock import FixedClock
from bot.privacy import member_tables
from bot.spec import Role
from bot.storage.schema import metadata
from commands.match.round_runner import run_due
from fedbot.assembly import make_app
from fedbot.cli import main
from tests.conftest import make_config
from tests.match_support import click, member_id, profile, recorder, setup_agencies, type_in

USER = "zephyrine-42"  # distinctive: found nowhere once erased
NAME = USER.title()  # the display name the test callers get


async def _history(app: BotApp, clock: FixedClock) -> None:
    """Zephyrine with a profile, an introduction, a round with an answer and an RSVP."""
    sent = recorder(app)
    await setup_agencies(app)
    await profile(app, USER, "tiers-lieux, hackathon", agency="rennes", visible=True)
    await profile(app, "bob", "tiers-lieux, hackathon")
    await profile(app, "carol", "hackathon", agency="lyon")
    button = (await type_in(app, "/match find", user=USER)).message.buttons[0]
    assert not (await click(app, button, user=USER)).is_error
    await type_in(app, '/match rounds enable schedule:"every monday 9am"', role=Role.STAFF)
    clock.set(clock.now() + timedelta(days=4))
    await run_due(app.services, clock.now())
    clock.set(clock.now() + timedelta(days=6))
    await run_due(app.services, clock.now())
    question = sent.to(f"@{USER}")[-1]
    assert question.title == "Alors, cette rencontre ?"
    await click(app, question.buttons[0], user=USER)
    event = await type_in(
        app, '/event create "Forum des tiers-lieux" "20 déc. 18h"', role=Role.STAFF
    )
    assert not event.is_error, event.message.text
    await type_in(app, "/event rsvp 1 going", user=USER)
    await type_in(app, "/match snooze weeks:2", user=USER)


async def test_export_holds_everything_about_the_member(app: BotApp, clock: FixedClock) -> None:
    await _history(app, clock)
    reply = await type_in(app, "/profile export", user=USER)
    (attachment,) = reply.message.attachments
    assert attachment.filename == "fedbot-data.json" and attachment.mime == "application/json"
    document = json.loads(attachment.content)
    assert (document["schema"], document["version"]) == ("fedbot-personal-data", 1)
    (data,) = document["identities"]  # one identity: the console user
    assert data["member"]["user_id"] == USER
    assert data["profile"]["agency"] == "Rennes Atalante"
    assert [i["tag"] for i in data["profile"]["interests"]] == ["hackathon", "tiers-lieux"]
    assert data["profile"]["match_opt_in"] is True
    assert data["profile"]["rounds_snoozed_until"] is not None
    sources = sorted(i["source"] for i in data["match"]["introductions"])
    assert "match" in sources and "round" in sources
    (first_round,) = data["match"]["rounds"]
    assert first_round["answer"] == "yes" and first_round["with"]
    # Tables other features own are in the export too, registered or not.
    sections = json.dumps({k: v for k, v in data.items() if k not in ("member", "profile")})
    assert "event_rsvps" in sections or "rsvp" in sections
    nothing = await type_in(app, "/profile export", user="stranger")
    assert nothing.message.text == "fedbot ne détient aucune donnée sur vous."


async def _traces(app: BotApp, member: int, *needles: str) -> list[str]:
    """Every place in the database that still names the member: a column referencing
    members.id holding their id, or any text column containing their user id or name."""
    found = []
    referencing = {table.name: cols for table, cols in member_tables()}
    async with app.services.db.read() as conn:
        for table in metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                values = row._mapping
                for col in referencing.get(table.name, []):
                    if values[col] == member:
                        found.append(f"{table.name}.{col}")
                for col in table.columns:
                    text = values[col.name]
                    if isinstance(col.type, String | Text) and isinstance(text, str):
                        found += [f"{table.name}.{col.name}" for n in needles if n in text]
    return found


async def test_delete_asks_first_then_leaves_no_trace_in_any_table(
    app: BotApp, clock: FixedClock
) -> None:
    await _history(app, clock)
    zephyrine = await member_id(app, USER)
    assert await _traces(app, zephyrine, USER, NAME)  # the check does find them
    ask = await type_in(app, "/profile delete", user=USER)
    assert ask.message.text.startswith("Effacer toutes vos données ?")
    assert await _traces(app, zephyrine, USER, NAME)  # nothing erased before confirming
    done = await click(app, ask.message.buttons[0], user=USER)
    assert done.message.text == "C'est fait : toutes vos données sont effacées."
    assert await _traces(app, zephyrine, USER, NAME) == []
    # Others keep their data, and nobody is ever suggested the erased member.
    assert (await type_in(app, "/profile show", user="bob")).message.title == "Votre profil"
    reply = await type_in(app, "/match find again:yes", user="bob")
    assert [f.name for f in reply.message.fields] == ["Carol"]
    stats = await type_in(app, "/match stats", role=Role.MODERATOR)
    assert {f.name: f.value for f in stats.message.fields}["Tours"] == "1"  # kept


async def test_an_admin_purges_a_member_who_left(app: BotApp, clock: FixedClock) -> None:
    await _history(app, clock)
    zephyrine = await member_id(app, USER)
    refused = await type_in(app, f"/profile purge user:{USER}", role=Role.STAFF)
    assert refused.is_error
    ask = await type_in(app, f"/profile purge user:{USER}", role=Role.ADMIN)
    assert ask.message.text.startswith(f"Effacer toutes les données de {NAME} ({USER}) ?")
    done = await click(app, ask.message.buttons[0], user="admin", role=Role.ADMIN)
    assert done.message.text == f"Toutes les données de {NAME} sont effacées."
    assert await _traces(app, zephyrine, USER, NAME) == []
    unknown = await type_in(app, f"/profile purge user:{USER}", role=Role.ADMIN)
    assert unknown.is_error


def test_fedbot_members_purge_erases_the_listed_members(
    tmp_path: Path, capsys, clock: FixedClock
) -> None:
    import asyncio

    async def setup() -> None:
        async with make_app(make_config(tmp_path), clock=clock, start_scheduler=False) as app:
            await profile(app, "bob", "hackathon")
            await profile(app, "carol", "hackathon")

    asyncio.run(setup())
    listing = tmp_path / "left.csv"
    listing.write_text("platform,user_id\nconsole,bob\nconsole,nobody\nirc,x\n", "utf-8")
    db = f"sqlite+aiosqlite:///{tmp_path / 'fedbot.db'}"
    assert main(["members", "purge", str(listing), "--db", db, "--dry-run"]) == 1
    assert "1 member(s) would be erased (--dry-run)" in capsys.readouterr().out
    assert main(["members", "purge", str(listing), "--db", db]) == 1
    out = capsys.readouterr().out
    assert "line 4: unknown platform 'irc'" in out
    assert "1 member(s) erased, 1 unknown, 1 rejected" in out

    async def check() -> None:
        async with make_app(make_config(tmp_path), clock=clock, start_scheduler=False) as app:
            assert await app.services.members.find("console", "local", "bob") is None
            assert await app.services.members.find("console", "local", "carol") is not None

    asyncio.run(check())
