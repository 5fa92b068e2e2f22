"""Text one person writes and others read: an event title, a profile description, a question.
It shows as typed on every platform: no masked link, no formatting, no ping, no reversed text,
no terminal escape, and no digest line one member can put there alone."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from adapters.console.adapter import ConsoleAdapter, ConsoleOptions
from bot.identity import Caller
from commands.faq.store.entries import FaqRepo
from commands.profile.store.profiles import ProfileRepo
from tests.discord_harness import BOB, GENERAL, GUILD, fake_discord, running_bot
from tests.fakes.slack_server import FakeSlack
from tests.security.support import snapshot
from tests.slack_harness import ALICE, STAFF, add_people, slack_bot
from tests.slack_harness import BOB as SLACK_BOB

TRAP = "**URGENT** [cliquez ici](https://evil.example/login) _vite_ @everyone <@&42>\n# Faux titre"


async def test_an_event_title_is_shown_as_typed_on_discord(tmp_path: Path) -> None:
    fake = fake_discord()
    agencies = [
        {
            "name": "Rennes Atalante",
            "region": "Bretagne",
            "channels": [f"discord:{GUILD}:{GENERAL}"],
        }
    ]
    async with fake, running_bot(tmp_path, fake, raw={"agencies": agencies}, sync_on_start=True):
        create = fake.slash_interaction(
            "event create",
            {"title": TRAP.replace("\n", " "), "start": "20 déc. 18h", "agency": "Rennes Atalante"},
            user_id=BOB.id,
        )
        await fake.dispatch_interaction(create)
        await fake.wait_for_callback(create)
        for _ in range(250):  # the announcement follows the deferred answer
            posted = [
                m for m in fake.messages_in(GENERAL)
                if m["embeds"] and m["embeds"][0]["title"].startswith("Nouvel événement")
            ]  # fmt: skip
            if posted:
                break
            await asyncio.sleep(0.02)

    embed = posted[-1]["embeds"][0]
    title = embed["title"]
    assert "\\*\\*URGENT\\*\\*" in title and "\\[cliquez ici\\]" in title
    assert "\\_vite\\_" in title
    assert "@\u200beveryone" in title and "<@\u200b&42>" in title
    assert posted[-1]["mentions"] == [] and posted[-1]["mention_everyone"] is False


async def test_a_description_is_shown_as_typed_on_slack(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        add_people(fake)
        async with slack_bot(tmp_path, fake) as bot:
            text = TRAP.replace("\n", " ").replace('"', "")
            await bot.http.slash_command(
                command="/profile",
                text=f'set description:"{text}" visible:yes interests:tiers-lieux',
                user_id=ALICE,
            )
            shown = await bot.http.slash_command(
                command="/profile", text=f"show user:<@{ALICE}>", user_id=SLACK_BOB
            )
    sections = [
        field["text"]
        for block in shown.body["blocks"]
        for field in [block.get("text") or {}, *(block.get("fields") or [])]
        if field.get("type") == "mrkdwn"
    ]
    described = next(s for s in sections if "URGENT" in s)
    assert "\u200b*URGENT" in described  # a marker that opens nothing
    assert "&lt;@&amp;42&gt;" in described and "@\u200beveryone" in described
    assert "<https://evil.example" not in described  # no masked link


async def test_bidi_overrides_and_controls_never_reach_the_database(app) -> None:
    caller = Caller("slack", "T1", "U0EVE", "Eve")
    place = await _place()
    line = '/profile set description:"facture \u202egnp.exe\u202c \x1b[2J\x07prête" match:yes'
    await app.dispatcher.handle_text(caller, place, line)
    member = await app.services.members.find("slack", "T1", "U0EVE")
    profile = await app.services.get(ProfileRepo).get(member.id)
    assert profile.description == "facture gnp.exe [2Jprête"


async def test_terminal_escapes_are_neutralised_in_the_console(app) -> None:
    caller = Caller("console", "local", "eve", "Eve")
    await app.services.get(ProfileRepo).save(
        (await app.services.members.ensure(caller, app.clock.now())).id,
        _changes("\x1b]0;pwned\x07\x1b[31mrouge\x1b[0m"),
        app.clock.now(),
    )
    out = io.StringIO()
    console = ConsoleAdapter(
        app, ConsoleOptions(user="op"), stdin=io.StringIO("/profile show user:eve\n"), stdout=out
    )
    await console.run()
    printed = out.getvalue()
    assert "\x1b" not in printed and "\x07" not in printed
    assert "rouge" in printed


async def test_one_member_repeating_a_question_does_not_reach_a_digest(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        add_people(fake)
        async with slack_bot(tmp_path, fake) as bot:
            for _ in range(5):
                await bot.http.slash_command(
                    command="/faq", text="ask achetez mes cryptos sur evil.example ?", user_id=ALICE
                )
            await bot.http.slash_command(
                command="/digest",
                text='create schedule:"daily 9h" sections:unanswered skip_empty:no',
                user_id=STAFF,
            )
            await bot.app.services.get(FaqRepo).activity.asks.flush()  # asks are batched
            rows = await snapshot(bot.app)
            preview = await bot.http.slash_command(
                command="/digest", text="preview 1", user_id=STAFF
            )
    assert len(rows["faq_unanswered_askers"]) == 1  # recorded once for that one person
    assert "cryptos" not in str(preview.body)


async def _place():
    from bot.identity import ChannelRef, Place

    return Place(ChannelRef("slack", "T1", "C1"))


def _changes(description: str):
    from commands.profile.store.profiles import ProfileChanges

    return ProfileChanges(description=description, visible=True, opt_in=True)
