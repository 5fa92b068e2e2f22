"""`fedbot workspaces list|approve|refuse|invite`: the federation's workspaces, from a shell.

The same as the chat command `workspace`, for the operator (who also creates install invites:
single-use links to the Slack install page, for `federation.require_invite`).
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from bot.app import BotApp
from bot.clock import SystemClock
from bot.config import Config
from bot.feature import CliTool, CommonOptions
from bot.federation import Federation, parse_workspace

INSTALL_PATH = "/slack/install"  # the Slack adapter's install page (adapters.slack.manifest)


def configure(parser: argparse.ArgumentParser, common: CommonOptions) -> None:
    tools = parser.add_subparsers(dest="workspaces_command", required=True)
    text = "List the listed, approved, pending and refused workspaces."
    common(tools.add_parser("list", help=text[0].lower() + text[1:-1], description=text))
    for name, text in (
        ("approve", "admit a workspace (T…, E… or a Discord server id)"),
        ("refuse", "refuse a workspace, or withdraw its approval"),
    ):
        tool = tools.add_parser(name, help=text, description=text)
        common(tool)
        tool.add_argument("id", help="T0123ABCD, E0123ABCD or 123456789012345678")
    text = "Print a single-use Slack install link."
    common(tools.add_parser("invite", help=text[0].lower() + text[1:-1], description=text))


async def workspaces_command(app: BotApp, args: argparse.Namespace) -> int:
    return await _run(app.config, app.services.federation, args)


WORKSPACES_TOOL = CliTool(
    "workspaces",
    "the federation's Slack workspaces and Discord servers: list, approve, refuse, invite",
    configure,
    workspaces_command,
)


async def _run(config: Config, federation: Federation, args: argparse.Namespace) -> int:
    now = SystemClock().now()
    command = args.workspaces_command
    if command == "list":
        for item in await federation.overview():
            name = f"  {item.name}" if item.name else ""
            print(f"{item.status:9} {item.platform:8} {item.workspace_id}{name}")
        return 0
    if command == "invite":
        public = config.http.public_url.rstrip("/")
        if not public:
            print("fedbot: http.public_url is not set: Slack cannot reach the install page",
                  file=sys.stderr)  # fmt: skip
            return 2
        valid = timedelta(hours=config.federation.invite_hours)
        token = await federation.repo.create_invite("slack", now, valid)
        print(f"{public}{INSTALL_PATH}?invite={token}")
        print(f"(single use, valid {config.federation.invite_hours} h)")
        return 0
    try:
        platform, ident = parse_workspace(args.id)
    except ValueError:
        print(f"fedbot: {args.id!r} is not a workspace id (T…, E… or a Discord server id)",
              file=sys.stderr)  # fmt: skip
        return 2
    if command == "approve":
        await federation.approve(platform, ident, now)
        print(f"{platform} {ident}: approved")
    else:
        await federation.revoke(platform, ident, now)
        print(f"{platform} {ident}: refused")
    return 0
