"""Pacing sends under the platforms' rate limits: pure token buckets, no I/O, no clock.

Each bucket is a GCRA ("generic cell rate algorithm", the virtual-scheduling form of a token
bucket): it remembers only the theoretical arrival time of the next request. A send that must
respect several limits at once (a Slack channel's 1/s *and* its workspace's budget) reserves a
slot in all of its buckets at the same moment, the earliest that every one of them allows. The
caller passes the time and sleeps until the slot it got; reserving before sleeping means
concurrent workers take consecutive slots instead of waking together and stampeding.

Which buckets an operation uses is each adapter's business: it declares its platform's limits
as `Bucket`s (`Sender.buckets`), with numbers from its own config section ([slack], [discord]).
Platforms without limits (the console) declare none and are not paced.

Where the buckets live is a `Pacer`: in this process (`LocalPacer`), or in the database so that
several processes together stay within a platform's limits (`bot.storage.budgets`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.identity import ChannelRef


@dataclass(frozen=True, slots=True)
class Rate:
    """`per_second` sustained, and up to `burst` requests back to back."""

    per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError(f"invalid rate {self!r}")

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second


def earliest(tats: Mapping[str, float], wants: Iterable[tuple[str, Rate]], now: float) -> float:
    """The first moment every bucket in `wants` allows a request (GCRA, `tats` their state)."""
    start = now
    for key, rate in wants:
        start = max(start, tats.get(key, now) - (rate.burst - 1) * rate.interval)
    return start


def taken(
    tats: Mapping[str, float], wants: Iterable[tuple[str, Rate]], start: float
) -> dict[str, float]:
    """The buckets' new state once a request took the slot at `start`."""
    return {key: max(tats.get(key, start), start) + rate.interval for key, rate in wants}


class Limiter:
    """GCRA buckets by key. `reserve` returns when (on the caller's clock) the request may go."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}  # theoretical arrival time of the next request

    def reserve(self, wants: Iterable[tuple[str, Rate]], now: float) -> float:
        wants = list(wants)
        start = earliest(self._tat, wants, now)
        self._tat.update(taken(self._tat, wants, start))
        return start

    def try_reserve(self, wants: Iterable[tuple[str, Rate]], now: float) -> bool:
        """Reserve only if the request may go right now (best-effort work skips a turn)."""
        wants = list(wants)
        if earliest(self._tat, wants, now) > now:
            return False
        self.reserve(wants, now)
        return True

    def pause(self, key: str, until: float) -> None:
        """A platform said "wait" (429 Retry-After): nothing on `key` before `until`."""
        self._tat[key] = max(self._tat.get(key, until), until)

    def forget_idle(self, now: float) -> None:
        """Drop buckets that are full again (one entry per channel would otherwise pile up)."""
        self._tat = {key: tat for key, tat in self._tat.items() if tat > now}


class Pacer(Protocol):
    """Where the buckets live; times are seconds on the wall clock (shared by processes)."""

    async def reserve(self, wants: list[tuple[str, Rate]], now: float) -> float: ...

    async def try_reserve(self, wants: list[tuple[str, Rate]], now: float) -> bool: ...

    async def pause(self, key: str, until: float) -> None: ...

    async def forget_idle(self, now: float) -> None: ...


class LocalPacer:
    """The buckets of one process (SQLite, or `[cluster] pacing = "local"`)."""

    def __init__(self) -> None:
        self.limiter = Limiter()

    async def reserve(self, wants: list[tuple[str, Rate]], now: float) -> float:
        return self.limiter.reserve(wants, now)

    async def try_reserve(self, wants: list[tuple[str, Rate]], now: float) -> bool:
        return self.limiter.try_reserve(wants, now)

    async def pause(self, key: str, until: float) -> None:
        self.limiter.pause(key, until)

    async def forget_idle(self, now: float) -> None:
        self.limiter.forget_idle(now)


Scope = Literal["platform", "workspace", "channel"]


@dataclass(frozen=True, slots=True)
class Bucket:
    """One rate limit of a platform, declared as data by its adapter (`Sender.buckets`): which
    operations it counts ("send", "update", "delete"), per what (the whole platform, a
    workspace, a channel), at what rate. `pauses`: a 429 on an operation it counts stalls it
    (Retry-After applies to this bucket, not to one channel)."""

    name: str
    ops: frozenset[str]
    per: Scope
    rate: Rate
    pauses: bool = False

    def key(self, ref: ChannelRef) -> str:
        scope = {
            "platform": (),
            "workspace": (ref.workspace,),
            "channel": (ref.workspace, ref.channel_id),
        }[self.per]
        return ":".join((ref.platform, self.name, *scope))


def wants(buckets: Iterable[Bucket], op: str, ref: ChannelRef) -> list[tuple[str, Rate]]:
    """The (key, rate) pairs an operation on `ref` must reserve a slot in."""
    return [(b.key(ref), b.rate) for b in buckets if op in b.ops]


NARROW_FIRST: tuple[Scope, ...] = ("channel", "workspace", "platform")


def stages(buckets: Iterable[Bucket], op: str, ref: ChannelRef) -> list[list[tuple[str, Rate]]]:
    """`wants`, narrowest scope first: a send waits for its channel's slot before it reserves
    one in its workspace's or the platform's budget. Reserved together, a channel's slot far
    ahead (a queue of sends, a 429's pause) would take the shared budget's slot just as far
    ahead, and every other channel would wait behind it."""
    buckets = list(buckets)
    scoped = ([b for b in buckets if b.per == per] for per in NARROW_FIRST)
    return [stage for same_scope in scoped if (stage := wants(same_scope, op, ref))]


def pause_key(buckets: Iterable[Bucket], op: str, ref: ChannelRef) -> str | None:
    """The bucket a "wait" (429) on this operation stalls, if any."""
    return next((b.key(ref) for b in buckets if b.pauses and op in b.ops), None)


def backoff(
    attempt: int, retry_after: float | None, base: float, cap: float, jitter: float
) -> float:
    """Seconds before the next try of a send that failed `attempt` times (1 = first failure).

    A platform's Retry-After is honoured as given, plus up to 10 % so the retries of many
    channels that were told the same thing do not come back together. Otherwise exponential
    backoff with "equal jitter": between half and all of `base * 2^(attempt-1)`, capped.
    `jitter` is a random number in [0, 1).
    """
    if retry_after is not None:
        return max(0.0, retry_after) * (1 + 0.1 * jitter)
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return ceiling * (0.5 + 0.5 * jitter)
