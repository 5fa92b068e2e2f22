"""FAQ retrieval: find the entry answering a chat question, or say honestly there is none.

Two rankings, fused:

- lexical (`lexical`): BM25 candidates over stems and bilingual lexicon concepts, with typo
  correction, and a confidence in 0..1 made of how much of the question the entry covers and
  how much of the entry's phrasing the question contains;
- dense (`hybrid`), when a sentence encoder is available (`encoder`): cosine similarity of the
  question's vector with the entry's phrasings and with the entry as a whole, rescaled with
  anchors measured on the FAQ itself (0: an unrelated entry, 1: a paraphrase).

The fused score is a linear mix of both (a mix weight measured on the tuning set; linear fusion
beat reciprocal rank fusion in an earlier trial, as it keeps how sure each side is). A long
message is ranked by its question sentences (`messages`). The decision (`decision`) turns the
ranking into an answer, suggestions or "I don't know".

The engine is pure: no I/O, entries come in as values and results go out as values. Without an
encoder it is lexical only and needs no numpy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from commands.faq.analysis import content_tokens, looks_like_question
from commands.faq.decision import DENSE_CAP, decide, model_for, ranking_features
from commands.faq.encoder import Encoder, load_encoder, one_blas_thread
from commands.faq.lexical import LexicalIndex, LexicalQuery, Scored
from commands.faq.lexicon import Lexicon
from commands.faq.messages import question_part
from commands.faq.values import (
    DocVectors,
    FaqDoc,
    Hit,
    LocalisedEntry,
    RetrievalConfig,
    SearchResult,
    Verdict,
)

if TYPE_CHECKING:
    import numpy as np

    from commands.faq.hybrid import DenseIndex

__all__ = [
    "DocVectors",
    "FaqDoc",
    "FaqIndex",
    "Hit",
    "LocalisedEntry",
    "RetrievalConfig",
    "Scored",
    "SearchResult",
    "Verdict",
    "looks_like_question",
]


class FaqIndex:
    """An in-memory index of FAQ entries; `add`/`remove` keep it current without a rebuild.

    Not thread-safe (the bot runs on one event loop); searching never mutates entries, only
    memos that updates invalidate.
    """

    def __init__(
        self,
        lexicon: Lexicon | None = None,
        config: RetrievalConfig | None = None,
        encoder: Encoder | None = None,
    ):
        self.config = config or RetrievalConfig()
        self.encoder = encoder if encoder is not None else load_encoder(self.config.encoder)
        self._lexical = LexicalIndex(lexicon, self.config)
        self._dense: DenseIndex | None = None
        if self.encoder.dim:
            from commands.faq.hybrid import DenseIndex  # needs numpy: only with an encoder

            cfg = self.config
            self._dense = DenseIndex(self.encoder, cfg.combined_weight, cfg.translations)
        self.decision = self.config.decision or model_for(self.encoder.name)
        self._docs: dict[int, FaqDoc] = {}

    @classmethod
    def build(
        cls,
        docs: Iterable[FaqDoc],
        lexicon: Lexicon | None = None,
        config: RetrievalConfig | None = None,
        encoder: Encoder | None = None,
    ) -> FaqIndex:
        """An index of `docs`; the texts without a stored vector are encoded in one batch."""
        index = cls(lexicon, config, encoder)
        for doc in docs:
            index.add(doc)
        index.encode_pending()  # now, in the building thread, rather than at the first search
        return index

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, doc_id: int) -> bool:
        return doc_id in self._docs

    @property
    def dense(self) -> bool:
        """Whether this index ranks with sentence vectors too."""
        return self._dense is not None

    def doc(self, doc_id: int) -> FaqDoc:
        return self._docs[doc_id]

    # --- updates -------------------------------------------------------------------------

    def add(self, doc: FaqDoc, vectors: DocVectors | None = None) -> None:
        """Index `doc`, replacing the entry with the same id if there is one.

        `vectors` (else `doc.vectors`) are used for the texts they hold; the others are
        encoded at the next search, in one batch with those of the other entries added since.
        """
        self.remove(doc.id)
        self._lexical.add(doc)
        if self._dense is not None:
            self._dense.add(doc, vectors or doc.vectors)
        self._docs[doc.id] = doc

    def remove(self, doc_id: int) -> bool:
        if self._docs.pop(doc_id, None) is None:
            return False
        self._lexical.remove(doc_id)
        if self._dense is not None:
            self._dense.remove(doc_id)
        return True

    def vectors(self, doc_id: int) -> DocVectors | None:
        """The vectors of an entry's texts, for the storage layer to keep (None: no encoder)."""
        return self._dense.vectors(doc_id) if self._dense is not None else None

    def encode_pending(self) -> None:
        """Encode now the texts of the entries added without vectors (else the next search
        does, in one batch)."""
        if self._dense is not None:
            self._dense.flush()

    # --- search --------------------------------------------------------------------------

    def search(
        self,
        query: str,
        limit: int = 3,
        lang: str | None = None,
        vector: np.ndarray | None = None,
    ) -> SearchResult:
        """Answer (with other possible answers), suggest up to `limit` entries, or admit not
        knowing.

        `lang` is the caller's language (their locale), used to choose the language of the
        reply when the question's own language cannot be told. `vector` is the question's,
        when the caller encoded its `readings` already (see `batching`).
        """
        query_lang = self._lexical.analyser.guess_language(query)
        ruling = decide(self.decision, self._ranked(query, vector), limit)
        if ruling.verdict == "unknown":
            return SearchResult("unknown", (), query_lang)
        reply_lang = query_lang or lang
        hits = tuple(self._hit(s, c, reply_lang) for s, c in ruling.shown)
        return SearchResult(ruling.verdict, hits, query_lang)

    def _hit(self, scored: Scored, confidence: float, reply_lang: str | None) -> Hit:
        doc = self._docs[scored.doc_id]
        lang = reply_lang if reply_lang in doc.languages() else doc.lang
        return Hit(scored.doc_id, round(confidence, 4), scored.matched, lang)

    def readings(self, query: str) -> list[str]:
        """The texts a question's vector is made of (none without an encoder): the whole
        message and its question part, whose vectors are summed."""
        if self._dense is None or not content_tokens(query):
            return []
        return list(dict.fromkeys((query, self._reduced(query))))

    def _reduced(self, query: str) -> str:
        return question_part(query) if self.config.reduce_messages else query

    def rank(self, query: str, vector: np.ndarray | None = None) -> list[Scored]:
        """Candidates for `query`, best fused score first, each with the confidence the
        decision gives it (exposed for evaluation and for "closest entries"). `vector` is the
        sum of the `readings` vectors when the caller has it, else it is encoded here."""
        ranked = self._ranked(query, vector)
        decision = self.decision
        return [
            replace(s, confidence=decision.confidence(ranking_features(ranked, i)))
            for i, s in enumerate(ranked)
        ]

    def _ranked(self, query: str, vector: np.ndarray | None = None) -> list[Scored]:
        """`rank` without each candidate's confidence: a search needs those of the few it
        shows only (`decide` computes them), and copying every candidate cost a tenth of it."""
        if not content_tokens(query):
            return []
        prepared = self._lexical.prepare(self._reduced(query))
        lexical = self._lexical.candidates(prepared, self.config.candidates) if prepared else []
        similar: dict[int, float] = {}
        if self._dense is not None:
            also = [doc_id for doc_id, _ in lexical]
            one_blas_thread()
            if vector is None:
                vector = self._dense.encode_query(self.readings(query))
            similar = self._dense.similarities(vector, self.config.dense_candidates, also)
        return self._fuse(prepared, dict(lexical), similar)

    def _fuse(
        self, prepared: LexicalQuery | None, bm25: dict[int, float], similar: dict[int, float]
    ) -> list[Scored]:
        scored: list[Scored] = []
        for doc_id in bm25.keys() | similar.keys():
            dense = similar.get(doc_id, 0.0)
            if prepared is not None:
                scored.append(self._lexical.score(prepared, doc_id, bm25.get(doc_id, 0.0), dense))
            else:
                scored.append(Scored(doc_id, 0.0, 0.0, 0.0, 0.0, (), dense=dense))
        weight = self.config.dense_weight if self._dense is not None else 0.0
        return fuse(scored, weight, dense=self._dense is not None)


