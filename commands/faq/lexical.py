"""Lexical ranking of FAQ entries: BM25 candidates, and a confidence made of coverages.

Ranking is BM25 over index terms (stems and lexicon concepts, see `analysis`), with an entry's
question, variants, tags and translated questions as its main text and its answers weighted
down. A typo (a word neither the entries nor the lexicon know) is replaced by the closest
known word, with a confidence discount.

BM25 scores grow with the length of the question, so they cannot be compared with a fixed
threshold. The confidence of a hit is built from two coverages instead, both in 0..1:

- question coverage: the IDF-weighted share of the question's words that the entry contains.
  A two-word question matched on both words is fully covered; a long off-topic message that
  happens to mention `forum` is not.
- phrasing coverage: the IDF-weighted share of the words of the entry's best phrasing (question,
  variant or translation) that the question contains. A long chatty message that contains the
  whole question of an entry is fully covering it, however much it says besides.

This module needs nothing but the standard library and the analysis: it is the whole engine
when no sentence encoder is installed.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from commands.faq.analysis import Analyser, Slot
from commands.faq.lexicon import Lexicon, default_lexicon
from commands.faq.typos import TypoCorrector
from commands.faq.values import FaqDoc, RetrievalConfig

__all__ = ["LexicalIndex", "LexicalQuery", "Scored"]


@dataclass(frozen=True)
class _Group:
    """One slot of the question, with the index terms that can stand for it."""

    surface: str
    terms: Mapping[str, float]  # term -> how surely it stands for the slot (typos < 1)
    weight: float  # IDF of its best term; a word unknown to the FAQ weighs as a rare word


@dataclass(frozen=True)
class _Entry:
    terms: Mapping[str, tuple[float, float]]  # term -> (weighted tf, quality)
    phrasings: tuple[tuple[Slot, ...], ...]
    words: tuple[str, ...]
    length: float
    # every term of each phrasing: one sharing none with a question covers nothing of it, and
    # is skipped without weighing its slots (most of a candidate's phrasings, most of the time)
    phrasing_terms: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class LexicalQuery:
    """A question analysed against the index: its groups, and for each term the groups having
    it. Only valid until the next update of the index."""

    groups: tuple[_Group, ...]
    by_term: Mapping[str, list[tuple[int, float]]]


@dataclass(frozen=True)
class Scored:
    """A candidate with the features its confidence is made of (for evaluation and tuning).

    `confidence` is the lexical confidence below; the index replaces it with the decision's
    confidence once lexical and dense scores are fused (see `retrieval`).
    """

    doc_id: int
    confidence: float
    bm25: float
    query_coverage: float
    phrasing_coverage: float
    matched: tuple[str, ...]
    phrasing_evidence: float = 0.0  # matched IDF of the best phrasing, in rare words
    lexical: float = 0.0  # the lexical confidence (kept when `confidence` is replaced)
    dense: float = 0.0  # rescaled dense similarity (0: the typical unrelated entry, 1: its own)
    fused: float = 0.0  # what the hybrid ranking sorts on
    lexical_rank: int = 0  # 1 = first by lexical confidence among the candidates; 0 = unranked
    dense_rank: int = 0  # 1 = first by dense similarity among the candidates; 0 = unranked


class LexicalIndex:
    """BM25 postings, coverages and typo correction, updated entry by entry."""

    def __init__(self, lexicon: Lexicon | None, config: RetrievalConfig):
        self.config = config
        self.analyser = Analyser(
            (lexicon or default_lexicon()) if config.lexicon else None, config.stemming
        )
        self._entries: dict[int, _Entry] = {}
        self._postings: dict[str, dict[int, tuple[float, float]]] = {}
        self._total_length = 0.0
        self._lengths: dict[int, float] = {}
        self._idfs: dict[str, float] = {}  # memo, emptied by every update
        self._typos = TypoCorrector(self.analyser.lexicon_words)

    def __len__(self) -> int:
        return len(self._entries)

    # --- updates -------------------------------------------------------------------------

    def add(self, doc: FaqDoc) -> None:
        """Index `doc`, replacing the entry with the same id if there is one."""
        if doc.id in self._entries:
            self.remove(doc.id)
        entry = self._analyse_doc(doc)
        self._entries[doc.id] = entry
        self._lengths[doc.id] = entry.length
        for term, value in entry.terms.items():
            self._postings.setdefault(term, {})[doc.id] = value
        self._total_length += entry.length
        self._typos.add(entry.words)
        self._idfs.clear()  # IDF depends on every entry: recomputed lazily, term by term

    def remove(self, doc_id: int) -> bool:
        entry = self._entries.pop(doc_id, None)
        if entry is None:
            return False
        del self._lengths[doc_id]
        for term in entry.terms:
            postings = self._postings[term]
            del postings[doc_id]
            if not postings:
                del self._postings[term]
        self._total_length -= entry.length
        self._typos.remove(entry.words)
        self._idfs.clear()
        return True

    def _fields(self, doc: FaqDoc) -> list[tuple[str, str, bool]]:
        """(text, language, is_phrasing) of every field of `doc` that is indexed."""
        fields = [(doc.question, doc.lang, True)]
        fields += [(v, doc.lang, True) for v in doc.variants]
        fields += [(t, doc.lang, False) for t in doc.tags]
        if self.config.translations:
            for lang, (question, _) in doc.translations.items():
                fields.append((question, lang, True))
        return fields

    def _answers(self, doc: FaqDoc) -> list[tuple[str, str]]:
        answers = [(doc.answer, doc.lang)]
        if self.config.translations:
            answers += [(a, lang) for lang, (_, a) in doc.translations.items()]
        return answers

    def _analyse_doc(self, doc: FaqDoc) -> _Entry:
        terms: dict[str, tuple[float, float]] = {}
        phrasings: list[tuple[Slot, ...]] = []
        words: list[str] = []

        def count(term_list: Iterable[str], weight: float, quality: float) -> None:
            for term in term_list:
                tf, q = terms.get(term, (0.0, 0.0))
                terms[term] = (tf + weight, max(q, quality))

        cfg = self.config
        texts = [
            (text, lang, 1.0, 1.0, is_phrasing) for text, lang, is_phrasing in self._fields(doc)
        ]
        texts += [
            (text, lang, cfg.answer_weight, cfg.answer_quality, False)
            for text, lang in self._answers(doc)
        ]
        for text, lang, weight, quality, is_phrasing in texts:
            analysed = self.analyser.analyse(text, lang)
            count((t for slot in analysed.slots for t in slot.terms), weight, quality)
            count(analysed.inner_terms, weight * cfg.inner_weight, quality * cfg.inner_quality)
            words.extend(analysed.words)
            if is_phrasing and analysed.slots:
                phrasings.append(analysed.slots)
        length = sum(tf for tf, _ in terms.values())
        every_term = tuple(frozenset(t for slot in p for t in slot.terms) for p in phrasings)
        return _Entry(terms, tuple(phrasings), tuple(words), length, every_term)

    # --- search --------------------------------------------------------------------------

    def prepare(self, query: str) -> LexicalQuery | None:
        """The query's groups of terms; None when none of its words is known to the FAQ."""
        groups = self._groups(query)
        if not any(g.terms for g in groups):
            return None
        by_term: dict[str, list[tuple[int, float]]] = {}
        for g, group in enumerate(groups):
            for term, sureness in group.terms.items():
                by_term.setdefault(term, []).append((g, sureness))
        return LexicalQuery(tuple(groups), by_term)

    def candidates(self, query: LexicalQuery, count: int) -> list[tuple[int, float]]:
        """The `count` entries of highest BM25, with it."""
        bm25 = self._bm25(query.groups)
        return heapq.nlargest(count, bm25.items(), key=lambda kv: kv[1])

    def rank(self, query: str) -> list[Scored]:
        """Candidates for `query`, most confident first."""
        prepared = self.prepare(query)
        if prepared is None:
            return []
        best = self.candidates(prepared, self.config.candidates)
        scored = [self.score(prepared, doc_id, raw) for doc_id, raw in best]
        scored.sort(key=lambda s: (-s.confidence, -s.bm25, s.doc_id))
        return scored

    def _idf(self, term: str) -> float:
        idf = self._idfs.get(term)
        if idf is None:
            n = len(self._entries)
            df = len(self._postings.get(term, ()))
            idf = self._idfs[term] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return idf

    def _groups(self, query: str) -> list[_Group]:
        groups: list[_Group] = []
        seen: set[frozenset[str]] = set()
        correct = self._correct if self.config.fuzzy else None
        for slot in self.analyser.analyse(query, correct=correct).slots:
            terms = {t: slot.sureness for t in slot.terms if t in self._postings}
            key = frozenset(terms) if terms else frozenset((slot.surface,))
            if key in seen:
                continue
            seen.add(key)
            weight = max((self._idf(t) for t in terms), default=0.0)
            if not terms:
                weight = self.config.unknown_weight * self._idf_ceiling()
            groups.append(_Group(slot.surface, terms, weight))
        return groups

    def _correct(self, word: str, terms: frozenset[str]) -> tuple[str, float] | None:
        """A known word for a word neither the entries nor the lexicon know (a typo)."""
        if word in self._typos or any(t in self._postings for t in terms):
            return None
        return self._typos.closest(word)

    def _bm25(self, groups: Iterable[_Group]) -> dict[int, float]:
        """BM25 of the entries sharing a term with the question (a group counts its best term).

        Rare groups go first. A common group (a word most entries use) whose postings dwarf the
        candidates found so far only adds to those candidates: an entry matching nothing but
        common words could not be confident anyway, and skipping it keeps latency flat.
        """
        k1, b = self.config.k1, self.config.b
        # BM25's length norm k1 * (1 - b + b * length / average), split so that an update
        # (which moves the average) costs nothing here.
        flat, per_length = k1 * (1 - b), k1 * b * len(self._entries) / (self._total_length or 1)
        lengths = self._lengths
        scores: dict[int, float] = {}

        def size(group: _Group) -> int:
            return sum(len(self._postings[t]) for t in group.terms)

        for group in sorted((g for g in groups if g.terms), key=size):
            best: dict[int, float] = {}
            restrict = len(scores) >= self.config.candidates and size(group) > 4 * len(scores)
            for term, sureness in group.terms.items():
                idf = self._idf(term) * sureness * (k1 + 1)
                postings = self._postings[term]
                if restrict:
                    pairs = ((d, postings[d]) for d in scores if d in postings)
                else:
                    pairs = iter(postings.items())
                for doc_id, (tf, _) in pairs:
                    s = idf * tf / (tf + flat + per_length * lengths[doc_id])
                    if s > best.get(doc_id, 0.0):
                        best[doc_id] = s
            for doc_id, s in best.items():
                scores[doc_id] = scores.get(doc_id, 0.0) + s
        return scores

    def score(
        self, query: LexicalQuery, doc_id: int, bm25: float = 0.0, dense: float = 0.0
    ) -> Scored:
        """The lexical confidence of one entry for `query` (any entry, candidate or not);
        `dense` is passed through (one object per candidate: searching makes many)."""
        entry = self._entries[doc_id]
        groups = query.groups
        total = sum(g.weight for g in groups) or 1.0
        covered = 0.0
        matched: list[str] = []
        for group in groups:
            best = 0.0
            for term, sureness in group.terms.items():
                value = entry.terms.get(term)
                if value is not None:
                    best = max(best, sureness * value[1])
            if best:
                matched.append(group.surface)
            covered += group.weight * best
        query_coverage = covered / total
        by_term = query.by_term
        phrasing_coverage, phrasing_evidence = max(
            (
                self._phrasing_coverage(p, by_term)
                for p, p_terms in zip(entry.phrasings, entry.phrasing_terms, strict=True)
                if not p_terms.isdisjoint(by_term)
            ),
            default=(0.0, 0.0),
        )
        phrasing_evidence /= self._idf_ceiling()
        confidence = _confidence(query_coverage, phrasing_coverage, phrasing_evidence, self.config)
        return Scored(
            doc_id,
            confidence,
            bm25,
            query_coverage,
            phrasing_coverage,
            tuple(matched),
            phrasing_evidence,
            lexical=confidence,
            dense=dense,
        )

    def _phrasing_coverage(
        self, phrasing: tuple[Slot, ...], by_term: Mapping[str, list[tuple[int, float]]]
    ) -> tuple[float, float]:
        """Share of the phrasing's IDF found in the question, and that IDF itself.

        `by_term` maps a term to the question's groups having it. A group covers one slot of
        the phrasing at most: `prix` (a price and a prize) must not cover both `prix` and
        `récompenses` of "Prix et récompenses".
        """
        weights = [max(self._idf(t) for t in slot.terms) for slot in phrasing]
        total = sum(weights)
        used: set[int] = set()
        covered = 0.0
        for k in sorted(range(len(phrasing)), key=weights.__getitem__, reverse=True):
            best, best_group = 0.0, -1
            for term in phrasing[k].terms:
                for g, sureness in by_term.get(term, ()):
                    if sureness > best and g not in used:
                        best, best_group = sureness, g
            if best_group >= 0:
                used.add(best_group)
                covered += weights[k] * best
        return (covered / total if total else 0.0), covered

    def _idf_ceiling(self) -> float:
        """IDF of a word used by a single entry: the unit of evidence."""
        return math.log(1 + (len(self._entries) - 0.5) / 1.5)


def _confidence(qc: float, pc: float, evidence: float, cfg: RetrievalConfig) -> float:
    """Sure when either coverage is high, surer when both are (see the module doc).

    `short` trusts a question the entry explains entirely (keywords, short questions); `long`
    trusts a message that contains an entry's whole phrasing (chatty messages), provided that
    phrasing is specific: matching only one common word is little `evidence` (counted in
    rare words, see `_idf_ceiling`).
    """
    short = qc * (cfg.qc_floor + (1 - cfg.qc_floor) * pc)
    enough = 1 - cfg.evidence_base**evidence
    long = pc * (cfg.pc_floor + (1 - cfg.pc_floor) * qc) * enough
    return max(short, long)
