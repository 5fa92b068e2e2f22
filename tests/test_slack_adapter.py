"""The Slack adapter end to end: signed requests in, Block Kit out, over loopback.

The real slack-bolt and slack_sdk run against tests.fakes.slack_server; the core is the real
BotApp on a temporary SQLite file. Commands added here are real CommandSpecs going through the
real dispatcher (a slow one, one with buttons).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.context import CommandContext
from bot.identity import Caller, Place
from bot.messages import Button, Message, Reply
from bot.spec import CommandSpec, L10n, OptionSpec, OptionType
from tests.fakes.slack_server import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    DEFAULT_CHANNEL_ID,
    DEFAULT_TEAM_ID,
    FakeSlack,
    block_actions_payload,
    slash_command_payload,
)
from tests.slack_harness import ALICE, BOB, STAFF, add_people, slack_bot


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        add_people(server)
        yield server


def section_texts(body: dict) -> list[str]:
    return [b["text"]["text"] for b in body["blocks"] if b["type"] == "section" and "text" in b]


# ---------------------------------------------------------------- commands and roles


async def test_help_is_answered_in_the_ack_in_the_callers_language(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with slack_bot(tmp_path, fake) as bot:
        fr = await bot.http.slash_command(command="/help", user_id=ALICE)
        en = await bot.http.slash_command(command="/help", user_id=BOB)

    assert (fr.status, en.status) == (200, 200)
    assert fr.body["response_type"] == "ephemeral"
    assert fr.body["blocks"][0]["text"]["text"] == "Commandes de fedbot"
    assert en.body["blocks"][0]["text"]["text"] == "fedbot commands"
    assert "/agency list" in en.body["text"]  # the fallback text for notifications
    assert fake.response_url_posts == []  # the ack carried the whole reply
    lookup = fake.last_call("users.info")
    assert lookup.params["include_locale"] == "1" and lookup.token == DEFAULT_BOT_TOKEN


async def test_a_start_with_the_token_in_the_environment_logs_no_false_warning(
    tmp_path: Path,
    fake: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", DEFAULT_BOT_TOKEN)  # as `fedbot run` is given it
    with caplog.at_level("WARNING"):
        async with slack_bot(tmp_path, fake) as bot:
            assert (await bot.http.slash_command(command="/ping", user_id=ALICE)).status == 200
    # bolt would say the token "will be unused": it is used, through the adapter's client
    assert [r.getMessage() for r in caplog.records if r.name.startswith("slack_bolt")] == []


async def test_agency_commands_by_role_and_visibility(tmp_path: Path, fake: FakeSlack) -> None:
    async with slack_bot(tmp_path, fake) as bot:
        add = 'add name:"Rennes Atalante" region:Bretagne'
        denied = await bot.http.slash_command(command="/agency", text=add, user_id=ALICE)
        added = await bot.http.slash_command(command="/agency", text=add, user_id=STAFF)
        # Slack escapes a #channel typed in a command (should_escape) into <#C…|name>
        link = 'channel agency:"Rennes Atalante" channel:<#C0NANTES1|nantes>'
        linked = await bot.http.slash_command(command="/agency", text=link, user_id=STAFF)
        listed = await bot.http.slash_command(command="/agency", text="list", user_id=BOB)

    assert denied.body["response_type"] == "ephemeral"
    assert section_texts(denied.body) == [
        ":warning: Cette commande est réservée aux membres de l'équipe fédérale. "
        "Demandez à un membre de l'équipe si besoin."
    ]
    assert added.body["response_type"] == "in_channel"  # the core said: not ephemeral
    assert section_texts(added.body) == ["Agence « Rennes Atalante » ajoutée (région Bretagne)."]
    assert section_texts(linked.body) == [
        f"Le salon slack:{DEFAULT_TEAM_ID}:C0NANTES1 est rattaché à « Rennes Atalante »."
    ]
    assert listed.body["response_type"] == "ephemeral"
    assert listed.body["blocks"][0]["text"]["text"] == "1 agency"
    assert section_texts(listed.body) == ["*Bretagne*\nRennes Atalante (1 channel)"]


async def test_roles_granted_to_slack_user_groups(tmp_path: Path, fake: FakeSlack) -> None:
    equipe = fake.add_usergroup("equipe-federale", [BOB])
    bureau = fake.add_usergroup("bureau", [ALICE])
    staff = [f"slack:{DEFAULT_TEAM_ID}:{equipe['id']}", f"slack:{DEFAULT_TEAM_ID}:{bureau['id']}"]
    async with slack_bot(tmp_path, fake, roles={"staff": staff}) as bot:
        replies = {}
        for user in (BOB, ALICE, STAFF):
            text = f'add name:"Agence {user}" region:Bretagne'
            resp = await bot.http.slash_command(command="/agency", text=text, user_id=user)
            replies[user] = resp.body["response_type"]

    # by the groups' ids; Sam is in no group (and no user grant here)
    assert replies == {BOB: "in_channel", ALICE: "in_channel", STAFF: "ephemeral"}
    assert len(fake.calls_to("usergroups.list")) == 1  # cached per workspace
    assert fake.last_call("usergroups.list").params["include_users"] == "1"


async def test_a_parse_error_shows_the_usage_ephemerally(tmp_path: Path, fake: FakeSlack) -> None:
    async with slack_bot(tmp_path, fake) as bot:
        resp = await bot.http.slash_command(
            command="/agency", text='add name:"Rennes Atalante"', user_id=STAFF
        )

    assert resp.body["response_type"] == "ephemeral"
    [text] = section_texts(resp.body)
    assert text == (
        ":warning: Il manque l'option « region ».\n"
        "Usage : /agence ajouter nom:&lt;…&gt; region:&lt;…&gt;"
    )


async def test_umbrella_command_with_prefix_style_and_unknown_commands(
    tmp_path: Path, fake: FakeSlack
) -> None:
    settings = {"commands": "umbrella", "umbrella_command": "fb"}
    async with slack_bot(tmp_path, fake, slack=settings) as bot:
        listed = await bot.http.slash_command(command="/fb", text="agency list", user_id=BOB)
        empty = await bot.http.slash_command(command="/fb", text="", user_id=BOB)
        stranger = await bot.http.slash_command(command="/agency", text="list", user_id=BOB)

    assert listed.body["text"].startswith("No agency registered yet.")
    assert empty.body["blocks"][0]["text"]["text"] == "fedbot commands"  # bare /fb is help
    assert stranger.body == {
        "response_type": "ephemeral",
        "text": "fedbot does not know the command /agency. Type /fb help to see the commands.",
    }


async def test_user_supplied_mentions_never_notify(tmp_path: Path, fake: FakeSlack) -> None:
    # What Slack sends when a user types @channel, @here and @bob in an escaped command, plus
    # a literal <!here> typed as text (Slack turns it into entities) and a bare @everyone.
    name = "<!channel> &lt;!here&gt; @everyone <@U0BOB0001|bob>"
    async with slack_bot(tmp_path, fake) as bot:
        resp = await bot.http.slash_command(
            command="/agency", text=f'add name:"{name}" region:Bretagne', user_id=STAFF
        )

    expected = (
        "Agence « &lt;!channel&gt; &lt;!here&gt; @\u200beveryone &lt;@U0BOB0001|bob&gt; » "
        "ajoutée (région Bretagne)."
    )
    assert section_texts(resp.body) == [expected]
    assert resp.body["text"] == expected
    for text in (resp.body["text"], *section_texts(resp.body)):
        assert "<" not in text and "@everyone" not in text


# ---------------------------------------------------------------- deadlines


async def _slow(ctx: CommandContext) -> Reply:
    await asyncio.sleep(3.2)
    return Reply.text("enfin fini", ephemeral=False)


async def _declared_slow(ctx: CommandContext) -> Reply:
    await asyncio.sleep(0.2)
    return Reply.text("rapport prêt")


SLOW = CommandSpec(("slowpoke",), L10n("Lent", "Slow"), _slow)
DECLARED_SLOW = CommandSpec(("report",), L10n("Rapport", "Report"), _declared_slow, slow=True)


async def test_a_handler_slower_than_three_seconds_is_acked_in_time(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with slack_bot(tmp_path, fake, specs=[SLOW, DECLARED_SLOW]) as bot:
        start = time.monotonic()
        slow = await bot.http.slash_command(command="/slowpoke", user_id=ALICE)
        slow_ack = time.monotonic() - start
        start = time.monotonic()
        declared = await bot.http.slash_command(command="/report", user_id=ALICE)
        declared_ack = time.monotonic() - start
        posts = await fake.wait_for_response_url_post(count=2, timeout=4)

    assert 1.9 <= slow_ack < 3.0  # the deadline (2 s), inside Slack's 3 s
    assert declared_ack < 1.0  # declared slow: acked at once, no waiting
    working = {"response_type": "ephemeral", "text": "⏳ Un instant, je m'en occupe…"}
    assert slow.body == declared.body == working
    by_text = {p.body["text"]: p.body for p in posts}
    assert by_text["rapport prêt"]["response_type"] == "ephemeral"
    assert by_text["enfin fini"]["response_type"] == "in_channel"
    assert by_text["enfin fini"]["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "enfin fini"}}
    ]


async def test_an_expired_response_url_falls_back_to_the_web_api(
    tmp_path: Path, fake: FakeSlack
) -> None:
    expired = f"{fake.base_url}/hooks/commands/{DEFAULT_TEAM_ID}/0/expired"  # the fake: 404
    async with slack_bot(tmp_path, fake, specs=[DECLARED_SLOW]) as bot:
        await bot.http.slash_command(command="/report", user_id=ALICE, response_url=expired)
        [call] = await fake.wait_for_call("chat.postEphemeral")

    assert (call.params["user"], call.params["channel"]) == (ALICE, DEFAULT_CHANNEL_ID)
    assert call.params["text"] == "rapport prêt"  # still only for Alice
    assert call.token == DEFAULT_BOT_TOKEN


# ---------------------------------------------------------------- buttons


async def _two_pings(ctx: CommandContext) -> Reply:
    buttons = (Button("Ping", "ping"), Button("Encore", "ping"), Button("Remplacer", "swap"))
    return Reply(Message(text="Choisissez", buttons=buttons), ephemeral=False)


async def _swap(ctx: CommandContext) -> Reply:
    return Reply(Message(text=f"remplacé ({ctx.options['n']})"), replace_original=True)


BUTTONS = CommandSpec(("buttons",), L10n("Boutons", "Buttons"), _two_pings)
SWAP = CommandSpec(
    ("swap",),
    L10n("Remplace", "Replace"),
    _swap,
    hidden=True,
    # a real option: the click's arguments are validated like typed ones
    options=(OptionSpec("n", OptionType.INTEGER, L10n("n", "n")),),
)


async def test_button_clicks_come_back_to_the_core(tmp_path: Path, fake: FakeSlack) -> None:
    async with slack_bot(tmp_path, fake, specs=[BUTTONS, SWAP]) as bot:
        shown = await bot.http.slash_command(command="/buttons", user_id=ALICE)
        [actions] = [b for b in shown.body["blocks"] if b["type"] == "actions"]
        again = actions["elements"][1]
        clicked = await bot.http.block_action(
            action_id=again["action_id"], value=again["value"], user_id=BOB
        )
        [pong] = await fake.wait_for_response_url_post()
        swapped = await bot.http.block_action(action_id="swap", value="n=7", user_id=ALICE)
        await fake.wait_for_response_url_post(count=2)
        await bot.http.block_action(action_id="gone.away", value="", user_id=ALICE)
        await fake.wait_for_response_url_post(count=3)

    assert [e["action_id"] for e in actions["elements"]] == ["ping", "ping#2", "swap"]
    assert (clicked.status, clicked.text) == (200, "")  # a click's ack carries nothing
    assert swapped.status == 200
    assert pong.body["text"].startswith("Pong! fedbot is running (slack,")  # Bob reads English
    assert pong.body["replace_original"] is False
    swap_post, stale_post = fake.response_url_posts[1:]
    assert swap_post.body["replace_original"] is True
    assert swap_post.body["text"] == "remplacé (7)"
    assert (
        stale_post.body["text"] == ":warning: Ce bouton n'est plus valable. Relancez la commande."
    )


# ---------------------------------------------------------------- signatures


async def test_bad_signatures_and_replayed_requests_are_refused(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with slack_bot(tmp_path, fake) as bot:
        forged = await bot.http.slash_command(command="/help", bad_signature=True)
        replayed = await bot.http.slash_command(command="/help", stale=True)
        forged_click = await bot.http.block_action(action_id="ping", bad_signature=True)

    assert (forged.status, replayed.status, forged_click.status) == (401, 401, 401)
    # Only the start-up check of whose token it is: nothing reached the core (no users.info).
    assert [c.method for c in fake.calls] == ["auth.test"]


# ---------------------------------------------------------------- Events API


async def test_a_redelivered_event_is_processed_once(tmp_path: Path, fake: FakeSlack) -> None:
    seen: list[tuple[Caller, Place, str]] = []

    async def on_message(caller: Caller, place: Place, text: str) -> Reply | None:
        seen.append((caller, place, text))
        return Reply.text("Voir la FAQ", ephemeral=False)

    event = {
        "type": "message",
        "channel": DEFAULT_CHANNEL_ID,
        "user": ALICE,
        "text": "comment adh&eacute;rer &lt;vite&gt; ?",
        "ts": "1764147600.000100",
    }
    async with slack_bot(tmp_path, fake) as bot:
        bot.adapter.on_message = on_message
        first = await bot.http.event(event=event, event_id="Ev0001")
        await fake.wait_for_call("chat.postMessage")
        again = await bot.http.event(event=event, event_id="Ev0001", retry_num=1)
        await asyncio.sleep(0.1)

    assert (first.status, again.status) == (200, 200)
    [(caller, place, text)] = seen
    assert (caller.user_id, caller.locale, caller.display_name) == (ALICE, "fr", "Alice")
    assert text == "comment adh&eacute;rer <vite> ?"
    assert place.thread_id == "1764147600.000100"
    [posted] = fake.calls_to("chat.postMessage")
    assert posted.params["thread_ts"] == "1764147600.000100"


# ---------------------------------------------------------------- Socket Mode


async def test_socket_mode_reaches_the_same_handlers(tmp_path: Path, fake: FakeSlack) -> None:
    settings = {"mode": "socket"}
    env = {"SLACK_APP_TOKEN": DEFAULT_APP_TOKEN, "SLACK_SIGNING_SECRET": ""}
    async with slack_bot(tmp_path, fake, slack=settings, env=env) as bot:
        await fake.socket_wait_connected()
        command = slash_command_payload(
            command="/agency", text="list", user_id=BOB, response_url=fake.response_url()
        )
        ack = await fake.socket_request("slash_commands", command)
        click = block_actions_payload(
            action_id="ping", value="", user_id=ALICE, response_url=fake.response_url()
        )
        click_ack = await fake.socket_request("interactive", click)
        [pong] = await fake.wait_for_response_url_post()
        assert bot.app.web.port is None  # no HTTP server in Socket Mode without OAuth

    assert ack.payload is not None and ack.payload["response_type"] == "ephemeral"
    assert ack.payload["text"].startswith("No agency registered yet.")
    assert click_ack.payload is None
    assert pong.body["text"].startswith("Pong ! fedbot fonctionne (slack,")
    assert fake.last_call("apps.connections.open").token == DEFAULT_APP_TOKEN
