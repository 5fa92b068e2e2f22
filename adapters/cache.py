"""A bounded map whose entries expire: user profiles, user groups, delivered event ids."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Entries live `ttl` seconds; beyond `max_entries` the oldest go first, so a flood of
    distinct keys (users, event ids) costs bounded memory."""

    def __init__(
        self, ttl: float, max_entries: int = 10_000, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._now = now
        self._items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= self._now():
            del self._items[key]
            return None
        return item[1]

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        self._items.pop(key, None)  # re-inserted last: insertion order is age order
        self._items[key] = (self._now() + (self.ttl if ttl is None else ttl), value)
        if len(self._items) > self.max_entries:
            self._evict()

    def add_new(self, key: K) -> bool:
        """Remember `key`; False when it was already there (a duplicate delivery)."""
        if self.get(key) is not None:
            return False
        self.put(key, True)  # type: ignore[arg-type]
        return True

    def __len__(self) -> int:
        return len(self._items)

    def _evict(self) -> None:
        now = self._now()
        self._items = {k: v for k, v in self._items.items() if v[0] > now}
        while len(self._items) > self.max_entries:
            del self._items[next(iter(self._items))]
