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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.identity import ChannelRef
from bot.storage.database import Database
from commands.faq.batching import QueryEncoder
from commands.faq.encoder import Encoder, encoder_key, load_encoder
from commands.faq.retrieval import DocVectors, FaqDoc, FaqIndex, RetrievalConfig, SearchResult
from commands.faq.store import vectors as stored_vectors
from commands.faq.store.activity import FaqActivity
from commands.faq.store.entry_rows import (
    EntryDraft,
    EntrySummary,
    FaqEntry,
    ImportCounts,
    advance_sequence,
    all_entries,
    draft_doc,
    insert_entry,
    read_entry,
    update_entry,
)
from commands.faq.store.tables import faq_entries, faq_passive_channels, faq_translations

E, T, P = faq_entries.c, faq_translations.c, faq_passive_channels.c

_FINGERPRINT = select(
    select(func.count()).select_from(faq_entries).scalar_subquery(),
    select(func.coalesce(func.sum(E.id), 0)).scalar_subquery(),
    select(func.max(E.updated_at)).scalar_subquery(),
    select(func.count()).select_from(faq_passive_channels).where(P.enabled).scalar_subquery(),
    select(func.max(P.updated_at)).scalar_subquery(),
)
_ENABLED_CHANNELS = select(P.channel).where(P.enabled)
_SUMMARIES = select(E.id, E.lang, E.question, E.tags).order_by(E.id)
_COUNTS = select(
    select(func.count()).select_from(faq_entries).scalar_subquery(),
    select(func.count(func.distinct(T.entry_id))).scalar_subquery(),
)


@dataclass(frozen=True, slots=True)
class _Loaded:
    index: FaqIndex
    passive: frozenset[str]
    fingerprint: tuple[Any, ...]


