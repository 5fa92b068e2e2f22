"""Who may do what: config grants -> a caller's `Access`, checked in the core, once.

Rights have two shapes. Federation-wide: staff and admins (everything), FAQ editors (the FAQ's
content). Per agency: a moderator moderates the agencies whose `[[agencies]] moderators` name
them, and a feature checks that against the object acted on (the event's organising agency,
the digest's channel's agency), never against the channel the command was typed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.grants import Grant, parse_grant
from bot.identity import Caller
from bot.settings import AgencySeed, RoleSettings
from bot.spec import Role


@dataclass(frozen=True, slots=True)
class Access:
    """A caller's rights. `rank` is MEMBER, STAFF or ADMIN; `moderates` holds agency ids;
    `every_agency` is the console operator's `--as moderator`."""

    rank: Role = Role.MEMBER
    moderates: frozenset[int] = frozenset()
    faq_editor: bool = False
    every_agency: bool = False

    @property
    def is_staff(self) -> bool:
        return self.rank >= Role.STAFF

    @property
    def is_moderator(self) -> bool:
        """Moderates at least one agency (or is staff)."""
        return self.is_staff or self.every_agency or bool(self.moderates)

    @property
    def role(self) -> Role:
        """The highest role, to name it (help, logs)."""
        if self.is_staff:
            return self.rank
        if self.faq_editor:
            return Role.FAQ_EDITOR
        return Role.MODERATOR if self.is_moderator else Role.MEMBER

    def may(self, role: Role) -> bool:
        """May use a command that requires `role`."""
        if role is Role.MODERATOR:
            return self.is_moderator
        if role is Role.FAQ_EDITOR:
            return self.is_staff or self.faq_editor
        return self.rank >= role

    def moderates_agency(self, agency_id: int | None) -> bool:
        """Staff moderate every agency; a moderator the agencies granted to them. Nobody but
        staff acts on what belongs to no agency."""
        if self.is_staff:
            return True
        if agency_id is None:
            return False
        return self.every_agency or agency_id in self.moderates


@dataclass(frozen=True, slots=True)
class _Entry:
    grant: Grant
    rank: Role = Role.MEMBER
    faq_editor: bool = False
    agency: str | None = None


def assumed_access(role: Role, agencies: frozenset[int] | None = None) -> Access:
    """What the console operator's `--as ROLE` gives: that role, as a moderator over the
    agencies chosen with `--agency` (every agency when none is)."""
    if role is Role.MODERATOR:
        if agencies is not None:
            return Access(moderates=agencies)
        return Access(every_agency=True)
    if role is Role.FAQ_EDITOR:
        return Access(faq_editor=True)
    return Access(rank=role if role >= Role.STAFF else Role.MEMBER)


class RoleBook:
    """Grants indexed by the id they name (a user, a Slack user group, a Discord role)."""

    def __init__(self, roles: RoleSettings, agencies: Sequence[AgencySeed] = ()) -> None:
        self._by_ident: dict[tuple[str, str], list[_Entry]] = {}
        for rank in (Role.STAFF, Role.ADMIN):
            for text in getattr(roles, rank.key):
                self._add(_Entry(parse_grant(text), rank=rank))
        for text in roles.faq_editor:
            self._add(_Entry(parse_grant(text), faq_editor=True))
        for seed in agencies:
            for text in seed.moderators:
                self._add(_Entry(parse_grant(text), agency=seed.name))
        self._agency_ids: dict[str, int] = {}

    def _add(self, entry: _Entry) -> None:
        self._by_ident.setdefault((entry.grant.platform, entry.grant.ident), []).append(entry)

    def bind_agencies(self, ids: Mapping[str, int]) -> None:
        """Agency names -> ids, once the configured agencies exist in the database."""
        self._agency_ids = dict(ids)

    @property
    def moderated_agencies(self) -> list[str]:
        return sorted({e.agency for es in self._by_ident.values() for e in es if e.agency})

    def access_for(self, caller: Caller) -> Access:
        if caller.assumed_role is not None:
            return assumed_access(caller.assumed_role, caller.assumed_agencies)
        rank, editor, agencies = Role.MEMBER, False, set()
        for entry in self._entries(caller):
            rank = max(rank, entry.rank)
            editor |= entry.faq_editor
            if entry.agency is not None and entry.agency in self._agency_ids:
                agencies.add(self._agency_ids[entry.agency])
        return Access(rank=rank, moderates=frozenset(agencies), faq_editor=editor)

    def _entries(self, caller: Caller) -> Iterable[_Entry]:
        for ident in (caller.user_id, *caller.groups):
            for entry in self._by_ident.get((caller.platform, ident), ()):
                if entry.grant.matches(caller):
                    yield entry
