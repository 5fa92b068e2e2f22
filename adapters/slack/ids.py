"""`fedbot slack groups`: the ids config grants use, read from Slack.

For each workspace the bot has a token for (SLACK_BOT_TOKEN, and the OAuth installations in the
database), one line for the workspace and one per user group, written as the grant that names
it: `slack:T0123ABCD:S0789IJKL  @equipe-federale  Équipe fédérale (12 members)`.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.installations import InstallationStore
from adapters.slack.webapi import RetryPolicy, WebApi
from bot.clock import SystemClock
from bot.config import Config
from bot.errors import ConfigError, SendError
from bot.federation import Federation
from bot.secret_box import SecretBox
from bot.storage.database import Database
from bot.storage.workspaces import WorkspaceRepo


async def group_lines(config: Config, db: Database) -> list[str]:
    api = WebApi(config.slack.api_base_url, RetryPolicy(max_retries=1), _no_sleep)
    tokens = await _tokens(config, db)
    if not tokens:
        raise ConfigError(
            "slack groups: no Slack token: set SLACK_BOT_TOKEN, or install the app (OAuth)"
        )
    lines: list[str] = []
    listed = set(config.federation.slack_teams) | set(config.federation.slack_enterprises)
    for token in tokens:
        client = api.client(token)
        try:
            auth = await api.call("auth.test", client.auth_test)
            groups = await api.call(
                "usergroups.list",
                lambda c=client: _groups(c),  # type: ignore[misc]
            )
        except SendError as err:
            lines.append(f"(a token failed: {err.reason})")
            continue
        team = str(auth["team_id"])
        where = "in federation.slack_teams" if team in listed else "NOT in federation.slack_teams"
        lines.append(f"workspace {team}  {auth.get('team', '')}  ({where})")
        for group in groups.get("usergroups") or []:
            members = len(group.get("users") or [])
            lines.append(
                f"  slack:{team}:{group['id']}  @{group.get('handle', '')}  "
                f"{group.get('name', '')} ({members} members)"
            )
    return lines


async def _groups(client: AsyncWebClient) -> dict:
    response = await client.usergroups_list(include_users=True)
    return response.data if isinstance(response.data, dict) else {}


async def _tokens(config: Config, db: Database) -> list[str]:
    tokens = [config.secrets.slack_bot_token] if config.secrets.slack_bot_token else []
    federation = Federation(config.federation, WorkspaceRepo(db))
    store = InstallationStore(db, SystemClock(), federation, SecretBox(config.secrets.secret_key))
    for key in await store.workspaces():
        bot = await store.async_find_bot(enterprise_id=key, team_id=key)
        if bot is not None and bot.bot_token not in tokens:
            tokens.append(bot.bot_token)
    return tokens


async def _no_sleep(seconds: float) -> None:
    return None
