"""Dense ranking of FAQ entries with a sentence encoder, on a scale the FAQ itself sets.

Every text of an entry gets a unit vector: its phrasings (question, variants, translated
questions) and its extras (answers, tags joined). An entry's similarity to a question is

    (1 - c) * best cosine with one of its phrasings + c * cosine with the entry's vector,

the entry's vector being the normalised mean of all its texts' vectors: the best phrasing
rewards a question worded like one of them, the whole entry a question about what the answer
says (`combined_weight` = c, measured on the tuning set by bench/faq_fit.py).

Raw cosines mean different things for different FAQs and encoders (a FAQ of near-identical
templated entries has high cosines everywhere). So the similarity is rescaled with two anchors
taken from the FAQ itself, recomputed lazily after updates:

- `unrelated`: the median similarity of an entry's question to another entry (0 on the scale);
- `own`: the median similarity of a phrasing to its own entry when that phrasing is left out
  of it, i.e. what a paraphrase scores (1 on the scale).

Vectors live in row matrices with free-slot reuse, so adding or removing an entry never copies
the others, and a search is two matrix-vector products (phrasings, entries) over all rows.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from commands.faq.encoder import Encoder, unit_rows
from commands.faq.values import DocVectors, FaqDoc

__all__ = ["Anchors", "DenseIndex", "entry_texts"]

ANCHOR_SAMPLE = 200  # entries the anchors are measured on (a deterministic sample)
MIN_OWN_PAIRS = 5  # fewer paraphrase pairs than this: the FAQ cannot tell what `own` is
DEFAULT_SPAN = 0.4  # own - unrelated when it cannot be measured (measured: 0.38 to 0.48)


def entry_texts(doc: FaqDoc, translations: bool = True) -> tuple[list[str], list[str]]:
    """(phrasings, extras) of `doc`: the texts that get a vector, without repeats."""
    phrasings = [doc.question, *doc.variants]
    extras = [doc.answer]
    if translations:
        phrasings += [q for q, _ in doc.translations.values()]
        extras += [a for _, a in doc.translations.values()]
    if doc.tags:
        extras.append(", ".join(doc.tags))
    unique_phrasings = list(dict.fromkeys(t for t in phrasings if t.strip()))
    seen = set(unique_phrasings)
    unique_extras = [t for t in dict.fromkeys(extras) if t.strip() and t not in seen]
    return unique_phrasings, unique_extras


@dataclass(frozen=True)
class Anchors:
    unrelated: float
    own: float

    def rescale(self, similarity: np.ndarray | float) -> np.ndarray | float:
        return (similarity - self.unrelated) / (self.own - self.unrelated)


class _Rows:
    """A growable float32 row matrix; freed rows are zeroed and reused."""

    def __init__(self, dim: int) -> None:
        self.matrix = np.zeros((64, dim), dtype=np.float32)
        self.owner = np.full(64, -1, dtype=np.int64)
        self.used = 0  # rows [used:] have never been allocated
        self._free: list[int] = []

    def put(self, owner: int, vectors: np.ndarray) -> np.ndarray:
        slots = np.array([self._slot() for _ in range(len(vectors))], dtype=np.int64)
        if len(slots):
            self.matrix[slots] = vectors
            self.owner[slots] = owner
        return slots

    def drop(self, slots: np.ndarray) -> None:
        self.matrix[slots] = 0.0
        self.owner[slots] = -1
        self._free.extend(int(s) for s in slots)

    def _slot(self) -> int:
        if self._free:
            return self._free.pop()
        if self.used == len(self.owner):
            grown = len(self.owner) * 2
            self.matrix = np.resize(self.matrix, (grown, self.matrix.shape[1]))
            self.matrix[self.used :] = 0.0
            self.owner = np.concatenate([self.owner, np.full(grown - self.used, -1)])
        self.used += 1
        return self.used - 1


@dataclass(frozen=True)
class _Vectors:
    phrasing_slots: np.ndarray
    extra_slots: np.ndarray
    entry_slot: int
    texts: tuple[str, ...]  # phrasings then extras, in slot order (to hand vectors back)


class DenseIndex:
    """Entry vectors and their search; see the module doc."""

    def __init__(self, encoder: Encoder, combined_weight: float, translations: bool = True):
        self.encoder = encoder
        self.combined_weight = combined_weight
        self.translations = translations
        self._phrasings = _Rows(encoder.dim)
        self._extras = _Rows(encoder.dim)
        self._entries = _Rows(encoder.dim)
        self._docs: dict[int, _Vectors] = {}
        self._anchors: Anchors | None = None  # memo, emptied by every update

    def __contains__(self, doc_id: int) -> bool:
        return doc_id in self._docs

    # --- updates -------------------------------------------------------------------------

    def missing_texts(self, doc: FaqDoc, given: DocVectors | None) -> list[str]:
        """Texts of `doc` whose vector `given` does not hold (all of them without `given`)."""
        phrasings, extras = entry_texts(doc, self.translations)
        known = given.by_text if given and given.encoder == self.encoder.name else {}
        return [t for t in phrasings + extras if t not in known]

    def add(self, doc: FaqDoc, given: DocVectors | None = None) -> None:
        """Store `doc`'s vectors, taken from `given` where it has them, else encoded now."""
        self.remove(doc.id)
        phrasings, extras = entry_texts(doc, self.translations)
        known = dict(given.by_text) if given and given.encoder == self.encoder.name else {}
        missing = [t for t in phrasings + extras if t not in known]
        if missing:
            known.update(zip(missing, self.encoder.encode(missing), strict=True))
        p = self._stack(known[t] for t in phrasings)
        x = self._stack(known[t] for t in extras)
        whole = unit_rows(np.concatenate([p, x]).sum(axis=0))
        self._docs[doc.id] = _Vectors(
            self._phrasings.put(doc.id, p),
            self._extras.put(doc.id, x),
            int(self._entries.put(doc.id, whole)[0]),
            (*phrasings, *extras),
        )
        self._anchors = None

    def _stack(self, vectors: Iterable[np.ndarray]) -> np.ndarray:
        rows = [np.asarray(v, dtype=np.float32).reshape(-1) for v in vectors]
        if not rows:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return unit_rows(np.stack(rows))

    def remove(self, doc_id: int) -> None:
        stored = self._docs.pop(doc_id, None)
        if stored is None:
            return
        self._phrasings.drop(stored.phrasing_slots)
        self._extras.drop(stored.extra_slots)
        self._entries.drop(np.array([stored.entry_slot]))
        self._anchors = None

    def vectors(self, doc_id: int) -> DocVectors:
        """The vectors of an entry's texts, to be stored beside it."""
        stored = self._docs[doc_id]
        rows = [self._phrasings.matrix[s] for s in stored.phrasing_slots]
        rows += [self._extras.matrix[s] for s in stored.extra_slots]
        by_text = {t: r.copy() for t, r in zip(stored.texts, rows, strict=True)}
        return DocVectors(self.encoder.name, by_text)

    # --- search --------------------------------------------------------------------------

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector for a question read several ways (its whole and its question part):
        the mean keeps what each reading says."""
        return unit_rows(self.encoder.encode(list(texts)).sum(axis=0))[0]

    def similarities(
        self, query: np.ndarray, count: int, also: Iterable[int] = ()
    ) -> dict[int, float]:
        """Rescaled similarity of the `count` closest entries, and of the entries in `also`."""
        if not self._docs:
            return {}
        by_phrasing = self._phrasings.matrix[: self._phrasings.used] @ query
        by_entry = self._entries.matrix[: self._entries.used] @ query
        ids = set(also) & self._docs.keys()
        ids |= _top_owners(by_phrasing, self._phrasings.owner, count)
        ids |= _top_owners(by_entry, self._entries.owner, count)
        c = self.combined_weight
        anchors = self.anchors()
        out: dict[int, float] = {}
        for doc_id in ids:
            stored = self._docs[doc_id]
            best = float(by_phrasing[stored.phrasing_slots].max())
            raw = (1 - c) * best + c * float(by_entry[stored.entry_slot])
            out[doc_id] = float(anchors.rescale(raw))
        return out

    # --- anchors -------------------------------------------------------------------------

    def anchors(self) -> Anchors:
        if self._anchors is None:
            self._anchors = self._measure_anchors()
        return self._anchors

    def _measure_anchors(self) -> Anchors:
        # A sample chosen by a hash of the ids: the same entries whatever the order of updates.
        ids = sorted(self._docs, key=lambda i: zlib.crc32(str(i).encode()))[:ANCHOR_SAMPLE]
        unrelated = self._unrelated(ids)
        own = self._own(ids)
        if own is None or own - unrelated < 0.05:
            own = unrelated + DEFAULT_SPAN
        return Anchors(unrelated, own)

    def _entry_score(self, query: np.ndarray, doc_id: int, leave_out: int = -1) -> float:
        """Similarity of `query` (rows) to an entry, optionally without one of its phrasings."""
        stored = self._docs[doc_id]
        p = self._phrasings.matrix[stored.phrasing_slots]
        x = self._extras.matrix[stored.extra_slots]
        whole = np.concatenate([p, x]).sum(axis=0)
        if leave_out >= 0:
            whole = whole - p[leave_out]
            p = np.delete(p, leave_out, axis=0)
        c = self.combined_weight
        return float((1 - c) * (p @ query).max() + c * (unit_rows(whole)[0] @ query))

    def _unrelated(self, ids: list[int]) -> float:
        if len(ids) < 2:
            return 0.0
        questions = [self._phrasings.matrix[self._docs[i].phrasing_slots[0]] for i in ids]
        # Each sampled question against a few other sampled entries (the next ones in the
        # sample's order): enough pairs for a median, without a quadratic cost.
        pairs = [
            self._entry_score(questions[k], ids[(k + step) % len(ids)])
            for k in range(len(ids))
            for step in range(1, min(10, len(ids)))
        ]
        return float(np.median(pairs))

    def _own(self, ids: list[int]) -> float | None:
        scores = [
            self._entry_score(self._phrasings.matrix[slot], doc_id, leave_out=k)
            for doc_id in ids
            if len(slots := self._docs[doc_id].phrasing_slots) > 1
            for k, slot in enumerate(slots)
        ]
        return float(np.median(scores)) if len(scores) >= MIN_OWN_PAIRS else None


def _top_owners(scores: np.ndarray, owners: np.ndarray, count: int) -> set[int]:
    """Owners of the `count` best rows (freed rows, owner -1, never count)."""
    if len(scores) > count:
        top = np.argpartition(-scores, count)[:count]
    else:
        top = np.arange(len(scores))
    return {int(o) for o in owners[top] if o >= 0}
