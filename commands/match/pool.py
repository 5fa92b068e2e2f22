"""The in-memory index `match` searches: built from the profiles snapshot, cached per snapshot.

`ProfileRepo.snapshot()` is rebuilt only when profiles change (commands/profile/store/);
the `MatchPool` over it is built once per snapshot. Keys are member ids as text, agencies are
agency ids as text (None when unknown: no "other agency" bonus on a guess).
"""

from __future__ import annotations

from functools import lru_cache

from commands.match.ranking import Candidate, MatchPool
from commands.profile.store.profiles import Profile
from commands.profile.store.snapshot import Snapshot


def agency_key(agency_id: int | None) -> str | None:
    return None if agency_id is None else str(agency_id)


@lru_cache(maxsize=4)
def pool_of(snapshot: Snapshot) -> MatchPool:
    return MatchPool(
        Candidate(str(row.member_id), agency_key(row.agency_id), row.tags, True)
        for row in snapshot.members
    )


def candidate_of(profile: Profile) -> Candidate:
    """The caller as matching sees them, from their profile as stored now (not the cache)."""
    return Candidate(
        str(profile.member_id),
        agency_key(profile.agency_id),
        profile.slugs,
        profile.opt_in,
        profile.snoozed_until,
    )