class FaqRepo:
    def __init__(
        self, db: Database, config: RetrievalConfig | None = None, encoder: Encoder | None = None
    ) -> None:
        self.db = db
        self.config = config or RetrievalConfig()
        self._encoder = encoder
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

    async def search(self, question: str, lang: str | None = None, limit: int = 3) -> SearchResult:
        """The index's answer, the question encoded with those of concurrent searches (see
        `batching`) when there is an encoder."""
        readings = self.index.readings(question)
        vector = await self._queries.vector(readings) if readings else None
        # The index may have been rebuilt while the question was encoded: same encoder, and
        # the vector is the question's, so it fits the new index as well.
        return self.index.search(question, limit=limit, lang=lang, vector=vector)

    def passive_in(self, channel: ChannelRef) -> bool:
        return self._loaded is not None and str(channel) in self._loaded.passive

    @cached_property
    def _queries(self) -> QueryEncoder:
        return QueryEncoder(self.encoder)

    @property
    def encoder(self) -> Encoder:
        """The sentence encoder of this process's FAQ (loaded once per process)."""
        if self._encoder is None:
            self._encoder = load_encoder(self.config.encoder)
        return self._encoder

    async def load(self) -> int:
        """Build the index from the database and its stored vectors (at start, and when
        another process wrote). Entries whose vectors are missing or were made by another
        encoder (name or version) are encoded and their vectors stored: how many were."""
        async with self._lock:
            async with self.db.read() as conn:
                fingerprint = tuple((await conn.execute(_FINGERPRINT)).one())
                entries = await all_entries(conn)
                known = await stored_vectors.read_all(conn) if self.encoder.dim else {}
                passive = frozenset((await conn.execute(_ENABLED_CHANNELS)).scalars().all())
            docs = [entry.doc(known.get(entry.id)) for entry in entries]
            # Building takes ~0.2 ms per entry: off the event loop, on a fresh index.
            index, fresh = await asyncio.to_thread(self._build, docs)
            if fresh:
                async with self.db.write() as conn:
                    await stored_vectors.write(conn, fresh.items())
            self._loaded, self._stale = _Loaded(index, passive, fingerprint), False
            return len(fresh)

    def _build(self, docs: list[FaqDoc]) -> tuple[FaqIndex, dict[int, DocVectors]]:
        """The index of `docs`, and the vectors it had to make (to be stored)."""
        index = FaqIndex.build(docs, None, self.config, self.encoder)
        key = encoder_key(self.encoder)
        fresh: dict[int, DocVectors] = {}
        for doc in docs if index.dense else ():
            made = index.vectors(doc.id)
            given = doc.vectors
            if made is None:
                continue
            if given is None or given.encoder != key or given.by_text.keys() != made.by_text.keys():
                fresh[doc.id] = made
        return index, fresh

    async def reindex(self) -> int:
        """Encode every entry again and store the vectors (`fedbot faq reindex`): how many."""
        entries = await self.all()
        made = await self._encode([entry.doc() for entry in entries])
        async with self.db.write() as conn:
            written = await stored_vectors.write(
                conn, zip([e.id for e in entries], made, strict=True)
            )
        if self._loaded is not None:
            await self.load()
        return written

    async def _encode(self, docs: list[FaqDoc]) -> list[DocVectors | None]:
        """The vectors of `docs`' texts, encoded in a worker thread (None each: no encoder)."""
        if not self.encoder.dim or not docs:
            return [None] * len(docs)
        from commands.faq.hybrid import encode_docs  # needs numpy: only with an encoder

        made = await asyncio.to_thread(encode_docs, self.encoder, docs, self.config.translations)
        return list(made)

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
        made: Mapping[int, DocVectors | None] = change.get("vectors", {})
        for entry in change.get("put", ()):
            loaded.index.add(entry.doc(made.get(entry.id)))
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
            return await read_entry(conn, entry_id)

    async def all(self) -> list[FaqEntry]:
        async with self.db.read() as conn:
            return await all_entries(conn)

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
        # Encoded before the transaction: the write lock is never held while a model runs.
        [made] = await self._encode([draft_doc(draft)])
        async with self.db.write() as conn:
            before = await _fingerprint(conn)
            entry_id = await insert_entry(conn, None, draft, created_by, now)
            await stored_vectors.write(conn, [(entry_id, made)])
            entry = await read_entry(conn, entry_id)
            after = await _fingerprint(conn)
        assert entry is not None
        self._mirror(before, after, put=[entry], vectors={entry.id: made})
        return entry

    async def update(self, entry_id: int, draft: EntryDraft, now: datetime) -> FaqEntry | None:
        [made] = await self._encode([draft_doc(draft)])
        async with self.db.write() as conn:
            before = await _fingerprint(conn)
            if not await update_entry(conn, entry_id, draft, now):
                return None
            await stored_vectors.write(conn, [(entry_id, made)])
            entry = await read_entry(conn, entry_id)
            after = await _fingerprint(conn)
        assert entry is not None
        self._mirror(before, after, put=[entry], vectors={entry.id: made})
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
        made = await self._encode([draft_doc(draft) for _, draft in drafts])
        vectors: dict[int, DocVectors | None] = {}
        async with self.db.write() as conn:
            before = await _fingerprint(conn)
            existing = {entry.id: entry for entry in await all_entries(conn)}
            by_question = {_question_key(e.draft): e.id for e in existing.values()}
            explicit = False
            for (wanted_id, draft), draft_vectors in zip(drafts, made, strict=True):
                entry_id = wanted_id or by_question.get(_question_key(draft))
                current = existing.get(entry_id) if entry_id is not None else None
                if current is not None and current.draft == draft:
                    continue
                if current is not None:
                    await update_entry(conn, current.id, draft, now)
                    changed.append(replace(current, draft=draft, updated_at=now))
                    updated += 1
                else:
                    entry_id = await insert_entry(conn, wanted_id, draft, None, now)
                    changed.append(FaqEntry(entry_id, draft, None, now, now))
                    explicit |= wanted_id is not None
                    created += 1
                by_question[_question_key(draft)] = changed[-1].id
                vectors[changed[-1].id] = draft_vectors
            await stored_vectors.write(conn, vectors.items())
            if explicit and conn.dialect.name == "postgresql":
                await advance_sequence(conn)
            after = await _fingerprint(conn)
        self._mirror(before, after, put=changed, vectors=vectors)
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
