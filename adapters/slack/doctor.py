"""`fedbot doctor`, Slack's part: the tokens the mode needs, `SLACK_BOT_TOKEN` (auth.test: valid,
its workspace in the federation, its scopes against the manifest's), the app token for Socket
Mode, and the OAuth installations stored in the database (`FEDBOT_SECRET_KEY` opens them).
Read-only: nothing is stored or re-encrypted."""

from __future__ import annotations

from functools import partial

from sqlalchemy import select

from adapters.slack.installations import slack_installations
from adapters.slack.manifest import bot_scopes
from adapters.slack.webapi import RetryPolicy, WebApi
from bot.checkup import Finding, Situation
from bot.errors import SendError
from bot.secret_box import SecretBox, SecretKeyError


async def _no_sleep(_: float) -> None:
    return None


async def slack_findings(situation: Situation) -> list[Finding]:
    config = situation.config
    secrets, settings = config.secrets, config.slack
    oauth = bool(secrets.slack_client_id and secrets.slack_client_secret)
    if not (secrets.slack_bot_token or oauth):
        return [Finding(None, "slack", "not configured (no SLACK_BOT_TOKEN, no SLACK_CLIENT_ID)")]
    api = WebApi(settings.api_base_url, RetryPolicy(max_retries=1), _no_sleep)
    found = [_mode(situation)]
    if secrets.slack_bot_token:
        found += await _bot_token(situation, api, secrets.slack_bot_token)
    if settings.mode == "socket" and secrets.slack_app_token:
        found.append(await _app_token(api, secrets.slack_app_token))
    if oauth:
        found.append(await _stored_tokens(situation))
    return found


def _mode(situation: Situation) -> Finding:
    secrets, mode = situation.config.secrets, situation.config.slack.mode
    if mode == "socket" and not secrets.slack_app_token:
        return Finding(False, "slack mode", "socket mode needs SLACK_APP_TOKEN (xapp-…)")
    if mode == "http" and not secrets.slack_signing_secret:
        return Finding(False, "slack mode", "HTTP mode needs SLACK_SIGNING_SECRET")
    if mode == "http" and not situation.config.http.public_url:
        note = "http.public_url not set: the manifest shows a placeholder URL"
        return Finding(True, "slack mode", f"HTTP ({note})")
    return Finding(True, "slack mode", "Socket Mode" if mode == "socket" else "HTTP")


async def _bot_token(situation: Situation, api: WebApi, token: str) -> list[Finding]:
    client = api.client(token)
    try:
        auth = await api.call("auth.test", client.auth_test)
    except SendError as err:
        return [Finding(False, "SLACK_BOT_TOKEN", f"refused: {err.reason}")]
    team, enterprise = str(auth["team_id"]), auth.get("enterprise_id")
    who = f"workspace {team} ({auth.get('team')}), bot @{auth.get('user')}"
    found = [Finding(True, "SLACK_BOT_TOKEN", who)]
    admitted = set(situation.admitted("slack"))
    if team in admitted or (enterprise and enterprise in admitted):
        found.append(Finding(True, "slack workspace", f"{team} is in the federation"))
    else:
        found.append(
            Finding(
                False,
                "slack workspace",
                f'SLACK_BOT_TOKEN belongs to {team}, not in federation.slack_teams: add "{team}"',
            )
        )
    granted = {s.strip() for s in (auth.headers or {}).get("x-oauth-scopes", "").split(",")}
    missing = [scope for scope in bot_scopes(situation.config.slack) if scope not in granted]
    if missing:
        found.append(
            Finding(
                False,
                "slack scopes",
                f"missing {', '.join(missing)}: update the app from `fedbot slack manifest` "
                "and reinstall it in the workspace",
            )
        )
    else:
        found.append(Finding(True, "slack scopes", "every scope the manifest asks for"))
    return found


async def _app_token(api: WebApi, token: str) -> Finding:
    client = api.client(token)
    try:
        await api.call(
            "apps.connections.open", partial(client.apps_connections_open, app_token=token)
        )
    except SendError as err:
        return Finding(False, "SLACK_APP_TOKEN", f"Socket Mode refused it: {err.reason}")
    return Finding(True, "SLACK_APP_TOKEN", "Socket Mode accepts it")


async def _stored_tokens(situation: Situation) -> Finding:
    """OAuth installations: their tokens are stored encrypted, FEDBOT_SECRET_KEY opens them."""
    box = SecretBox(situation.config.secrets.secret_key)  # its shape was checked with the config
    if situation.db is None:
        return Finding(None, "stored Slack tokens", "not checked (database not ready)")
    async with situation.db.read() as conn:
        tokens = [r.bot_token for r in await conn.execute(select(slack_installations.c.bot_token))]
    if not tokens:
        state = "set" if box.enabled else "not set yet (`fedbot secrets generate`)"
        return Finding(True, "stored Slack tokens", f"none yet; FEDBOT_SECRET_KEY {state}")
    if not box.enabled:
        return Finding(
            False,
            "stored Slack tokens",
            f"{len(tokens)} stored, FEDBOT_SECRET_KEY is not set: set it to the key that "
            "encrypted them",
        )
    sealed = [t for t in tokens if SecretBox.is_sealed(t)]
    try:
        for stored in sealed:
            box.open(stored)
    except SecretKeyError as exc:
        return Finding(False, "stored Slack tokens", str(exc))
    plain = len(tokens) - len(sealed)
    note = f"; {plain} in clear, encrypted at the next start" if plain else ""
    return Finding(
        True, "stored Slack tokens", f"{len(sealed)} opened with FEDBOT_SECRET_KEY{note}"
    )
