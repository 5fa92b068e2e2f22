"""Bulk import of members and their profiles (`fedbot members import FILE.csv`).

Everything is written in ONE transaction, in chunks of statements: a failure anywhere leaves
the database as it was. Re-importing the same file changes nothing, and says so (a row whose
name, agency, opt-in and interests are already stored is counted unchanged, not updated); a
member who edited their profile themselves keeps it (an import never overrides their own
choices, opt-in included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.members import members
from commands.profile.store.profiles import ProfileRepo, Tag, profile_tags, profiles

CHUNK = 500
m, p, pt = members.c, profiles.c, profile_tags.c

_UPDATE_NAME = (
    members.update().where(m.id == bindparam("b_id")).values(display_name=bindparam("b_name"))
)
_UPDATE_PROFILE = (
    profiles.update()
    .where(p.member_id == bindparam("b_id"))
    .values(
        agency_id=bindparam("b_agency"),
        opt_in=bindparam("b_opt_in"),
        updated_at=bindparam("b_now"),
        revision=p.revision + 1,
    )
)


@dataclass(frozen=True, slots=True)
class ImportedMember:
    platform: str
    workspace: str
    user_id: str
    display_name: str
    agency_id: int | None
    opt_in: bool
    tags: tuple[Tag, ...]

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.platform, self.workspace, self.user_id)


@dataclass(frozen=True, slots=True)
class ImportCounts:
    created: int = 0  # new profiles
    updated: int = 0  # profiles set by an earlier import, updated
    kept: int = 0  # profiles the member edited themselves: left as they are
    unchanged: int = 0  # profiles an earlier import set exactly so: nothing written

    def __add__(self, other: ImportCounts) -> ImportCounts:
        return ImportCounts(
            self.created + other.created,
            self.updated + other.updated,
            self.kept + other.kept,
            self.unchanged + other.unchanged,
        )


async def import_members(
    repo: ProfileRepo,
    rows: Sequence[ImportedMember],
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportCounts:
    counts = ImportCounts()
    async with repo.db.write() as conn:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            counts += await _import_chunk(conn, chunk, now)
            if progress is not None:
                progress(len(chunk))
    repo.invalidate()
    return counts


async def _import_chunk(
    conn: AsyncConnection, rows: Sequence[ImportedMember], now: datetime
) -> ImportCounts:
    ids, renamed = await _ensure_members(conn, rows, now)
    member_ids = list(ids.values())
    found = await conn.execute(
        select(p.member_id, p.edited_by_member, p.agency_id, p.opt_in).where(
            p.member_id.in_(member_ids)
        )
    )
    existing = {r.member_id: r for r in found}
    todo = [
        r for r in rows if not (row := existing.get(ids[r.identity])) or not row.edited_by_member
    ]
    new = [r for r in todo if ids[r.identity] not in existing]
    new_ids = {r.identity for r in new}
    stored_tags = await _tags_of(conn, [ids[r.identity] for r in todo if r.identity not in new_ids])
    old = [
        r
        for r in todo
        if r.identity not in new_ids
        and (
            r.identity in renamed
            or _profile_changed(r, existing[ids[r.identity]], stored_tags[ids[r.identity]])
        )
    ]
    unchanged = len(todo) - len(new) - len(old)
    if new:
        await conn.execute(
            profiles.insert(),
            [
                {
                    "member_id": ids[r.identity],
                    "agency_id": r.agency_id,
                    "opt_in": r.opt_in,
                    "updated_at": now,
                }
                for r in new
            ],
        )
    if old:
        await conn.execute(
            _UPDATE_PROFILE,
            [
                {"b_id": ids[r.identity], "b_agency": r.agency_id, "b_opt_in": r.opt_in}
                | {"b_now": now}
                for r in old
            ],
        )
    await _replace_tags(conn, [(ids[r.identity], r.tags) for r in [*new, *old]])
    return ImportCounts(len(new), len(old), len(rows) - len(todo), unchanged)


def _stored(tags: Iterable[Tag]) -> frozenset[tuple[str, str]]:
    return frozenset((tag.slug[:60], tag.display[:40]) for tag in tags)


def _profile_changed(row: ImportedMember, stored: Any, tags: frozenset[tuple[str, str]]) -> bool:
    return (
        stored.agency_id != row.agency_id
        or bool(stored.opt_in) != row.opt_in
        or tags != _stored(row.tags)
    )


async def _tags_of(
    conn: AsyncConnection, member_ids: list[int]
) -> dict[int, frozenset[tuple[str, str]]]:
    found: dict[int, set[tuple[str, str]]] = {i: set() for i in member_ids}
    if member_ids:
        query = select(pt.member_id, pt.slug, pt.display).where(pt.member_id.in_(member_ids))
        for r in await conn.execute(query):
            found[r.member_id].add((r.slug, r.display))
    return {i: frozenset(tags) for i, tags in found.items()}


async def _ensure_members(
    conn: AsyncConnection, rows: Sequence[ImportedMember], now: datetime
) -> tuple[dict[tuple[str, str, str], int], set[tuple[str, str, str]]]:
    """Member ids for `rows`, creating the missing ones and refreshing display names; also
    the identities whose name changed."""
    names = await _member_ids(conn, [r.identity for r in rows])
    ids = {identity: member_id for identity, (member_id, _) in names.items()}
    missing = [r for r in rows if r.identity not in ids]
    if missing:
        await conn.execute(
            members.insert(),
            [
                {
                    "platform": r.platform,
                    "workspace": r.workspace,
                    "user_id": r.user_id,
                    "display_name": r.display_name,
                    "created_at": now,
                }
                for r in missing
            ],
        )
        added = await _member_ids(conn, [r.identity for r in missing])
        ids |= {identity: member_id for identity, (member_id, _) in added.items()}
    renamed = [
        r for r in rows if r.identity in names and r.display_name not in ("", names[r.identity][1])
    ]
    if renamed:
        await conn.execute(
            _UPDATE_NAME, [{"b_id": ids[r.identity], "b_name": r.display_name} for r in renamed]
        )
    return ids, {r.identity for r in renamed}


async def _member_ids(
    conn: AsyncConnection, identities: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], tuple[int, str]]:
    wanted = list(identities)
    query = select(m.id, m.platform, m.workspace, m.user_id, m.display_name).where(
        tuple_(m.platform, m.workspace, m.user_id).in_(wanted)
    )
    return {
        (r.platform, r.workspace, r.user_id): (r.id, r.display_name)
        for r in await conn.execute(query)
    }


async def _replace_tags(conn: AsyncConnection, tags: Sequence[tuple[int, tuple[Tag, ...]]]) -> None:
    if not tags:
        return
    await conn.execute(profile_tags.delete().where(pt.member_id.in_([i for i, _ in tags])))
    rows = [
        {"member_id": member_id, "slug": tag.slug[:60], "display": tag.display[:40]}
        for member_id, member_tags in tags
        for tag in member_tags
    ]
    if rows:
        await conn.execute(profile_tags.insert(), rows)
