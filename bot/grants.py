"""Role grants written in config, by stable platform id only.

A grant is `slack:<team or enterprise id>:<user or user group id>` or
`discord:<guild id>:<user or role id>`. Names and handles are refused: anyone can create a
group called `equipe-federale` in their own workspace, nobody can choose a Slack or Discord id.
A Discord user id is global, so `discord:*:<user id>` grants that user in every federation
server; a wildcard never matches a group (a role id belongs to one server).

This module imports nothing of the core above it: config parses grants, the role book matches
them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.identity import Caller

ANY_WORKSPACE = "*"
SLACK_TEAM = re.compile(r"^T[A-Z0-9]{1,20}$")
SLACK_ENTERPRISE = re.compile(r"^E[A-Z0-9]{1,20}$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{1,20}$")
SLACK_GROUP = re.compile(r"^S[A-Z0-9]{1,20}$")
SNOWFLAKE = re.compile(r"^[0-9]{15,21}$")

SLACK_EXAMPLE = "slack:T0123ABCD:U0456EFGH (a user) or slack:T0123ABCD:S0789IJKL (a user group)"
DISCORD_EXAMPLE = (
    "discord:<server id>:<role id>, or discord:*:<user id> for a user in every federation server"
)
HOW_TO_FIND = "`fedbot slack groups` and `fedbot discord roles` list the ids"


class GrantError(ValueError):
    """A grant that config must refuse; the message says which form to use instead."""


@dataclass(frozen=True, slots=True)
class Grant:
    platform: str
    workspace: str  # team, enterprise or guild id; "*" for a Discord user in every server
    ident: str  # user id, Slack user group id or Discord role id

    def __str__(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.ident}"

    @property
    def is_group(self) -> bool:
        """Slack user group ids start with S; a Discord id may be a role or a user."""
        return self.platform == "slack" and self.ident.startswith("S")

    def matches(self, caller: Caller) -> bool:
        if caller.platform != self.platform:
            return False
        if self.workspace == ANY_WORKSPACE:  # only ever a user: roles belong to one server
            return caller.user_id == self.ident
        if self.workspace in (caller.workspace, caller.organisation):
            return self.ident == caller.user_id or self.ident in caller.groups
        # A direct message belongs to no server: a user grant of a server the caller is a
        # member of still holds there, a role grant does not (DMs carry no roles).
        return self.workspace in caller.home_workspaces and self.ident == caller.user_id


def parse_grant(text: str) -> Grant:
    """`platform:workspace:id` checked against each platform's id forms."""
    parts = text.strip().split(":")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise GrantError(
            f"expected platform:workspace:id, got {text!r}; e.g. {SLACK_EXAMPLE}, "
            f"or {DISCORD_EXAMPLE}"
        )
    platform, workspace, ident = (p.strip() for p in parts)
    if platform == "slack":
        return _slack(text, workspace, ident)
    if platform == "discord":
        return _discord(text, workspace, ident)
    raise GrantError(f"{text!r}: grants are for slack or discord (the console chooses --as)")


def _slack(text: str, workspace: str, ident: str) -> Grant:
    if workspace == ANY_WORKSPACE:
        raise GrantError(
            f"{text!r}: a Slack grant names its workspace (team id T… or Enterprise Grid "
            f"org id E…), never *: write {SLACK_EXAMPLE}; {HOW_TO_FIND}"
        )
    if not (SLACK_TEAM.match(workspace) or SLACK_ENTERPRISE.match(workspace)):
        raise GrantError(
            f"{text!r}: {workspace!r} is not a Slack team id (T…) or org id (E…); "
            f"write {SLACK_EXAMPLE}; {HOW_TO_FIND}"
        )
    if not (SLACK_USER.match(ident) or SLACK_GROUP.match(ident)):
        raise GrantError(
            f"{text!r}: {ident!r} is a name or handle, not an id; grants use ids, which "
            f"nobody else can take: write {SLACK_EXAMPLE}; {HOW_TO_FIND}"
        )
    return Grant("slack", workspace, ident)


def _discord(text: str, workspace: str, ident: str) -> Grant:
    if not SNOWFLAKE.match(ident):
        raise GrantError(
            f"{text!r}: {ident!r} is a name, not an id; grants use ids, which nobody else "
            f"can take: write {DISCORD_EXAMPLE}; {HOW_TO_FIND}"
        )
    if workspace != ANY_WORKSPACE and not SNOWFLAKE.match(workspace):
        raise GrantError(f"{text!r}: {workspace!r} is not a Discord server id; {HOW_TO_FIND}")
    return Grant("discord", workspace, ident)
