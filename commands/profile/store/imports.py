"""Bulk import of members and their profiles (`fedbot members import FILE.csv`).

Everything is written in ONE transaction, in chunks of statements: a failure anywhere leaves
the database as it was. Re-importing the same file changes nothing; a member who edited their
profile themselves keeps it (an import never overrides their own choices, opt-in included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

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


async def import_members(
    repo: ProfileRepo,
    rows: Sequence[ImportedMember],
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportCounts:
    created = updated = kept = 0
    async with repo.db.write() as conn:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            done = await _import_chunk(conn, chunk, now)
            created, updated, kept = (
                created + done.created,
                updated + done.updated,
                kept + done.kept,
            )
            if progress is not None:
                progress(len(chunk))
    repo.invalidate()
    return ImportCounts(created, updated, kept)


async def _import_chunk(
    conn: AsyncConnection, rows: Sequence[ImportedMember], now: datetime
) -> ImportCounts:
    ids = await _ensure_members(conn, rows, now)
    member_ids = list(ids.values())
    found = await conn.execute(
        select(p.member_id, p.edited_by_member).where(p.member_id.in_(member_ids))
    )
    existing = {r.member_id: bool(r.edited_by_member) for r in found}
    todo = [r for r in rows if not existing.get(ids[r.identity], False)]
    new = [r for r in todo if ids[r.identity] not in existing]
    old = [r for r in todo if ids[r.identity] in existing]
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
    await _replace_tags(conn, [(ids[r.identity], r.tags) for r in todo])
    return ImportCounts(len(new), len(old), len(rows) - len(todo))


async def _ensure_members(
    conn: AsyncConnection, rows: Sequence[ImportedMember], now: datetime
) -> dict[tuple[str, str, str], int]:
    """Member ids for `rows`, creating the missing ones and refreshing display names."""
    ids = await _member_ids(conn, [r.identity for r in rows])
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
        ids |= await _member_ids(conn, [r.identity for r in missing])
    created = {r.identity for r in missing}
    renamed = [r for r in rows if r.display_name and r.identity not in created]
    if renamed:
        await conn.execute(
            _UPDATE_NAME, [{"b_id": ids[r.identity], "b_name": r.display_name} for r in renamed]
        )
    return ids


async def _member_ids(
    conn: AsyncConnection, identities: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], int]:
    wanted = list(identities)
    query = select(m.id, m.platform, m.workspace, m.user_id).where(
        tuple_(m.platform, m.workspace, m.user_id).in_(wanted)
    )
    return {(r.platform, r.workspace, r.user_id): r.id for r in await conn.execute(query)}


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
