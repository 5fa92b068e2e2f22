"""Matching rounds, coffee-chat style: every available member gets one partner per round.

Members who opted in and are not snoozed are paired (one group of three when the count is odd)
so that partners share interests, rare ones first, and preferably come from different agencies.
People who met recently are only paired again when no other arrangement exists.

The pairing is a greedy over the inverted index, not an optimal weighted matching (cubic): for
each tag, rarest first, the members still free who hold it are paired with the best fresh
partner among a window of candidates. It is near-linear, pairs 26,000 members in about half a
second, and never trades a rare shared tag, the thing users notice, for a common one.

Repeats are then removed in three steps: for rounds of up to EXACT_LIMIT members, augmenting
paths (Edmonds) complete the fresh pairs exactly, and the trio is re-chosen when it is the only
repeat; in any round, members are exchanged between groups while that lowers the repeats.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations, product

from commands.match.ranking import OTHER_AGENCY_BONUS, Candidate, MatchPool, Meeting

# Candidates examined per member: larger finds slightly better partners among holders of a
# common tag, at a proportional cost in time.
WINDOW = 32
# Exchanges tried to remove repeats left by the greedy (about a second at most).
REPAIR_BUDGET = 300_000
# Up to this size, pairs are completed exactly (Edmonds' blossom algorithm, cubic): a small
# group meeting often has a dense history, where a greedy leaves avoidable repeats.
EXACT_LIMIT = 400
TRIO_SEARCH_LIMIT = 150


@dataclass(frozen=True, slots=True)
class RoundGroup:
    members: tuple[str, ...]
    shared: tuple[str, ...]  # held by at least two members of the group, rarest first
    repeat: bool = False  # some members met before: nothing else was possible


def recent_pairs(
    meetings: Iterable[Meeting], *, now: datetime, within: timedelta
) -> frozenset[frozenset[str]]:
    """The pairs who met less than `within` ago, as `history` for `pair_round`."""
    return frozenset(
        frozenset(pair)
        for meeting in meetings
        if now - meeting.at < within
        for pair in combinations(sorted(meeting.members), 2)
    )


def pair_round(
    members: Sequence[Candidate],
    history: Iterable[Collection[str]],
    *,
    seed: int,
    now: datetime,
    other_agency_bonus: float = OTHER_AGENCY_BONUS,
) -> list[RoundGroup]:
    """Groups for one round. `history` holds past groups (pairs or trios) to avoid repeating;
    `now` decides who is snoozed. The same members, history and seed give the same groups."""
    pool = MatchPool(m for m in members if m.in_rounds(now))
    if len(pool) < 2:
        return []
    met = _met_before(pool, history)
    groups = _Pairing(pool, met, random.Random(seed), other_agency_bonus).run()
    return sorted((_describe(pool, group, met) for group in groups), key=lambda g: g.members)


def _met_before(pool: MatchPool, history: Iterable[Collection[str]]) -> dict[int, set[int]]:
    met: dict[int, set[int]] = {}
    for group in history:
        positions = [p for p in map(pool.position, group) if p is not None]
        for a, b in combinations(positions, 2):
            met.setdefault(a, set()).add(b)
            met.setdefault(b, set()).add(a)
    return met


class _Pairing:
    """The state of one round being built; positions are `MatchPool` positions."""

    def __init__(
        self, pool: MatchPool, met: dict[int, set[int]], rng: random.Random, bonus: float
    ) -> None:
        self.pool = pool
        self.met = met
        self.rng = rng
        self.bonus = bonus
        self.free = [True] * len(pool)
        self.groups: list[list[int]] = []

    def run(self) -> list[list[int]]:
        for tag in self.pool.rarest_first(self.pool.tags()):
            holders = [i for i in self.pool.posting(tag) if self.free[i]]
            self._pair_greedily(holders, exhaustive=False)
        rest = [i for i in range(len(self.pool)) if self.free[i]]
        stuck = self._pair_greedily(rest, exhaustive=True)
        if len(stuck) >= 2 and len(self.pool) <= EXACT_LIMIT:
            stuck = self._augment(stuck)
        while len(stuck) >= 2:
            self._pair(stuck.pop(), stuck.pop())  # they all met: a repeat, unless rearranged
        if stuck:
            self._join_a_pair(stuck.pop())
        self._remove_repeats()
        if len(self.pool) % 2 and len(self.pool) <= TRIO_SEARCH_LIMIT:
            self._rehost_trio()
        return self.groups

    def fresh(self, a: int, b: int) -> bool:
        return b not in self.met.get(a, ())

    def gain(self, a: int, b: int) -> tuple[float, bool]:
        # The agency flag breaks ties, so even partners sharing nothing cross agencies.
        me = self.pool.member(a)
        score, _, crosses = self.pool.score(me.tags, me.agency, self.pool.member(b), self.bonus)
        return score, crosses

    def _pair(self, a: int, b: int) -> None:
        self.free[a] = self.free[b] = False
        self.groups.append([a, b])

    def _augment(self, stuck: list[int]) -> list[int]:
        """Turns the fresh pairs into a maximum set of fresh pairs (Edmonds' augmenting paths),
        moving as few pairs as possible; returns who is still without a fresh partner."""
        paths = _AugmentingPaths(len(self.pool), self.fresh, [g for g in self.groups])
        for member in stuck:
            paths.augment_from(member)
        # Unchanged pairs keep their place: later steps disturb the latest groups first.
        kept = [g for g in self.groups if paths.mate[g[0]] == g[1]]
        placed = {m for g in kept for m in g}
        formed = [[a, b] for a, b in enumerate(paths.mate) if a < b and a not in placed]
        self.groups = kept + formed
        return [m for m in stuck if paths.mate[m] == -1]

    def _pair_greedily(self, pending: list[int], *, exhaustive: bool) -> list[int]:
        """Pairs members of `pending`; returns those left without a fresh partner."""
        left: list[int] = []
        self.rng.shuffle(pending)
        while pending:
            member = pending.pop()
            j = self._best_partner(member, pending, exhaustive)
            if j is None:
                left.append(member)
                continue
            partner = pending[j]
            pending[j] = pending[-1]  # O(1) removal; the order is random anyway
            pending.pop()
            self._pair(member, partner)
        return left

    def _best_partner(self, member: int, pending: list[int], exhaustive: bool) -> int | None:
        window_start = max(0, len(pending) - WINDOW)
        best: int | None = None
        best_gain = (-1.0, False)
        for j in range(len(pending) - 1, window_start - 1, -1):
            if self.fresh(member, pending[j]):
                gain = self.gain(member, pending[j])
                if gain > best_gain:
                    best, best_gain = j, gain
        if best is None and exhaustive:
            return next(
                (j for j in range(window_start - 1, -1, -1) if self.fresh(member, pending[j])),
                None,
            )
        return best

    def repeats(self, group: list[int]) -> int:
        return sum(not self.fresh(a, b) for a, b in combinations(group, 2))

    def has_repeat(self, group: list[int]) -> bool:
        return any(not self.fresh(a, b) for a, b in combinations(group, 2))

    def _remove_repeats(self) -> None:
        """Local search: exchange members between a group holding a repeat and another group
        whenever that lowers the number of repeats, until no exchange helps or the work budget
        is spent (when history covers nearly everyone, most repeats cannot be avoided)."""
        budget = REPAIR_BUDGET
        improved = True
        while improved and budget > 0:
            improved = False
            for group in self.groups:
                if budget > 0 and self.has_repeat(group):
                    done, budget = self._improve(group, budget)
                    improved |= done

    def _improve(self, group: list[int], budget: int) -> tuple[bool, int]:
        # The latest groups (leftovers, the least valuable) are disturbed first.
        for other in reversed(self.groups):
            if other is group:
                continue
            before = self.repeats(group) + self.repeats(other)
            for new_group, new_other in _exchanges(group, other):
                budget -= 1
                if self.repeats(new_group) + self.repeats(new_other) < before:
                    group[:], other[:] = new_group, new_other
                    return True, budget
            if budget <= 0:
                break
        return False, budget

    def _rehost_trio(self) -> None:
        """When only the trio repeats, tries each member as the trio's third: the others must
        pair without a repeat and one of those pairs must be new to them. Cubic, hence only for
        small rounds, where a dense history makes this case likely."""
        trio = next(g for g in self.groups if len(g) == 3)
        pairs = [g for g in self.groups if g is not trio]
        if not self.has_repeat(trio) or any(self.has_repeat(g) for g in pairs):
            return
        fresh_pairs = pairs + [[a, b] for a, b in combinations(trio, 2) if self.fresh(a, b)][:1]
        for third in range(len(self.pool)):
            groups = self._pairs_without(third, fresh_pairs)
            host = next(
                (g for g in groups if self.fresh(third, g[0]) and self.fresh(third, g[1])), None
            )
            if host is not None:
                host.append(third)
                self.groups = groups
                return

    def _pairs_without(self, third: int, pairs: list[list[int]]) -> list[list[int]]:
        """Fresh pairs of everyone but `third`, or [] when some would be left alone."""

        def fresh(a: int, b: int) -> bool:
            return third not in (a, b) and self.fresh(a, b)

        paths = _AugmentingPaths(len(self.pool), fresh, [p for p in pairs if third not in p])
        for member in range(len(self.pool)):
            if member != third and paths.mate[member] == -1:
                paths.augment_from(member)
                if paths.mate[member] == -1:
                    return []
        return [[a, b] for a, b in enumerate(paths.mate) if a < b]

    def _join_a_pair(self, odd: int) -> None:
        """The odd member out joins the pair where they know nobody and share the most."""

        def fit(group: list[int]) -> tuple[int, float]:
            fresh = sum(self.fresh(odd, other) for other in group)
            return fresh, sum(self.gain(odd, other)[0] for other in group)

        max(self.groups, key=fit).append(odd)
        self.free[odd] = False


class _AugmentingPaths:
    """Edmonds' blossom search for augmenting paths over the fresh graph (who has not met
    whom), O(n^3): only for rounds of up to EXACT_LIMIT members, where dense history makes the
    greedy leave repeats that a different arrangement would avoid."""

    def __init__(self, size: int, fresh: Callable[[int, int], bool], pairs: list[list[int]]):
        self.size = size
        self.fresh = fresh
        self.mate = [-1] * size
        for a, b in pairs:
            self.mate[a], self.mate[b] = b, a

    def augment_from(self, root: int) -> None:
        if self.mate[root] != -1:  # matched meanwhile, as the end of an earlier path
            return
        end = self._search(root)
        while end != -1:  # flip the path: every other edge joins the matching
            parent = self.parent[end]
            after = self.mate[parent]
            self.mate[end], self.mate[parent] = parent, end
            end = after

    def _search(self, root: int) -> int:
        self.parent = [-1] * self.size
        self.base = list(range(self.size))
        self.used = [False] * self.size
        self.used[root] = True
        queue = deque([root])
        while queue:
            v = queue.popleft()
            for to in range(self.size):
                if to == v or self.base[v] == self.base[to] or self.mate[v] == to:
                    continue
                if not self.fresh(v, to):
                    continue
                if to == root or (self.mate[to] != -1 and self.parent[self.mate[to]] != -1):
                    self._contract(v, to, queue)
                elif self.parent[to] == -1:
                    self.parent[to] = v
                    if self.mate[to] == -1:
                        return to
                    self.used[self.mate[to]] = True
                    queue.append(self.mate[to])
        return -1

    def _contract(self, v: int, to: int, queue: deque[int]) -> None:
        base = self._common_base(v, to)
        in_blossom = [False] * self.size
        self._mark(v, base, to, in_blossom)
        self._mark(to, base, v, in_blossom)
        for i in range(self.size):
            if in_blossom[self.base[i]]:
                self.base[i] = base
                if not self.used[i]:
                    self.used[i] = True
                    queue.append(i)

    def _common_base(self, a: int, b: int) -> int:
        seen = [False] * self.size
        while True:
            a = self.base[a]
            seen[a] = True
            if self.mate[a] == -1:
                break
            a = self.parent[self.mate[a]]
        while True:
            b = self.base[b]
            if seen[b]:
                return b
            b = self.parent[self.mate[b]]

    def _mark(self, v: int, base: int, child: int, in_blossom: list[bool]) -> None:
        while self.base[v] != base:
            in_blossom[self.base[v]] = in_blossom[self.base[self.mate[v]]] = True
            self.parent[v] = child
            child = self.mate[v]
            v = self.parent[self.mate[v]]


def _exchanges(a: list[int], b: list[int]) -> Iterator[tuple[list[int], list[int]]]:
    """Ways to rearrange two groups keeping one pair and one trio at most: swap one member each,
    or pass a member from the trio to the pair (the trio then becomes the pair)."""
    for i, j in product(range(len(a)), range(len(b))):
        new_a, new_b = a.copy(), b.copy()
        new_a[i], new_b[j] = b[j], a[i]
        yield new_a, new_b
    if len(a) == 3 and len(b) == 2:
        for i in range(3):
            yield a[:i] + a[i + 1 :], [*b, a[i]]
    if len(b) == 3 and len(a) == 2:
        for j in range(3):
            yield [*a, b[j]], b[:j] + b[j + 1 :]


def _describe(pool: MatchPool, group: list[int], met: dict[int, set[int]]) -> RoundGroup:
    members = [pool.member(i) for i in group]
    holders = Counter(tag for member in members for tag in member.tags)
    shared = pool.rarest_first(tag for tag, count in holders.items() if count >= 2)
    repeat = any(b in met.get(a, ()) for a, b in combinations(group, 2))
    return RoundGroup(tuple(sorted(m.key for m in members)), tuple(shared), repeat)
