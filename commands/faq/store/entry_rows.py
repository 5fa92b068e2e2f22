"""FAQ entries as values, and their rows: read, inserted, updated (with their translations).

`commands.faq.store.entries.FaqRepo` is the only writer; these helpers run inside its
transactions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.ids import fresh_id, note_id
from commands.faq.retrieval import DocVectors, FaqDoc
from commands.faq.store.tables import faq_entries, faq_translations

E, T = faq_entries.c, faq_translations.c
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_ENTRY = select(faq_entries).where(E.id == bindparam("entry_id"))
_ENTRY_TRANSLATIONS = select(faq_translations).where(T.entry_id == bindparam("entry_id"))
_ALL_ENTRIES = select(faq_entries).order_by(E.id)
_ALL_TRANSLATIONS = select(faq_translations)


@dataclass(frozen=True)
class EntryDraft:
    """The content of an entry, as a moderator or an import file gives it (already checked).

    `translations` maps another language to its (question, answer).
    """

    lang: str
    question: str
    answer: str
    variants: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    translations: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class FaqEntry:
    id: int
    draft: EntryDraft
    created_by: int | None
    created_at: datetime
    updated_at: datetime

    def doc(self, vectors: DocVectors | None = None) -> FaqDoc:
        d = self.draft
        return FaqDoc(
            self.id, d.lang, d.question, d.answer, d.variants, d.tags, d.translations, vectors
        )


@dataclass(frozen=True, slots=True)
class EntrySummary:
    id: int
    lang: str
    question: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportCounts:
    created: int
    updated: int
    unchanged: int


def draft_doc(draft: EntryDraft) -> FaqDoc:
    """A draft as the engine sees an entry (its id does not matter to its vectors)."""
    return FaqEntry(0, draft, None, _EPOCH, _EPOCH).doc()


def _entry_values(draft: EntryDraft) -> dict[str, Any]:
    return {
        "lang": draft.lang,
        "question": draft.question,
        "answer": draft.answer,
        "variants": list(draft.variants),
        "tags": list(draft.tags),
    }


async def insert_entry(
    conn: AsyncConnection,
    entry_id: int | None,
    draft: EntryDraft,
    created_by: int | None,
    now: datetime,
) -> int:
    values = {**_entry_values(draft), "created_by": created_by, "created_at": now}
    if entry_id is not None:
        values["id"] = entry_id
        await note_id(conn, faq_entries, entry_id)
    elif (fresh := await fresh_id(conn, faq_entries)) is not None:
        values["id"] = fresh
    result = await conn.execute(faq_entries.insert().values(**values, updated_at=now))
    new_id = int(result.inserted_primary_key[0])
    await _write_translations(conn, new_id, draft.translations)
    return new_id


async def update_entry(
    conn: AsyncConnection, entry_id: int, draft: EntryDraft, now: datetime
) -> bool:
    result = await conn.execute(
        faq_entries.update().where(E.id == entry_id).values(**_entry_values(draft), updated_at=now)
    )
    if not result.rowcount:
        return False
    await conn.execute(faq_translations.delete().where(T.entry_id == entry_id))
    await _write_translations(conn, entry_id, draft.translations)
    return True


async def _write_translations(
    conn: AsyncConnection, entry_id: int, translations: Mapping[str, tuple[str, str]]
) -> None:
    rows = [
        {"entry_id": entry_id, "lang": lang, "question": q, "answer": a}
        for lang, (q, a) in sorted(translations.items())
    ]
    if rows:
        await conn.execute(faq_translations.insert(), rows)


async def advance_sequence(conn: AsyncConnection) -> None:
    """PostgreSQL: entries inserted with explicit ids leave the id sequence behind; move it
    past them, or the next `faq add` would collide."""
    sequence = func.pg_get_serial_sequence(faq_entries.name, E.id.name)
    highest = select(func.max(E.id)).scalar_subquery()
    await conn.execute(select(func.setval(sequence, highest)))


async def read_entry(conn: AsyncConnection, entry_id: int) -> FaqEntry | None:
    row = (await conn.execute(_ENTRY, {"entry_id": entry_id})).first()
    if row is None:
        return None
    translations = (await conn.execute(_ENTRY_TRANSLATIONS, {"entry_id": entry_id})).all()
    return build_entry(row, translations)


async def all_entries(conn: AsyncConnection) -> list[FaqEntry]:
    rows = (await conn.execute(_ALL_ENTRIES)).all()
    by_entry: dict[int, list[Any]] = {}
    for t in (await conn.execute(_ALL_TRANSLATIONS)).all():
        by_entry.setdefault(t.entry_id, []).append(t)
    return [build_entry(row, by_entry.get(row.id, ())) for row in rows]


def build_entry(row: Any, translations: Iterable[Any]) -> FaqEntry:
    draft = EntryDraft(
        lang=row.lang,
        question=row.question,
        answer=row.answer,
        variants=tuple(row.variants),
        tags=tuple(row.tags),
        translations={t.lang: (t.question, t.answer) for t in translations},
    )
    return FaqEntry(row.id, draft, row.created_by, row.created_at, row.updated_at)
