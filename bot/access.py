"""Roles and the per-user throttle: checked in the core, once, for every platform."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.config import RoleSettings
from bot.identity import Caller
from bot.spec import Role


class RoleBook:
    """Resolves a caller's role from config grants (users and platform groups)."""

    def __init__(self, settings: RoleSettings) -> None:
        self._users: dict[tuple[str, str, str], Role] = {}
        self._groups: dict[tuple[str, str, str], Role] = {}
        for role in (Role.MODERATOR, Role.STAFF, Role.ADMIN):
            for ident in getattr(settings, role.key):
                self._grant(self._users, ident, role)
        for name, idents in settings.groups.items():
            for ident in idents:
                self._grant(self._groups, ident, Role.parse(name))

    @staticmethod
    def _grant(table: dict[tuple[str, str, str], Role], ident: str, role: Role) -> None:
        platform, workspace, ident_id = ident.split(":")
        key = (platform, workspace, ident_id)
        table[key] = max(role, table.get(key, Role.MEMBER))

    def role_of(self, caller: Caller) -> Role:
        if caller.assumed_role is not None:
            return caller.assumed_role
        role = Role.MEMBER
        for workspace in (caller.workspace, "*"):
            role = max(role, self._users.get((caller.platform, workspace, caller.user_id), role))
            for group in caller.groups:
                role = max(role, self._groups.get((caller.platform, workspace, group), role))
        return role


class Throttle:
    """Token bucket per user. `check` answers "allow", "warn" (first refusal in a burst: the
    user gets one cooldown reply) or "drop" (further refusals are silent)."""

    def __init__(
        self, burst: int, rate_per_minute: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = float(burst)
        self.rate = rate_per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float, bool]] = {}

    def check(self, key: str) -> str:
        now = self._clock()
        tokens, last, warned = self._buckets.get(key, (self.burst, now, False))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now, False)
            return "allow"
        self._buckets[key] = (tokens, now, True)
        if len(self._buckets) > 50_000:
            self._forget_idle(now)
        return "drop" if warned else "warn"

    def retry_in(self, key: str) -> int:
        tokens, _, _ = self._buckets.get(key, (self.burst, 0.0, False))
        return max(1, int((1.0 - tokens) / self.rate + 0.999))

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}
