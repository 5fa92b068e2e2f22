"""`fedbot web link <platform:workspace:user>`: a single-use sign-in link to the dashboard,
valid 10 minutes, for the operator (the console) or for someone who cannot use "Sign in with
Slack / Discord".

The link names who it signs in; what they may do is decided when it is used, by the same grants
as chat (and, for a console link, by `--as` and `--agency`, as `fedbot run` does: the console
is the operator's own terminal). Whoever holds the link signs in as that person: print it only
for them.
"""

from __future__ import annotations

import argparse
import sys

from bot.app import BotApp
from bot.feature import CliTool, CommonOptions
from bot.spec import Role
from commands.dashboard.site import PREFIX
from commands.dashboard.store.sessions import LINK_LIFETIME, Identity, SessionStore

PLATFORMS = ("console", "slack", "discord")


def configure(parser: argparse.ArgumentParser, common: CommonOptions) -> None:
    tools = parser.add_subparsers(dest="web_command", required=True)
    link = tools.add_parser(
        "link",
        help="print a single-use sign-in link to the dashboard (valid 10 minutes)",
        description="Print a single-use link that signs this person in to the dashboard.",
    )
    common(link)
    link.add_argument(
        "who", help="platform:workspace:user, e.g. console:local:operator or slack:T0123:U0456"
    )
    link.add_argument(
        "--as",
        dest="role",
        default="admin",
        choices=[r.key for r in Role],
        help="console links only: the role, as with `fedbot run --as`",
    )
    link.add_argument(
        "--agency",
        action="append",
        dest="agencies",
        default=[],
        metavar="NAME",
        help="console links with --as moderator: moderate this agency only (repeatable)",
    )


def _fail(message: str) -> int:
    print(f"fedbot: {message}", file=sys.stderr)
    return 2


async def web_command(app: BotApp, args: argparse.Namespace) -> int:
    parts = args.who.strip().split(":")
    if len(parts) != 3 or not all(parts) or parts[0] not in PLATFORMS:
        return _fail(f"{args.who!r}: expected platform:workspace:user ({', '.join(PLATFORMS)})")
    platform, workspace, user = parts
    if not app.config.dashboard.enabled:
        return _fail("the dashboard is off (dashboard.enabled = false)")
    role, agencies = None, None
    if platform == "console":
        role = Role.parse(args.role)
        if args.agencies:
            ids = []
            for name in args.agencies:
                agency = await app.services.agencies.find(name)
                if agency is None:
                    return _fail(f"--agency: no agency {name!r} (see /agency list)")
                ids.append(agency.id)
            agencies = frozenset(ids)
    elif args.agencies or args.role != "admin":
        return _fail(
            "--as and --agency are for console links: a platform user's rights come from the grants"
        )
    who = Identity(platform, workspace, user, assumed_role=role, assumed_agencies=agencies)
    token = await app.services.get(SessionStore).create_link(who, app.clock.now())
    print(f"{app.web.base_url}{PREFIX}/link/{token}")
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    print(f"(single use, valid {minutes} minutes; whoever opens it signs in as {args.who})")
    if not app.config.http.enabled:
        print("note: [http] enabled is false: the link works once the bot serves HTTP")
    return 0


WEB_TOOL = CliTool("web", "the web dashboard: sign-in links", configure, web_command)
