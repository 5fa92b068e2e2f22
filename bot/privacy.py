"""Personal data (GDPR): everything the bot holds about a member, exported or erased in one place.

Features register an exporter under a name, listing the tables it covers, and an eraser when
they hold something the database's foreign keys do not remove (a cache, a file, a row keyed by
a platform user id rather than `members.id`):

    register_exporter("events", export_rsvps, tables=("event_rsvps", "event_reminders"))
    register_eraser("faq", forget_questions)

`export_member` runs every exporter, then adds, row by row, any table referencing `members.id`
that no exporter covers: a feature that forgot to register still appears in exports.
`erase_member` runs the erasers, then deletes the `members` row; every table references it
ON DELETE CASCADE (or SET NULL where the record must outlive the person, e.g. who created an
event), so nothing about the member is left.

A person is one subject across workspaces (`MemberRepo.subject_of`): `export_subject` is one
JSON document with a schema version and a section per identity, `erase_subject` erases every
identity.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, or_, select

from bot.storage.schema import metadata

if TYPE_CHECKING:
    from bot.services import Services
    from bot.storage.members import Member

Exporter = Callable[["Services", int], Awaitable[Mapping[str, Any]]]
Eraser = Callable[["Services", int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Exporter:
    export: Exporter
    tables: tuple[str, ...]


_EXPORTERS: dict[str, _Exporter] = {}
_ERASERS: dict[str, Eraser] = {}


def register_exporter(name: str, export: Exporter, *, tables: tuple[str, ...] = ()) -> None:
    """Add a section `name` to every export; `tables` are the tables it covers."""
    _register(_EXPORTERS, name, _Exporter(export, tables))


def register_eraser(name: str, erase: Eraser) -> None:
    """Run `erase` before a member's row is deleted."""
    _register(_ERASERS, name, erase)


def _register(registry: dict[str, Any], name: str, value: Any) -> None:
    if registry.setdefault(name, value) != value:
        raise ValueError(f"privacy: {name!r} is registered twice")


def member_tables() -> list[tuple[Table, list[str]]]:
    """Every table with a column referencing `members.id`, with those columns."""
    found = []
    for table in metadata.sorted_tables:
        columns = [
            col.name
            for col in table.columns
            for fk in col.foreign_keys
            if fk.target_fullname == "members.id"
        ]
        if columns:
            found.append((table, columns))
    return found


async def export_member(services: Services, member_id: int) -> dict[str, Any] | None:
    """All data held about the member, as JSON-ready values; None if there is no such member."""
    member = await services.members.get(member_id)
    if member is None:
        return None
    data: dict[str, Any] = {
        "exported_at": services.clock.now(),
        "member": {
            "platform": member.platform,
            "workspace": member.workspace,
            "user_id": member.user_id,
            "display_name": member.display_name,
            "locale": member.locale,
            "created_at": member.created_at,
        },
    }
    covered = {"members"}
    for name, exporter in sorted(_EXPORTERS.items()):
        data[name] = dict(await exporter.export(services, member_id))
        covered.update(exporter.tables)
    others = await _rows_by_table(services, member_id, covered)
    if others:
        data["other_tables"] = others
    return data


async def _rows_by_table(
    services: Services, member_id: int, covered: set[str]
) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    async with services.db.read() as conn:
        for table, columns in member_tables():
            if table.name in covered:
                continue
            query = select(table).where(or_(*(table.c[name] == member_id for name in columns)))
            rows = [dict(r._mapping) for r in await conn.execute(query)]
            if rows:
                found[table.name] = rows
    return found


async def erase_member(services: Services, member_id: int) -> bool:
    """Erase everything about the member; False if there was no such member."""
    for erase in _ERASERS.values():
        await erase(services, member_id)
    return await services.members.erase(member_id)


EXPORT_SCHEMA = "fedbot-personal-data"
EXPORT_VERSION = 1


async def export_subject(services: Services, identities: Sequence[Member]) -> dict[str, Any]:
    """Everything held about a person, every identity of theirs, in one document."""
    exported = []
    for member in identities:
        data = await export_member(services, member.id)
        if data is not None:
            data.pop("exported_at", None)
            exported.append(data)
    return {
        "schema": EXPORT_SCHEMA,
        "version": EXPORT_VERSION,
        "exported_at": services.clock.now(),
        "identities": exported,
    }


async def erase_subject(services: Services, identities: Sequence[Member]) -> int:
    """Erase every identity of a person; returns how many member rows went."""
    erased = 0
    for member in identities:
        erased += await erase_member(services, member.id)
    return erased


def to_json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain).encode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, frozenset | set | tuple):
        return sorted(value) if isinstance(value, frozenset | set) else list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
