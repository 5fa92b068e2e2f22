"""Who a platform says someone is, asked outside a chat event: the port adapters fill.

A chat command carries the caller's groups (Slack user groups, Discord roles), read by the
adapter from the platform. A web page has no such event: "Sign in with Slack" says who the
person is, not which user groups they are in. A running adapter registers a lookup here, so
the dashboard gets the same groups as chat, from the same caches (a group removed on the
platform stops granting within a minute on both). With no adapter running for the platform,
or when the platform does not answer, the person has no groups: grants by user id still apply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

# (workspace, user id) -> the ids of the user's groups (Slack user groups, Discord roles).
GroupLookup = Callable[[str, str], Awaitable[frozenset[str]]]


class Directory:
    def __init__(self) -> None:
        self._lookups: dict[str, GroupLookup] = {}

    def register(self, platform: str, lookup: GroupLookup) -> None:
        self._lookups[platform] = lookup

    def unregister(self, platform: str) -> None:
        self._lookups.pop(platform, None)

    def knows(self, platform: str) -> bool:
        return platform in self._lookups

    async def groups(self, platform: str, workspace: str, user_id: str) -> frozenset[str] | None:
        """The user's group ids; None when no adapter of that platform runs. A lookup that
        fails on the platform's side answers an empty set (the adapter logs why)."""
        lookup = self._lookups.get(platform)
        return None if lookup is None else await lookup(workspace, user_id)
