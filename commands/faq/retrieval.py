"""FAQ retrieval: find the entry answering a chat question, or say honestly there is none.

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

Thresholds on that confidence choose between answering, suggesting the closest entries, and
saying "I don't know"; they were tuned on the dev half of the evaluation set (bench/faq.py).
The engine is pure: no I/O, entries come in as values and results go out as values.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from commands.faq.analysis import Analyser, Slot, TypoCorrector, looks_like_question
from commands.faq.lexicon import Lexicon, default_lexicon

__all__ = [
    "FaqDoc",
    "FaqIndex",
    "Hit",
    "LocalisedEntry",
    "RetrievalConfig",
    "SearchResult",
    "Verdict",
    "looks_like_question",
]

Verdict = Literal["answer", "suggest", "unknown"]


@dataclass(frozen=True)
class LocalisedEntry:
    lang: str
    question: str
    answer: str


@dataclass(frozen=True)
class FaqDoc:
    """One FAQ entry as the storage layer hands it over.

    `translations` maps a language to its (question, answer); `variants` are other ways people
    ask the same question; `tags` are keywords.
    """

    id: int
    lang: str
    question: str
    answer: str
    variants: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    translations: Mapping[str, tuple[str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def languages(self) -> tuple[str, ...]:
        return (self.lang, *(lang for lang in self.translations if lang != self.lang))

    def localised(self, lang: str | None) -> LocalisedEntry:
        """The entry in `lang` when it has that translation, else in its own language."""
        if lang and lang != self.lang and lang in self.translations:
            question, answer = self.translations[lang]
            return LocalisedEntry(lang, question, answer)
        return LocalisedEntry(self.lang, self.question, self.answer)


@dataclass(frozen=True)
class Hit:
    doc_id: int
    score: float  # confidence in 0..1, comparable across questions of any length
    matched_terms: tuple[str, ...]  # the question's words found in the entry
    lang: str  # the language to answer in (the asker's when the entry has it)


@dataclass(frozen=True)
class SearchResult:
    verdict: Verdict
    hits: tuple[Hit, ...]  # answer: the answer first; suggest: the closest; unknown: empty
    query_lang: str | None = None

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class RetrievalConfig:
    """Switches for the ablation study and the tuned constants."""

    stemming: bool = True
    fuzzy: bool = True
    lexicon: bool = True
    translations: bool = True
    k1: float = 1.2
    b: float = 0.5
    answer_weight: float = 0.3  # an answer's words count less than the question's
    answer_quality: float = 0.5  # ... and cover a question's word only half
    inner_weight: float = 0.5  # a word inside a phrase (`projets` in `appel à projets`)...
    inner_quality: float = 0.6  # ... is only partly what the phrase means
    unknown_weight: float = 0.5  # weight of a word the FAQ never uses, relative to a rare one
    candidates: int = 20
    # confidence = max(qc * (qc_floor + (1 - qc_floor) * pc),
    #                  pc * (pc_floor + (1 - pc_floor) * qc) * (1 - evidence_base ** evidence))
    qc_floor: float = 0.6
    pc_floor: float = 0.8
    evidence_base: float = 0.2
    answer_threshold: float = 0.56
    suggest_threshold: float = 0.3
    ambiguity_margin: float = 0.04  # two hits closer than this: suggest rather than guess
    tie_coverage: float = 0.05  # ... or covering the question as well and closer than
    tie_margin: float = 0.1  # ... this


@dataclass(frozen=True)
class _Group:
    """One slot of the question, with the index terms that can stand for it."""

    surface: str
    terms: Mapping[str, float]  # term -> how surely it stands for the slot (typos < 1)
    weight: float  # IDF of its best term; a word unknown to the FAQ weighs as a rare word


@dataclass(frozen=True)
class _Entry:
    doc: FaqDoc
    terms: Mapping[str, tuple[float, float]]  # term -> (weighted tf, quality)
    phrasings: tuple[tuple[Slot, ...], ...]
    words: tuple[str, ...]
    length: float


@dataclass(frozen=True)
class Scored:
    """A candidate with the features its confidence is made of (for evaluation and tuning)."""

    doc_id: int
    confidence: float
    bm25: float
    query_coverage: float
    phrasing_coverage: float
    matched: tuple[str, ...]
    phrasing_evidence: float = 0.0  # matched IDF of the best phrasing, in rare words


class FaqIndex:
    """An in-memory index of FAQ entries; `add`/`remove` keep it current without a rebuild.

    Not thread-safe (the bot runs on one event loop); searching never mutates entries, only
    memos that updates invalidate.
    """

    def __init__(self, lexicon: Lexicon | None = None, config: RetrievalConfig | None = None):
        self.config = config or RetrievalConfig()
        use_lexicon = self.config.lexicon
        self._analyser = Analyser(
            (lexicon or default_lexicon()) if use_lexicon else None, self.config.stemming
        )
        self._entries: dict[int, _Entry] = {}
        self._postings: dict[str, dict[int, tuple[float, float]]] = {}
        self._total_length = 0.0
        self._lengths: dict[int, float] = {}
        self._idfs: dict[str, float] = {}  # memo, emptied by every update
        self._typos = TypoCorrector(self._analyser.lexicon_words)

    @classmethod
    def build(
        cls,
        docs: Iterable[FaqDoc],
        lexicon: Lexicon | None = None,
        config: RetrievalConfig | None = None,
    ) -> FaqIndex:
        index = cls(lexicon, config)
        for doc in docs:
            index.add(doc)
        return index

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, doc_id: int) -> bool:
        return doc_id in self._entries

    def doc(self, doc_id: int) -> FaqDoc:
        return self._entries[doc_id].doc

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
        self._changed()

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
        self._changed()
        return True

    def _changed(self) -> None:
        # IDF depends on every entry: recomputed lazily, term by term, after an update.
        self._idfs.clear()

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
            analysed = self._analyser.analyse(text, lang)
            count((t for slot in analysed.slots for t in slot.terms), weight, quality)
            count(analysed.inner_terms, weight * cfg.inner_weight, quality * cfg.inner_quality)
            words.extend(analysed.words)
            if is_phrasing and analysed.slots:
                phrasings.append(analysed.slots)
        length = sum(tf for tf, _ in terms.values())
        return _Entry(doc, terms, tuple(phrasings), tuple(words), length)

    # --- search --------------------------------------------------------------------------

    def search(self, query: str, limit: int = 3, lang: str | None = None) -> SearchResult:
        """Answer, suggest up to `limit` entries, or admit not knowing.

        `lang` is the caller's language (their locale), used to choose the language of the
        reply when the question's own language cannot be told.
        """
        query_lang = self._analyser.guess_language(query)
        scored = self.rank(query)
        reply_lang = query_lang or lang
        cfg = self.config
        top = [s for s in scored if s.confidence >= cfg.suggest_threshold][: max(1, limit)]
        if not top:
            return SearchResult("unknown", (), query_lang)
        hits = tuple(self._hit(s, reply_lang) for s in top)
        confident = top[0].confidence >= cfg.answer_threshold
        clear = len(scored) == 1 or not self._ambiguous(scored[0], scored[1])
        return SearchResult("answer" if confident and clear else "suggest", hits, query_lang)

    def _ambiguous(self, best: Scored, runner_up: Scored) -> bool:
        """Two entries too close to pick one: better offer both than guess.

        Closer than `ambiguity_margin` in confidence, or explaining the question equally well
        (`cotisation` alone: the fee, its deadline, its invoice) and only somewhat less sure.
        """
        cfg = self.config
        gap = best.confidence - runner_up.confidence
        same_cover = runner_up.query_coverage >= best.query_coverage - cfg.tie_coverage
        return gap < cfg.ambiguity_margin or (same_cover and gap < cfg.tie_margin)

    def _hit(self, scored: Scored, reply_lang: str | None) -> Hit:
        doc = self._entries[scored.doc_id].doc
        lang = reply_lang if reply_lang in doc.languages() else doc.lang
        return Hit(scored.doc_id, round(scored.confidence, 4), scored.matched, lang)

    def rank(self, query: str) -> list[Scored]:
        """Candidates for `query`, most confident first (exposed for evaluation)."""
        groups = self._groups(query)
        if not any(g.terms for g in groups):
            return []
        bm25 = self._bm25(groups)
        best = heapq.nlargest(self.config.candidates, bm25.items(), key=lambda kv: kv[1])
        by_term: dict[str, list[tuple[int, float]]] = {}
        for g, group in enumerate(groups):
            for term, sureness in group.terms.items():
                by_term.setdefault(term, []).append((g, sureness))
        scored = [self._score(doc_id, raw, groups, by_term) for doc_id, raw in best]
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
        for slot in self._analyser.analyse(query, correct=correct).slots:
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

    def _bm25(self, groups: list[_Group]) -> dict[int, float]:
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

    def _score(
        self,
        doc_id: int,
        bm25: float,
        groups: list[_Group],
        by_term: Mapping[str, list[tuple[int, float]]],
    ) -> Scored:
        entry = self._entries[doc_id]
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
        phrasing_coverage, phrasing_evidence = max(
            (self._phrasing_coverage(p, by_term) for p in entry.phrasings), default=(0.0, 0.0)
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
