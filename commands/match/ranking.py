"""Who should meet whom: partners ranked by shared interests, rare ones weighing most.

A shared tag is worth its inverse document frequency, so two people sharing "hackathon" (held
by 40 members) score far above two sharing "innovation" (held by 9,000). Members of another
agency get a bonus because meeting across agencies is the point of the federation. Only opted-in
members are ever indexed, so nobody who declined can be suggested.

`MatchPool` is built once from all members; `rank_partners` only visits members who share a tag
with the caller, rarest tag first, and stops as soon as no unvisited member can enter the top.
"""

from __future__ import annotations

import heapq
import math
import zlib
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, islice

from commands.profile.tags import normalise_tag

OTHER_AGENCY_BONUS = 0.25  # a score multiplier: shared interests first, agency as a nudge


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member as matching sees them. `tags` are slugs (see `normalise_tag`)."""

    key: str
    agency: str | None
    tags: frozenset[str]
    opted_in: bool
    snoozed_until: datetime | None = None

    def in_rounds(self, now: datetime) -> bool:
        """Whether this member takes part in a round run at `now` (snoozing skips rounds)."""
        return self.opted_in and (self.snoozed_until is None or self.snoozed_until <= now)


@dataclass(frozen=True, slots=True)
class Suggestion:
    key: str
    score: float
    shared: tuple[str, ...]  # rarest first: the best reason to meet comes first
    other_agency: bool


@dataclass(frozen=True, slots=True)
class Meeting:
    """People introduced to each other (a `match` they accepted or a round group)."""

    members: frozenset[str]
    at: datetime


def recently_met(
    key: str, meetings: Iterable[Meeting], *, now: datetime, within: timedelta
) -> frozenset[str]:
    """Whom `key` met less than `within` ago: pass it as `exclude` unless they ask again."""
    return frozenset(
        other
        for meeting in meetings
        if key in meeting.members and now - meeting.at < within
        for other in meeting.members
        if other != key
    )


def other_agency(a: str | None, b: str | None) -> bool:
    # An unknown agency is not "another" agency: no bonus on a guess.
    return a is not None and b is not None and a != b


class MatchPool:
    """An inverted index (tag -> members) over opted-in members, with each tag's rarity."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        # Sorted by key so that positions, and everything derived from them, do not depend on
        # the order storage returned the rows in.
        members = sorted((c for c in candidates if c.opted_in), key=lambda c: c.key)
        self._members: tuple[Candidate, ...] = tuple(members)
        self._position: dict[str, int] = {}
        postings: dict[str, list[int]] = {}
        for index, member in enumerate(members):
            if self._position.setdefault(member.key, index) != index:
                raise ValueError(f"member {member.key!r} appears twice")
            for tag in member.tags:
                postings.setdefault(tag, []).append(index)
        self._postings = postings
        size = len(members)
        # log(1 + N/df) stays positive even for a tag everyone holds, so sharing it still counts.
        self._idf = {tag: math.log1p(size / len(ids)) for tag, ids in postings.items()}

    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, key: object) -> bool:
        return key in self._position

    def position(self, key: str) -> int | None:
        return self._position.get(key)

    def get(self, key: str) -> Candidate | None:
        index = self._position.get(key)
        return None if index is None else self._members[index]

    def member(self, index: int) -> Candidate:
        return self._members[index]

    def tags(self) -> Collection[str]:
        return self._postings.keys()

    def document_frequency(self, tag: str) -> int:
        return len(self._postings.get(tag, ()))

    def idf(self, tag: str) -> float:
        return self._idf.get(tag, 0.0)

    def posting(self, tag: str) -> list[int]:
        """Positions of the members holding `tag` (do not mutate)."""
        return self._postings.get(tag, [])

    def rarest_first(self, tags: Iterable[str]) -> list[str]:
        return sorted(tags, key=lambda tag: (-self.idf(tag), tag))

    def score(
        self,
        tags: frozenset[str],
        agency: str | None,
        other: Candidate,
        bonus: float = OTHER_AGENCY_BONUS,
    ) -> tuple[float, frozenset[str], bool]:
        """Score, shared tags and whether `other` is from another agency.

        `fsum` is exact whatever the set's iteration order, so scores, ties and hence results
        are identical from one process to the next (string hashing is randomised).
        """
        shared = tags & other.tags
        value = math.fsum(self._idf.get(tag, 0.0) for tag in shared)
        crosses = other_agency(agency, other.agency)
        return (value * (1.0 + bonus) if crosses else value), shared, crosses

    @property
    def members(self) -> tuple[Candidate, ...]:
        """Indexed (opted-in) members, by position."""
        return self._members

    @property
    def idf_table(self) -> Mapping[str, float]:
        return self._idf


