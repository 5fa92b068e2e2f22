"""FAQ entries, and the in-memory search index that mirrors them.

The repository owns the `faq_entries` table and the one `FaqIndex` of the process: every write
(commands, `fedbot faq import`, the demo loader) goes through here, so none can forget to
update the index. Searching never touches the database; an add/edit/remove updates the index
incrementally (a fraction of a millisecond), never rebuilds it.

Several processes on one database (a bot and `fedbot faq import`, or two bots) are handled by a
fingerprint of the tables (entry count, id sum, last update, passive channels): `refresh()`
compares it with the one the index was built from and rebuilds when another process changed
something. The bot calls it every `[faq] refresh_seconds`; in between, another process's
changes are not seen. Each local write reads the fingerprint before and after itself, inside
its transaction, to tell its own change from someone else's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.identity import ChannelRef
from bot.storage.database import Database
from bot.storage.ids import fresh_id, note_id
from commands.faq.retrieval import FaqDoc, FaqIndex, RetrievalConfig, SearchResult
from commands.faq.store.activity import FaqActivity
from commands.faq.store.tables import faq_entries, faq_passive_channels, faq_translations

E, T, P = faq_entries.c, faq_translations.c, faq_passive_channels.c

_FINGERPRINT = select(
    select(func.count()).select_from(faq_entries).scalar_subquery(),
    select(func.coalesce(func.sum(E.id), 0)).scalar_subquery(),
    select(func.max(E.updated_at)).scalar_subquery(),
    select(func.count()).select_from(faq_passive_channels).where(P.enabled).scalar_subquery(),
    select(func.max(P.updated_at)).scalar_subquery(),
)
_ENTRY = select(faq_entries).where(E.id == bindparam("entry_id"))
_ENTRY_TRANSLATIONS = select(faq_translations).where(T.entry_id == bindparam("entry_id"))
_ALL_ENTRIES = select(faq_entries).order_by(E.id)
_ALL_TRANSLATIONS = select(faq_translations)
_ENABLED_CHANNELS = select(P.channel).where(P.enabled)
_SUMMARIES = select(E.id, E.lang, E.question, E.tags).order_by(E.id)
_COUNTS = select(
    select(func.count()).select_from(faq_entries).scalar_subquery(),
    select(func.count(func.distinct(T.entry_id))).scalar_subquery(),
)


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

    def doc(self) -> FaqDoc:
        d = self.draft
        return FaqDoc(self.id, d.lang, d.question, d.answer, d.variants, d.tags, d.translations)


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


@dataclass(frozen=True, slots=True)
class _Loaded:
    index: FaqIndex
    passive: frozenset[str]
    fingerprint: tuple[Any, ...]


class FaqRepo:
    def __init__(self, db: Database, config: RetrievalConfig | None = None) -> None:
        self.db = db
        self.config = config
        self.activity = FaqActivity(db)
        self._loaded: _Loaded | None = None
        self._stale = False  # another process wrote: rebuild at the next refresh
        self._lock = asyncio.Lock()

    # --- the in-memory side ------------------------------------------------------------

    @property
    def index(self) -> FaqIndex:
        if self._loaded is None:
            raise RuntimeError("FaqRepo.load() first")
        return self._loaded.index

    def search(self, question: str, lang: str | None = None, limit: int = 3) -> SearchResult:
        return self.index.search(question, limit=limit, lang=lang)

    def passive_in(self, channel: ChannelRef) -> bool:
        return self._loaded is not None and str(channel) in self._loaded.passive

    async def load(self) -> None:
        """Build the index from the database (at start, and when another process wrote)."""
        async with self._lock:
            async with self.db.read() as conn:
                fingerprint = tuple((await conn.execute(_FINGERPRINT)).one())
                entries = await _all_entries(conn)
                passive = frozenset((await conn.execute(_ENABLED_CHANNELS)).scalars().all())
            docs = [entry.doc() for entry in entries]
            # Building takes ~0.2 ms per entry: off the event loop, on a fresh index.
            index = await asyncio.to_thread(FaqIndex.build, docs, None, self.config)
            self._loaded, self._stale = _Loaded(index, passive, fingerprint), False

    async def refresh(self) -> bool:
        """Rebuild if the tables changed behind our back; True when it did."""
        async with self.db.read() as conn:
            fingerprint = tuple((await conn.execute(_FINGERPRINT)).one())
        if self._loaded is not None and not self._stale:
            if fingerprint == self._loaded.fingerprint:
                return False
        await self.load()
        return True

    def _mirror(self, before: tuple[Any, ...], after: tuple[Any, ...], **change: Any) -> None:
        """Apply a committed local write to the index; see the module doc for `before`."""
        loaded = self._loaded
        if loaded is None:
            return
        for entry in change.get("put", ()):
            loaded.index.add(entry.doc())
        for entry_id in change.get("drop", ()):
            loaded.index.remove(entry_id)
        passive = set(loaded.passive)
        for channel, enabled in change.get("passive", {}).items():
            (passive.add if enabled else passive.discard)(channel)
        self._stale |= before != loaded.fingerprint
        self._loaded = _Loaded(loaded.index, frozenset(passive), after)

    # --- entries -----------------------------------------------------------------------

    async def get(self, entry_id: int) -> FaqEntry | None:
        async with self.db.read() as conn:
            return await _entry(conn, entry_id)

    async def all(self) -> list[FaqEntry]:
        async with self.db.read() as conn:
            return await _all_entries(conn)

    async def counts(self) -> tuple[int, int]:
        """How many entries, and how many of them have a translation."""
        async with self.db.read() as conn:
            entries, translated = (await conn.execute(_COUNTS)).one()
        return int(entries), int(translated)

    async def summaries(self) -> list[EntrySummary]:
        async with self.db.read() as conn:
            rows = (await conn.execute(_SUMMARIES)).all()
        return [EntrySummary(r.id, r.lang, r.question, tuple(r.tags)) for r in rows]

    async def add(self, draft: EntryDraft, created_by: int | None, now: datetime) -> FaqEntry:
        async with self.db.write() as conn:
            before = await _fingerprint(conn)
            entry_id = await _insert(conn, None, draft, created_by, now)
            entry = await _entry(conn, entry_id)
            after = await _fingerprint(conn)
        assert entry is not None
        self._mirror(before, after, put=[entry])
        return entry

    async def update(self, entry_id: int, draft: EntryDraft, now: datetime) -> FaqEntry | None:
        async with self.db.write() as conn:
            before = await _fingerprint(conn)
            if not await _update(conn, entry_id, draft, now):
                return None
            entry = await _entry(conn, entry_id)
            after = await _fingerprint(conn)
        assert entry is not None
        self._mirror(before, after, put=[entry])
        return entry

    async def remove(self, entry_id: int) -> bool:
        async with self.db.write() as conn:
            before = await _fingerprint(conn)
            result = await conn.execute(faq_entries.delete().where(E.id == entry_id))
            after = await _fingerprint(conn)
        if result.rowcount:
            self._mirror(before, after, drop=[entry_id])
        return bool(result.rowcount)

    async def import_drafts(
        self, drafts: Sequence[tuple[int | None, EntryDraft]], now: datetime
    ) -> ImportCounts:
        """Create or update every entry in ONE transaction: all of them or none.

        An entry with an id updates the entry with that id (created with that id if there is
        none); one without matches an entry with the same question and language, else is new.
        Entries whose content is already the same are left alone (not even `updated_at`).
        """
        changed: list[FaqEntry] = []
        created = updated = 0
        async with self.db.write() as conn:
            before = await _fingerprint(conn)
            existing = {entry.id: entry for entry in await _all_entries(conn)}
            by_question = {_question_key(e.draft): e.id for e in existing.values()}
            explicit = False
            for wanted_id, draft in drafts:
                entry_id = wanted_id or by_question.get(_question_key(draft))
                current = existing.get(entry_id) if entry_id is not None else None
                if current is not None and current.draft == draft:
                    continue
                if current is not None:
                    await _update(conn, current.id, draft, now)
                    changed.append(replace(current, draft=draft, updated_at=now))
                    updated += 1
                else:
                    entry_id = await _insert(conn, wanted_id, draft, None, now)
                    changed.append(FaqEntry(entry_id, draft, None, now, now))
                    explicit |= wanted_id is not None
                    created += 1
                by_question[_question_key(draft)] = changed[-1].id
            if explicit and conn.dialect.name == "postgresql":
                await _advance_sequence(conn)
            after = await _fingerprint(conn)
        self._mirror(before, after, put=changed)
        return ImportCounts(created, updated, len(drafts) - created - updated)

    # --- passive mode ------------------------------------------------------------------

    async def set_passive(
        self, channel: ChannelRef, enabled: bool, member_id: int | None, now: datetime
    ) -> None:
        key = str(channel)
        values = {"enabled": enabled, "updated_at": now, "updated_by": member_id}
        async with self.db.write() as conn:
            before = await _fingerprint(conn)
            result = await conn.execute(
                faq_passive_channels.update().where(P.channel == key).values(**values)
            )
            if not result.rowcount:
                await conn.execute(faq_passive_channels.insert().values(channel=key, **values))
            after = await _fingerprint(conn)
        self._mirror(before, after, passive={key: enabled})


def _question_key(draft: EntryDraft) -> tuple[str, str]:
    return draft.lang, " ".join(draft.question.casefold().split())


async def _fingerprint(conn: AsyncConnection) -> tuple[Any, ...]:
    return tuple((await conn.execute(_FINGERPRINT)).one())


def _entry_values(draft: EntryDraft) -> dict[str, Any]:
    return {
        "lang": draft.lang,
        "question": draft.question,
        "answer": draft.answer,
        "variants": list(draft.variants),
        "tags": list(draft.tags),
    }


async def _insert(
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


async def _update(conn: AsyncConnection, entry_id: int, draft: EntryDraft, now: datetime) -> bool:
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


async def _advance_sequence(conn: AsyncConnection) -> None:
    """PostgreSQL: entries inserted with explicit ids leave the id sequence behind; move it
    past them, or the next `faq add` would collide."""
    sequence = func.pg_get_serial_sequence(faq_entries.name, E.id.name)
    highest = select(func.max(E.id)).scalar_subquery()
    await conn.execute(select(func.setval(sequence, highest)))


async def _entry(conn: AsyncConnection, entry_id: int) -> FaqEntry | None:
    row = (await conn.execute(_ENTRY, {"entry_id": entry_id})).first()
    if row is None:
        return None
    translations = (await conn.execute(_ENTRY_TRANSLATIONS, {"entry_id": entry_id})).all()
    return _build(row, translations)


async def _all_entries(conn: AsyncConnection) -> list[FaqEntry]:
    rows = (await conn.execute(_ALL_ENTRIES)).all()
    by_entry: dict[int, list[Any]] = {}
    for t in (await conn.execute(_ALL_TRANSLATIONS)).all():
        by_entry.setdefault(t.entry_id, []).append(t)
    return [_build(row, by_entry.get(row.id, ())) for row in rows]


def _build(row: Any, translations: Iterable[Any]) -> FaqEntry:
    draft = EntryDraft(
        lang=row.lang,
        question=row.question,
        answer=row.answer,
        variants=tuple(row.variants),
        tags=tuple(row.tags),
        translations={t.lang: (t.question, t.answer) for t in translations},
    )
    return FaqEntry(row.id, draft, row.created_by, row.created_at, row.updated_at)
