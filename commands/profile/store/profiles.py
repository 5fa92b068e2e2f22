"""Member profiles: agency, organisation, role, interests, languages, consent to be matched.

A profile belongs to a `members` row (ON DELETE CASCADE: erasing the member erases it, and its
tags with it). Only what matching and `profile show` need is stored. `opt_in` is False until the
member says yes; `visible` (others may read my profile) too. `edited_by_member` records that
the member set their profile themselves: a CSV re-import then leaves it alone, so an import
can never opt back in someone who opted out.

Tables: commands/profile/store/tables.py. `snapshot()` gives the tags of every opted-in member
and the use of every tag, cached in memory and rebuilt only when profiles change
(commands/profile/store/snapshot.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.agencies import agencies
from bot.storage.database import Database
from bot.storage.members import members
from commands.profile.store.snapshot import Snapshot, SnapshotCache
from commands.profile.store.tables import profile_tags, profiles

p, pt, m = profiles.c, profile_tags.c, members.c

# Built once: constructing a SELECT costs more than running it on SQLite.
_GET = (
    select(profiles, agencies.c.name.label("agency_name"))
    .select_from(profiles.outerjoin(agencies, agencies.c.id == p.agency_id))
    .where(p.member_id == bindparam("b_member"))
)
_TAGS = select(pt.slug, pt.display).where(pt.member_id == bindparam("b_member"))
_CARDS = (
    select(
        p.member_id,
        p.agency_id,
        p.organisation,
        p.role,
        p.description,
        p.opt_in,
        p.visible,
        p.open_intros,
        m.platform,
        m.workspace,
        m.user_id,
        m.display_name,
        m.locale,
        agencies.c.name.label("agency_name"),
    )
    .select_from(profiles.join(members).outerjoin(agencies, agencies.c.id == p.agency_id))
    .where(p.member_id.in_(bindparam("b_members", expanding=True)))
)
_CARD_TAGS = select(pt.member_id, pt.slug, pt.display).where(
    pt.member_id.in_(bindparam("b_members", expanding=True))
)


@dataclass(frozen=True, slots=True)
class Tag:
    slug: str
    display: str  # as the member (or the federation's vocabulary) spells it


@dataclass(frozen=True, slots=True)
class Profile:
    member_id: int
    agency_id: int | None
    agency_name: str | None
    organisation: str
    role: str
    description: str
    languages: tuple[str, ...]
    opt_in: bool
    visible: bool
    open_intros: bool
    snoozed_until: datetime | None
    tags: tuple[Tag, ...]
    updated_at: datetime

    @property
    def slugs(self) -> frozenset[str]:
        return frozenset(tag.slug for tag in self.tags)


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """What `profile set` changes; None leaves a field as it is."""

    agency_id: int | None = None
    clear_agency: bool = False
    organisation: str | None = None
    role: str | None = None
    description: str | None = None
    languages: tuple[str, ...] | None = None
    opt_in: bool | None = None
    visible: bool | None = None
    open_intros: bool | None = None
    tags: tuple[Tag, ...] | None = None

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.agency_id is not None or self.clear_agency:
            out["agency_id"] = self.agency_id
        for name in ("organisation", "role", "description", "opt_in", "visible", "open_intros"):
            if (value := getattr(self, name)) is not None:
                out[name] = value
        if self.languages is not None:
            out["languages"] = ",".join(self.languages)
        return out


@dataclass(frozen=True, slots=True)
class Card:
    """What others see of a member in a suggestion or an introduction."""

    member_id: int
    display_name: str
    platform: str
    workspace: str
    user_id: str
    locale: str
    agency_id: int | None
    agency_name: str | None
    organisation: str
    role: str
    description: str  # empty unless the member made their profile visible
    opt_in: bool
    open_intros: bool
    tags: tuple[Tag, ...]


class ProfileRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._snapshots = SnapshotCache(db)

    def invalidate(self) -> None:
        """Forget the snapshot (after a local write, or an erasure through members)."""
        self._snapshots.invalidate()

    async def snapshot(self) -> Snapshot:
        """Opted-in members' tags and the use of each tag (cached: see profile_snapshot.py)."""
        return await self._snapshots.get()

    async def get(self, member_id: int) -> Profile | None:
        async with self.db.read() as conn:
            row = (await conn.execute(_GET, {"b_member": member_id})).first()
            if row is None:
                return None
            tags = (await conn.execute(_TAGS, {"b_member": member_id})).all()
        return _profile(row, tuple(Tag(t.slug, t.display) for t in tags))

    async def save(self, member_id: int, changes: ProfileChanges, now: datetime) -> Profile:
        """Create or change the member's own profile (marked as edited by the member)."""
        values = {**changes.values(), "edited_by_member": True, "updated_at": now}
        async with self.db.write() as conn:
            await _upsert(conn, member_id, values)
            if changes.tags is not None:
                await _replace_tags(conn, [member_id], {member_id: changes.tags})
        self.invalidate()
        saved = await self.get(member_id)
        assert saved is not None
        return saved

    async def snooze(self, member_id: int, until: datetime | None, now: datetime) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(
                profiles.update()
                .where(p.member_id == member_id)
                .values(snoozed_until=until, updated_at=now, revision=p.revision + 1)
            )
        self.invalidate()
        return result.rowcount > 0

    async def cards(self, member_ids: Iterable[int]) -> dict[int, Card]:
        ids = list(dict.fromkeys(member_ids))
        if not ids:
            return {}
        async with self.db.read() as conn:
            rows = (await conn.execute(_CARDS, {"b_members": ids})).all()
            tag_rows = (await conn.execute(_CARD_TAGS, {"b_members": ids})).all()
        tags: dict[int, list[Tag]] = defaultdict(list)
        for t in tag_rows:
            tags[t.member_id].append(Tag(t.slug, t.display))
        return {r.member_id: _card(r, tuple(tags[r.member_id])) for r in rows}

    async def count(self, *, opted_in: bool | None = None) -> int:
        query = select(func.count()).select_from(profiles)
        if opted_in is not None:
            query = query.where(p.opt_in.is_(opted_in))
        async with self.db.read() as conn:
            return int((await conn.execute(query)).scalar() or 0)

    async def round_population(self, platform: str, workspace: str) -> list[RoundMember]:
        """Opted-in members of one workspace, with their tags and snooze (for a round)."""
        here = (m.platform == platform, m.workspace == workspace, p.opt_in.is_(True))
        people = (
            select(p.member_id, p.agency_id, p.snoozed_until)
            .select_from(profiles.join(members))
            .where(*here)
        )
        tags = select(pt.member_id, pt.slug).select_from(profile_tags.join(profiles).join(members))
        async with self.db.read() as conn:
            rows = (await conn.execute(people)).all()
            tag_rows = (await conn.execute(tags.where(*here))).all()
        by_member: dict[int, list[str]] = defaultdict(list)
        for member_id, slug in tag_rows:
            by_member[member_id].append(slug)
        return [
            RoundMember(
                r.member_id, r.agency_id, frozenset(by_member[r.member_id]), r.snoozed_until
            )
            for r in rows
        ]