def fuse(candidates: Iterable[Scored], dense_weight: float, dense: bool = True) -> list[Scored]:
    """Candidates with their `fused` score and ranks filled in, best fused score first.

    fused = (1 - w) * lexical confidence + w * rescaled dense similarity (kept in 0..DENSE_CAP:
    below an unrelated entry is no worse than unrelated, above a near copy no better).
    """
    scored = list(candidates)
    by_lexical = sorted(scored, key=lambda s: (-s.lexical, -s.bm25, s.doc_id))
    lexical_rank = {s.doc_id: r for r, s in enumerate(by_lexical, 1) if s.lexical > 0}
    dense_rank: dict[int, int] = {}
    if dense:
        by_dense = sorted(scored, key=lambda s: (-s.dense, s.doc_id))
        dense_rank = {s.doc_id: r for r, s in enumerate(by_dense, 1)}
    ranked = [
        replace(
            s,
            fused=(1 - dense_weight) * s.lexical + dense_weight * _capped(s.dense),
            lexical_rank=lexical_rank.get(s.doc_id, 0),
            dense_rank=dense_rank.get(s.doc_id, 0),
        )
        for s in scored
    ]
    ranked.sort(key=lambda s: (-s.fused, -s.lexical, s.doc_id))
    return ranked


def _capped(dense: float) -> float:
    return min(max(dense, 0.0), DENSE_CAP)
