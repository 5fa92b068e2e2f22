"""Who is speaking and where: the platform-neutral identity every adapter builds."""

from __future__ import annotations

from dataclasses import dataclass

from bot.spec import Role

# The workspace of a caller in a direct message, on platforms whose DMs belong to no
# workspace (Discord: a DM has no guild). Such a caller is the member known by their user id.
DIRECT_MESSAGES = "dm"


@dataclass(frozen=True, slots=True)
class Caller:
    """A user on one platform, as the adapter read it from the platform (never from text the
    user typed).

    `groups`: the ids of the caller's Discord roles or Slack user groups in `workspace`, so
    that config can grant roles to them. `organisation`: the Slack Enterprise Grid org of
    `workspace`, if any. `home_workspaces`: for a direct message (which belongs to no
    workspace), the workspaces the platform says the user is a member of. `assumed_role` is
    only set by the console adapter: the operator's own terminal chooses its role with `--as`
    (and, for a moderator, which agencies with `--agency`: `assumed_agencies` holds their
    ids; None means every agency).
    """

    platform: str
    workspace: str
    user_id: str
    display_name: str = ""
    locale: str = "fr"
    groups: frozenset[str] = frozenset()
    is_bot: bool = False
    assumed_role: Role | None = None
    assumed_agencies: frozenset[int] | None = None
    organisation: str | None = None
    home_workspaces: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A channel on a platform, written `platform:workspace:channel` in config and storage."""

    platform: str
    workspace: str
    channel_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.channel_id}"

    @classmethod
    def parse(cls, text: str) -> ChannelRef:
        parts = text.strip().split(":")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"expected platform:workspace:channel, got {text!r}")
        return cls(*parts)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a command was typed; `thread_id` and `message_id` when the platform has them."""

    channel: ChannelRef
    thread_id: str | None = None
    message_id: str | None = None