def rank_partners(
    me: Candidate,
    pool: MatchPool,
    *,
    exclude: Collection[str] = frozenset(),
    limit: int = 5,
    topic: str | None = None,
    other_agency_bonus: float = OTHER_AGENCY_BONUS,
) -> list[Suggestion]:
    """The best partners for `me`, best first, each with the interests they share.

    With `topic`, only members working on it are considered (ranked by everything they share
    with `me`, the topic included). Members in `exclude` (met recently) and `me` are skipped.
    Among equally good partners the order depends on the caller, so that the same few profiles
    are not offered to everyone.
    """
    if limit <= 0:
        return []
    wanted = me.tags | {normalise_tag(topic)} if topic else me.tags
    required = normalise_tag(topic) if topic else None
    tags = pool.rarest_first(t for t in wanted if pool.document_frequency(t))
    top = _top_partners(
        me, pool, tags, wanted, required, set(exclude) | {me.key}, limit, other_agency_bonus
    )
    return [_suggestion(pool, me, wanted, index, score, other_agency_bonus) for score, index in top]


def _top_partners(
    me: Candidate,
    pool: MatchPool,
    tags: list[str],
    wanted: frozenset[str],
    required: str | None,
    blocked: Collection[str],
    limit: int,
    bonus: float,
) -> list[tuple[float, int]]:
    """(score, position) of the best `limit` members, best first.

    MaxScore-style pruning: a member first met in the posting of tags[i] shares none of the
    rarer tags, so scores at most `ceiling[i]`; once the top is full and its worst entry reaches
    that ceiling nobody unseen can enter it. The loop is inlined (no method calls): it is what
    a 26,000-member `match` spends its time on.
    """
    boost = 1.0 + bonus
    idf = pool.idf_table.__getitem__  # every tag of an indexed member is in the table
    members = pool.members
    fsum = math.fsum
    agency = me.agency
    top_boost = boost if agency is not None else 1.0
    ceiling = [fsum(map(idf, tags[i:])) * top_boost for i in range(len(tags))]
    heap: list[tuple[float, int, int]] = []  # (score, -arrival, position): worst on top
    seen: set[int] = set()
    arrival = 0
    for i, tag in enumerate(tags):
        for index in _rotated(pool.posting(tag), me.key):
            if len(heap) == limit and heap[0][0] >= ceiling[i]:
                return _best_first(heap)
            if index in seen:
                continue
            seen.add(index)
            other = members[index]
            if other.key in blocked or (required is not None and required not in other.tags):
                continue
            score = fsum(map(idf, wanted & other.tags))
            if other_agency(agency, other.agency):
                score *= boost  # same arithmetic as MatchPool.score, so ties stay ties
            arrival -= 1
            if len(heap) < limit:
                heapq.heappush(heap, (score, arrival, index))
            elif score > heap[0][0]:  # a tie keeps the earlier arrival
                heapq.heapreplace(heap, (score, arrival, index))
        if tag == required:
            break  # every member on the topic has now been seen
    return _best_first(heap)


def _best_first(heap: list[tuple[float, int, int]]) -> list[tuple[float, int]]:
    return [(score, index) for score, _, index in sorted(heap, reverse=True)]


def _rotated(posting: list[int], caller: str) -> Iterator[int]:
    # Start each caller's scan at a different place (stable across processes, unlike hash()):
    # equally good partners then differ from caller to caller.
    if not posting:
        return iter(())
    start = zlib.crc32(caller.encode()) % len(posting)
    return chain(islice(posting, start, None), islice(posting, start))


def _suggestion(
    pool: MatchPool, me: Candidate, wanted: frozenset[str], index: int, score: float, bonus: float
) -> Suggestion:
    other = pool.member(index)
    _, shared, crosses = pool.score(wanted, me.agency, other, bonus)
    return Suggestion(other.key, score, tuple(pool.rarest_first(shared)), crosses)


def members_on_topic(
    pool: MatchPool, tag: str, *, limit: int = 20, exclude: Collection[str] = frozenset()
) -> list[str]:
    """Members working on `tag`; those with the fewest interests (most focused on it) first.

    `pool.document_frequency(normalise_tag(tag))` gives the total for "showing 20 of 412".
    """
    slug = normalise_tag(tag)
    found = (pool.member(i) for i in pool.posting(slug))
    chosen = heapq.nsmallest(
        limit, (m for m in found if m.key not in exclude), key=lambda m: (len(m.tags), m.key)
    )
    return [m.key for m in chosen]
