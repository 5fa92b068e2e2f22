"""The per-user throttle: checked in the core, once, for every platform."""

from __future__ import annotations

import time
from collections.abc import Callable


class Throttle:
    """Token bucket per user. `check` answers "allow", "warn" (first refusal in a flood: the
    user gets one cooldown reply) or "drop" (further refusals are silent).

    A flood lasts until the bucket is full again (the user paused long enough): commands let
    through as tokens trickle back do not end it, so someone hammering away is warned once,
    not once per refilled token."""

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
        if tokens >= self.burst:
            warned = False  # a full bucket: the flood, if any, is over
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now, warned)
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
