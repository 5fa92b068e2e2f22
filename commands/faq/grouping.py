"""Unanswered questions grouped for curation at scale: many people ask the same thing in
different words, and a moderator should handle the thing once.

Two questions go together when the FAQ suggested the same entry for both (stored when they
were asked: no search at listing time), or, for questions it knew no entry for, when their
sentence vectors are close (a cosine of at least `SIMILAR`, measured against the group's first
question; lexical-only FAQs leave those alone). Each group counts the distinct people who asked
any of its questions: groups are listed by that count, then by asks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from commands.faq.encoder import Encoder, one_blas_thread
from commands.faq.store.activity import Unanswered

SIMILAR = 0.7  # USE-multilingual cosine: paraphrases ~0.7-0.9, same topic other question ~0.5


@dataclass(frozen=True)
class QuestionGroup:
    entry_id: int | None  # the entry the FAQ suggested for these questions (None: no entry)
    questions: tuple[Unanswered, ...]  # most asked first
    askers: int  # distinct people behind them

    @property
    def asks(self) -> int:
        return sum(q.count for q in self.questions)


def group_questions(
    questions: Sequence[Unanswered],
    askers: Mapping[int, set[int]],
    known_entries: set[int] | frozenset[int],
    encoder: Encoder | None = None,
) -> list[QuestionGroup]:
    """`questions` grouped; `known_entries` are the entries that still exist."""
    by_entry: dict[int, list[Unanswered]] = {}
    loose: list[Unanswered] = []
    for question in questions:
        if question.nearest_entry_id is not None and question.nearest_entry_id in known_entries:
            by_entry.setdefault(question.nearest_entry_id, []).append(question)
        else:
            loose.append(question)
    groups = [(entry_id, members) for entry_id, members in by_entry.items()]
    groups += [(None, members) for members in _similar(loose, encoder)]
    made = [
        QuestionGroup(
            entry_id,
            tuple(sorted(members, key=lambda q: (-q.count, q.id))),
            len(set().union(*(askers.get(q.id, set()) for q in members))),
        )
        for entry_id, members in groups
    ]
    return sorted(made, key=lambda g: (-g.askers, -g.asks, g.questions[0].id))


def _similar(questions: list[Unanswered], encoder: Encoder | None) -> list[list[Unanswered]]:
    """Greedy clusters by sentence vectors (one question per cluster without an encoder)."""
    if encoder is None or not encoder.dim or len(questions) < 2:
        return [[q] for q in questions]
    one_blas_thread()
    vectors = encoder.encode([q.text for q in questions])
    clusters: list[tuple[int, list[Unanswered]]] = []  # (row of the first question, members)
    for row, question in enumerate(questions):
        for first, members in clusters:
            if float(vectors[first] @ vectors[row]) >= SIMILAR:
                members.append(question)
                break
        else:
            clusters.append((row, [question]))
    return [members for _, members in clusters]
