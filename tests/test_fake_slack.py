"""Over-the-wire tests: the real slack-bolt/slack_sdk against tests.fakes.slack_server.

These prove that the fake speaks the protocol the real libraries expect, so
the Slack adapter can be tested end to end on loopback without mocks (and
without ever touching the internet).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_server import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    DEFAULT_BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_SIGNING_SECRET,
    DEFAULT_TEAM_ID,
    DEFAULT_USER_ID,
    FakeSlack,
    SlackRequestSender,
    block_actions_payload,
    event_callback_payload,
    slash_command_payload,
)

# ---------------------------------------------------------------- fixtures


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        server.add_user(DEFAULT_USER_ID, name="alice", display_name="Alice", locale="fr-FR")
        yield server


def web_client(fake: FakeSlack, token: str | None = DEFAULT_BOT_TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=fake.api_url)


@contextlib.asynccontextmanager
async def serve_bolt(app: AsyncApp, path: str = "/slack/events") -> AsyncIterator[str]:
    """Serve ``app.web_app()`` (bolt's aiohttp adapter) on 127.0.0.1; yield its base URL."""
    runner = web.AppRunner(app.web_app(path=path), access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    await web.SockSite(runner, sock).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class Recorder:
    """Collects what listeners saw; ``done`` fires when a listener finished."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.done = asyncio.Event()


def build_app(
    fake: FakeSlack, recorder: Recorder, *, process_before_response: bool = False
) -> AsyncApp:
    """A bolt app the way the adapter builds one: client pointed at the fake."""
    app = AsyncApp(
        client=web_client(fake),
        signing_secret=DEFAULT_SIGNING_SECRET,
        process_before_response=process_before_response,
    )

    @app.command("/fedbot")
    async def on_command(ack: Any, respond: Any, client: AsyncWebClient, command: dict) -> None:
        await ack(text="working on it")
        await respond(text=f"echo: {command['text']}", response_type="ephemeral")
        await client.chat_postMessage(channel=command["channel_id"], text="public answer")
        recorder.seen.append(command)
        recorder.done.set()

    @app.action("faq_vote")
    async def on_vote(ack: Any, body: dict, action: dict, respond: Any) -> None:
        await ack()
        await respond(text=f"voted {action['value']}", replace_original=False)
        recorder.seen.append(body)
        recorder.done.set()

    @app.event("app_mention")
    async def on_mention(event: dict, request: Any) -> None:
        recorder.seen.append({"event": event, "retry": request.headers.get("x-slack-retry-num")})
        recorder.done.set()

    return app


# ---------------------------------------------------------------- HTTP mode


@pytest.mark.asyncio
async def test_signed_slash_command_reaches_listener(fake: FakeSlack) -> None:
    recorder = Recorder()
    async with serve_bolt(build_app(fake, recorder)) as url:
        sender = SlackRequestSender(url, DEFAULT_SIGNING_SECRET, fake=fake)
        response_url = fake.response_url()
        resp = await sender.slash_command(text="faq ask hello", response_url=response_url)
        await asyncio.wait_for(recorder.done.wait(), 2)

    assert resp.status == 200
    # ack(text=...) alone is sent as a text/plain body in HTTP mode (JSON in Socket Mode)
    assert resp.body == "working on it"
    assert recorder.seen[0]["text"] == "faq ask hello"
    [post] = fake.posts_to(response_url)
    assert post.body == {"text": "echo: faq ask hello", "response_type": "ephemeral"}
    call = fake.last_call("chat.postMessage")
    assert call.token == DEFAULT_BOT_TOKEN
    assert call.params["channel"] == DEFAULT_CHANNEL_ID
    assert call.response is not None and call.response["message"]["user"] == DEFAULT_BOT_USER_ID
    # single-team authorization ran auth.test once to learn the bot identity
    assert [c.method for c in fake.calls].count("auth.test") == 1


@pytest.mark.asyncio
async def test_bad_signature_and_stale_timestamp_are_rejected(fake: FakeSlack) -> None:
    recorder = Recorder()
    async with serve_bolt(build_app(fake, recorder)) as url:
        sender = SlackRequestSender(url, DEFAULT_SIGNING_SECRET, fake=fake)
        bad = await sender.slash_command(text="x", bad_signature=True)
        stale = await sender.slash_command(text="x", stale=True)
        stale_event = await sender.event(event={"type": "app_mention"}, stale=True)

    assert (bad.status, stale.status, stale_event.status) == (401, 401, 401)
    assert bad.body == {"error": "invalid request"}
    assert recorder.seen == []
    assert fake.calls == []  # rejected before authorization (no auth.test)


@pytest.mark.asyncio
async def test_block_action_reaches_listener(fake: FakeSlack) -> None:
    recorder = Recorder()
    async with serve_bolt(build_app(fake, recorder)) as url:
        sender = SlackRequestSender(url, DEFAULT_SIGNING_SECRET, fake=fake)
        resp = await sender.block_action(
            action_id="faq_vote", value="up", message_ts="1700000000.000100"
        )
        await asyncio.wait_for(recorder.done.wait(), 2)
        [post] = await fake.wait_for_response_url_post()

    assert resp.status == 200
    body = recorder.seen[0]
    assert body["type"] == "block_actions"
    assert body["user"] == {
        "id": DEFAULT_USER_ID,
        "username": "alice",
        "name": "alice",
        "team_id": DEFAULT_TEAM_ID,
    }
    assert body["container"]["message_ts"] == "1700000000.000100"
    assert post.url.startswith(f"{fake.base_url}/hooks/actions/")
    assert post.body["text"] == "voted up"


@pytest.mark.asyncio
async def test_events_url_verification_and_retry_headers(fake: FakeSlack) -> None:
    recorder = Recorder()
    async with serve_bolt(build_app(fake, recorder)) as url:
        sender = SlackRequestSender(url, DEFAULT_SIGNING_SECRET, fake=fake)
        check = await sender.url_verification("challenge-123")
        mention = {"type": "app_mention", "user": DEFAULT_USER_ID, "text": "<@U0FEDBOT1> hi"}
        resp = await sender.event(event=mention, event_id="Ev1", retry_num=1)
        await asyncio.wait_for(recorder.done.wait(), 2)

    assert check.status == 200 and check.body == {"challenge": "challenge-123"}
    assert resp.status == 200  # events are auto-acked before the listener runs
    assert recorder.seen[0]["event"]["text"] == "<@U0FEDBOT1> hi"
    assert recorder.seen[0]["retry"] == ["1"]  # bolt keeps headers as lists


@pytest.mark.asyncio
async def test_process_before_response_finishes_listener_before_http_reply(
    fake: FakeSlack,
) -> None:
    recorder = Recorder()
    app = build_app(fake, recorder, process_before_response=True)
    async with serve_bolt(app) as url:
        sender = SlackRequestSender(url, DEFAULT_SIGNING_SECRET, fake=fake)
        resp = await sender.slash_command(text="sync")
        # no waiting: the HTTP reply only came after the whole listener ran
        assert len(fake.calls_to("chat.postMessage")) == 1
        assert len(fake.response_url_posts) == 1
    assert resp.body == "working on it"


@pytest.mark.asyncio
async def test_multi_workspace_authorize_picks_token_per_team() -> None:
    tokens = {"T1": "xoxb-team-1", "T2": "xoxb-team-2"}
    workspaces = {tok: {"team_id": team} for team, tok in tokens.items()}
    async with FakeSlack(workspaces=workspaces) as fake:

        async def authorize(team_id: str, client: AsyncWebClient) -> AuthorizeResult:
            token = tokens[team_id]
            auth = await client.auth_test(token=token)
            return AuthorizeResult.from_auth_test_response(bot_token=token, auth_test_response=auth)

        app = AsyncApp(
            client=web_client(fake, token=None),
            signing_secret=DEFAULT_SIGNING_SECRET,
            authorize=authorize,
            process_before_response=True,
        )

        @app.command("/fedbot")
        async def on_command(ack: Any, client: AsyncWebClient, context: Any) -> None:
            await ack()
            await client.chat_postMessage(channel="C2", text=f"bot {context.bot_user_id}")

        async with serve_bolt(app) as url:
            sender = SlackRequestSender(url, DEFAULT_SIGNING_SECRET, fake=fake)
            resp = await sender.slash_command(team_id="T2", text="hi")

    assert resp.status == 200
    assert fake.last_call("auth.test").token == "xoxb-team-2"
    post = fake.last_call("chat.postMessage")
    assert post.token == "xoxb-team-2"
    assert post.params["text"] == f"bot {fake.workspaces['xoxb-team-2'].user_id}"


# ---------------------------------------------------------------- Web API


@pytest.mark.asyncio
async def test_users_info_with_locale(fake: FakeSlack) -> None:
    client = web_client(fake)
    with_locale = await client.users_info(user=DEFAULT_USER_ID, include_locale=True)
    without = await client.users_info(user=DEFAULT_USER_ID)
    bot = await client.users_info(user=DEFAULT_BOT_USER_ID)
    with pytest.raises(SlackApiError) as missing:
        await client.users_info(user="U0NOBODY")

    assert with_locale["user"]["locale"] == "fr-FR"
    assert with_locale["user"]["profile"]["display_name"] == "Alice"
    assert with_locale["user"]["is_bot"] is False
    assert "locale" not in without["user"]
    assert bot["user"]["is_bot"] is True
    assert missing.value.response["error"] == "user_not_found"
    assert fake.calls_to("users.info")[0].params["include_locale"] == "1"  # bool -> "1"


@pytest.mark.asyncio
async def test_rate_limit_is_served_with_two_digit_retry_after(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=30)
    client = web_client(fake)
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel="C1", text="hi")
    ok = await client.chat_postMessage(channel="C1", text="hi again")

    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "30"
    assert limited.value.response["error"] == "ratelimited"
    assert ok["ok"] is True
    first, second = fake.calls_to("chat.postMessage")
    assert (first.status, first.injected, second.status) == (429, True, 200)

    # Same thing on the raw wire, without slack_sdk in between.
    fake.fail_next("users.info", status=429, retry_after=45)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            fake.api_url + "users.info",
            data={"user": DEFAULT_USER_ID},
            headers={"Authorization": f"Bearer {DEFAULT_BOT_TOKEN}"},
        ) as raw,
    ):
        assert raw.status == 429
        assert raw.headers["Retry-After"] == "45"
        assert await raw.json() == {"ok": False, "error": "ratelimited"}


@pytest.mark.asyncio
async def test_server_errors_and_per_channel_errors(fake: FakeSlack) -> None:
    client = web_client(fake)
    fake.fail_next("chat.postMessage", status=503)
    fake.channel_errors["C404"] = "channel_not_found"
    fake.add_channel("CPRIV", is_private=True, is_member=False)

    errors = []
    for channel in ("C1", "C404", "CPRIV"):
        with pytest.raises(SlackApiError) as exc:
            await client.chat_postMessage(channel=channel, text="x")
        errors.append((exc.value.response.status_code, exc.value.response.get("error")))

    assert errors == [(503, None), (200, "channel_not_found"), (200, "not_in_channel")]


@pytest.mark.asyncio
async def test_auth_test_per_token_and_revocation() -> None:
    workspaces = {"xoxb-a": {"team_id": "TA"}, "xoxb-b": {"team_id": "TB", "app_id": "A2"}}
    async with FakeSlack(workspaces=workspaces) as fake:
        a = await web_client(fake, "xoxb-a").auth_test()
        b = await web_client(fake, "xoxb-b").auth_test()
        revoked = await web_client(fake, "xoxb-b").auth_revoke()
        errors = []
        for token in ("xoxb-b", "xoxb-unknown", DEFAULT_APP_TOKEN):
            with pytest.raises(SlackApiError) as exc:
                await web_client(fake, token).auth_test()
            errors.append(exc.value.response["error"])

    assert (a["team_id"], a["user_id"], a["bot_id"]) == ("TA", "UBOTA", "BBOTA")
    assert (b["team_id"], b["app_id"]) == ("TB", "A2")
    assert a.headers["x-oauth-scopes"]  # bolt reads bot scopes from this header
    assert revoked["revoked"] is True
    assert errors == ["token_revoked", "invalid_auth", "not_allowed_token_type"]


@pytest.mark.asyncio
async def test_messages_update_delete_permalink_ephemeral(fake: FakeSlack) -> None:
    client = web_client(fake)
    posted = await client.chat_postMessage(channel="C1", text="v1", blocks=[{"type": "divider"}])
    ts = posted["ts"]
    updated = await client.chat_update(channel="C1", ts=ts, text="v2")
    link = await client.chat_getPermalink(channel="C1", message_ts=ts)
    eph = await client.chat_postEphemeral(channel="C1", user=DEFAULT_USER_ID, text="psst")
    await client.chat_delete(channel="C1", ts=ts)
    with pytest.raises(SlackApiError) as gone:
        await client.chat_update(channel="C1", ts=ts, text="v3")

    assert posted["message"]["blocks"] == [{"type": "divider"}]
    assert updated["message"]["text"] == "v2"
    assert link["permalink"] == f"https://t0fake001.slack.com/archives/C1/p{ts.replace('.', '')}"
    assert eph["message_ts"]
    assert gone.value.response["error"] == "message_not_found"
    assert fake.messages_in("C1") == []


@pytest.mark.asyncio
async def test_conversations_and_usergroups(fake: FakeSlack) -> None:
    fake.add_user("U0BOB0001", name="bob")
    fake.add_user("U0CAROL01", name="carol")
    group = fake.add_usergroup("staff", ["U0BOB0001", "U0CAROL01"])
    client = web_client(fake)

    dm = await client.conversations_open(users=DEFAULT_USER_ID)
    again = await client.conversations_open(users=[DEFAULT_USER_ID])
    mpim = await client.conversations_open(users=[DEFAULT_USER_ID, "U0BOB0001"])
    info = await client.conversations_info(channel=mpim["channel"]["id"])
    page1 = await client.conversations_members(channel=mpim["channel"]["id"], limit=2)
    cursor = page1["response_metadata"]["next_cursor"]
    page2 = await client.conversations_members(channel=mpim["channel"]["id"], cursor=cursor)
    groups = await client.usergroups_list(include_users=True)
    members = await client.usergroups_users_list(usergroup=group["id"])

    assert dm["channel"]["id"].startswith("D")
    assert again["channel"]["id"] == dm["channel"]["id"] and again["already_open"] is True
    assert mpim["channel"]["id"].startswith("G")
    assert info["channel"]["is_mpim"] is True
    assert page1["members"] + page2["members"] == sorted(
        [DEFAULT_USER_ID, "U0BOB0001", DEFAULT_BOT_USER_ID]
    )
    assert page2["response_metadata"]["next_cursor"] == ""
    assert groups["usergroups"][0]["handle"] == "staff"
    assert members["users"] == ["U0BOB0001", "U0CAROL01"]


@pytest.mark.asyncio
async def test_files_upload_v2_ics(fake: FakeSlack) -> None:
    ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    result = await web_client(fake).files_upload_v2(
        channel="C1", filename="meetup.ics", content=ics, title="Meetup", initial_comment="see"
    )

    file_id = result["file"]["id"]
    assert result["file"]["mimetype"] == "text/calendar"
    assert result["file"]["title"] == "Meetup"
    assert fake.uploaded_files[file_id]["content"] == ics.encode()
    assert fake.uploaded_files[file_id]["channels"] == ["C1"]
    complete = fake.last_call("files.completeUploadExternal")
    assert complete.params["files"] == [{"id": file_id, "title": "Meetup"}]


@pytest.mark.asyncio
# slack_sdk 3.48 itself builds aiohttp.BasicAuth for oauth.v2.access (deprecated in aiohttp 3.14)
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_oauth_code_exchange_and_uninstall(fake: FakeSlack) -> None:
    fake.add_oauth_code("code-1", token="xoxb-new-team", team_id="TNEW", team_name="New")
    client = web_client(fake, token=None)
    installed = await client.oauth_v2_access(
        client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, code="code-1"
    )
    with pytest.raises(SlackApiError) as reused:
        await client.oauth_v2_access(
            client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, code="code-1"
        )
    new_client = web_client(fake, installed["access_token"])
    assert (await new_client.auth_test())["team_id"] == "TNEW"
    await new_client.apps_uninstall(
        client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET
    )
    with pytest.raises(SlackApiError) as after:
        await new_client.auth_test()

    assert installed["team"] == {"id": "TNEW", "name": "New"}
    assert installed["enterprise"] is None
    assert installed["authed_user"] == {"id": DEFAULT_USER_ID}
    assert "incoming_webhook" not in installed
    assert installed["bot_user_id"] == fake.workspaces["xoxb-new-team"].user_id
    assert reused.value.response["error"] == "invalid_code"
    assert after.value.response["error"] == "token_revoked"


# ---------------------------------------------------------------- Socket Mode


@contextlib.asynccontextmanager
async def socket_mode(app: AsyncApp, fake: FakeSlack) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect a real AsyncSocketModeHandler; always close it before the fake goes."""
    handler = AsyncSocketModeHandler(app, DEFAULT_APP_TOKEN)
    await handler.connect_async()
    try:
        await fake.socket_wait_connected()
        yield handler
    finally:
        await handler.close_async()


@pytest.mark.asyncio
async def test_socket_mode_slash_command_is_handled_and_acked(fake: FakeSlack) -> None:
    recorder = Recorder()
    app = build_app(fake, recorder)
    async with socket_mode(app, fake):
        response_url = fake.response_url()
        payload = slash_command_payload(text="faq ask socket", response_url=response_url)
        envelope_id = await fake.socket_send("slash_commands", payload)
        ack = await fake.socket_wait_ack(envelope_id, timeout=2)
        await asyncio.wait_for(recorder.done.wait(), 2)

    assert ack.payload == {"text": "working on it"}
    assert recorder.seen[0]["text"] == "faq ask socket"
    assert fake.posts_to(response_url)[0].body["text"] == "echo: faq ask socket"
    assert fake.last_call("chat.postMessage").params["text"] == "public answer"
    # the handler used app.client (base_url = the fake) for apps.connections.open
    assert fake.last_call("apps.connections.open").token == DEFAULT_APP_TOKEN


@pytest.mark.asyncio
async def test_socket_mode_interactive_and_events(fake: FakeSlack) -> None:
    recorder = Recorder()
    app = build_app(fake, recorder)
    async with socket_mode(app, fake):
        vote = block_actions_payload(
            action_id="faq_vote", value="down", response_url=fake.response_url()
        )
        action_ack = await fake.socket_request("interactive", vote)
        await asyncio.wait_for(recorder.done.wait(), 2)
        recorder.done.clear()
        event = {"type": "app_mention", "user": DEFAULT_USER_ID, "text": "hey"}
        event_id = await fake.socket_send(
            "events_api",
            event_callback_payload(event=event),
            retry_attempt=2,
            retry_reason="timeout",
        )
        event_ack = await fake.socket_wait_ack(event_id)
        await asyncio.wait_for(recorder.done.wait(), 2)

    assert action_ack.payload is None  # empty ack() -> envelope_id only
    assert recorder.seen[0]["actions"][0]["value"] == "down"
    assert event_ack.raw == {"envelope_id": event_id}
    assert recorder.seen[1]["retry"] == ["2"]  # retry_attempt mirrored as a header


@pytest.mark.asyncio
async def test_socket_mode_reconnects_after_disconnect_message(fake: FakeSlack) -> None:
    recorder = Recorder()
    app = build_app(fake, recorder)
    async with socket_mode(app, fake):
        await fake.socket_disconnect("refresh_requested")
        await fake.socket_wait_connected(count=2)
        payload = slash_command_payload(text="after", response_url=fake.response_url())
        ack = await fake.socket_request("slash_commands", payload)
        await asyncio.wait_for(recorder.done.wait(), 2)

    assert len(fake.calls_to("apps.connections.open")) == 2  # a fresh URL per connection
    assert ack.payload == {"text": "working on it"}
    assert recorder.seen[0]["text"] == "after"


@pytest.mark.asyncio
async def test_socket_link_requires_fresh_ticket_and_app_token(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as wrong_type:
        await web_client(fake).apps_connections_open(app_token=DEFAULT_BOT_TOKEN)
    opened = await web_client(fake, None).apps_connections_open(app_token=DEFAULT_APP_TOKEN)
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(opened["url"]) as ws:
            hello = json.loads((await ws.receive()).data)
        with pytest.raises(aiohttp.WSServerHandshakeError) as reused:
            await session.ws_connect(opened["url"])

    assert wrong_type.value.response["error"] == "not_allowed_token_type"
    assert hello["type"] == "hello"
    assert hello["connection_info"]["app_id"] == "A0FEDBOT1"
    assert reused.value.status == 401


@pytest.mark.asyncio
async def test_socket_mode_reconnects_when_pongs_stop(fake: FakeSlack) -> None:
    app = build_app(fake, Recorder())
    handler = AsyncSocketModeHandler(app, DEFAULT_APP_TOKEN, ping_interval=0.3)
    await handler.connect_async()
    try:
        await fake.socket_wait_connected()
        fake.socket_respond_to_pings = False  # the link goes stale
        await fake.socket_wait_connected(count=2, timeout=2.5)
        fake.socket_respond_to_pings = True
    finally:
        await handler.close_async()

    assert len(fake.calls_to("apps.connections.open")) >= 2


@pytest.mark.asyncio
async def test_views_publish_keeps_each_home_and_refuses_what_slack_refuses(
    fake: FakeSlack,
) -> None:
    client = web_client(fake)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "Bonjour"}}
    home = {"type": "home", "blocks": [section]}
    published = await client.views_publish(user_id=DEFAULT_USER_ID, view=home)
    assert published["view"]["type"] == "home" and published["view"]["blocks"] == [section]
    assert fake.home_of(DEFAULT_USER_ID)["id"] == published["view"]["id"]

    refusals = {
        "too many blocks": {"type": "home", "blocks": [section] * 101},
        "not a home": {"type": "modal", "blocks": [section]},
        "text too long": {
            "type": "home",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        },
        "same action twice in a block": {
            "type": "home",
            "blocks": [
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "text": {"type": "plain_text", "text": "a"},
                         "action_id": "go"},
                        {"type": "button", "text": {"type": "plain_text", "text": "b"},
                         "action_id": "go"},
                    ],
                }
            ],
        },
    }  # fmt: skip
    for what, view in refusals.items():
        with pytest.raises(SlackApiError) as refused:
            await client.views_publish(user_id=DEFAULT_USER_ID, view=view)
        assert refused.value.response["error"] == "invalid_arguments", what
        assert refused.value.response["response_metadata"]["messages"], what
    (message,) = [
        m for m in fake.calls_to("views.publish")[1].response["response_metadata"]["messages"]
    ]
    assert message == "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"

    with pytest.raises(SlackApiError) as stale:
        await client.views_publish(user_id=DEFAULT_USER_ID, view=home, hash="1.old")
    assert stale.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as nobody:
        await client.views_publish(user_id="U0NOBODY", view=home)
    assert nobody.value.response["error"] == "user_not_found"
    fake.home_tab_enabled = False
    with pytest.raises(SlackApiError) as off:
        await client.views_publish(user_id=DEFAULT_USER_ID, view=home)
    assert off.value.response["error"] == "not_enabled"
    assert fake.home_of(DEFAULT_USER_ID)["blocks"] == [section]  # the last good one stays