@dataclass(frozen=True, slots=True)
class RoundMember:
    member_id: int
    agency_id: int | None
    tags: frozenset[str]
    snoozed_until: datetime | None


async def _upsert(conn: AsyncConnection, member_id: int, values: Mapping[str, Any]) -> None:
    exists = (await conn.execute(select(p.member_id).where(p.member_id == member_id))).first()
    if exists:
        await conn.execute(
            profiles.update()
            .where(p.member_id == member_id)
            .values(**values, revision=p.revision + 1)
        )
    else:
        await conn.execute(profiles.insert().values(member_id=member_id, **values))


async def _replace_tags(
    conn: AsyncConnection, member_ids: list[int], tags: Mapping[int, Sequence[Tag]]
) -> None:
    for chunk in _chunks(member_ids):
        await conn.execute(profile_tags.delete().where(pt.member_id.in_(chunk)))
    rows = [
        {"member_id": member_id, "slug": tag.slug[:60], "display": tag.display[:40]}
        for member_id in member_ids
        for tag in tags.get(member_id, ())
    ]
    if rows:
        await conn.execute(profile_tags.insert(), rows)


def _chunks(items: list[int], size: int = 500) -> Iterable[list[int]]:
    # Bounded IN lists: SQLite caps bound parameters (32,766), PostgreSQL prefers short lists.
    return (items[i : i + size] for i in range(0, len(items), size))


def _profile(row: Any, tags: tuple[Tag, ...]) -> Profile:
    return Profile(
        member_id=row.member_id,
        agency_id=row.agency_id,
        agency_name=row.agency_name,
        organisation=row.organisation,
        role=row.role,
        description=row.description,
        languages=tuple(code for code in row.languages.split(",") if code),
        opt_in=bool(row.opt_in),
        visible=bool(row.visible),
        open_intros=bool(row.open_intros),
        snoozed_until=row.snoozed_until,
        tags=tags,
        updated_at=row.updated_at,
    )


def _card(row: Any, tags: tuple[Tag, ...]) -> Card:
    return Card(
        member_id=row.member_id,
        display_name=row.display_name or row.user_id,
        platform=row.platform,
        workspace=row.workspace,
        user_id=row.user_id,
        locale=row.locale,
        agency_id=row.agency_id,
        agency_name=row.agency_name,
        organisation=row.organisation,
        role=row.role,
        description=row.description if row.visible else "",
        opt_in=bool(row.opt_in),
        open_intros=bool(row.open_intros),
        tags=tags,
    )
