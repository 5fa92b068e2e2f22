"""Text analysis for FAQ retrieval: chat text in, index terms out.

The pipeline, the same for entries and questions so that both meet on the same terms:

1. fold: lower case, accents and ligatures removed (people type `adhesion` for `adhésion`);
2. tokens: runs of letters and digits, so elisions fall apart (`l'adhésion` -> `l`, `adhesion`);
   SMS spellings are expanded (`cb` -> `combien`, `mdp` -> `mot de passe`);
3. stopwords (French and English, chat greetings included) and numbers are dropped;
4. stems: Snowball French or English on the folded form;
5. slots: one slot per word, or per phrase of the lexicon (`appel à projets`); a slot's terms are
   the lexicon concepts its word belongs to (shared by both languages), or else its stem.

A question's language is not known in advance (chat mixes both), so a question's words are
stemmed and looked up in both languages; an entry's text is analysed in its own language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import snowballstemmer

from commands.faq.lexicon import Lexicon

LANGS = ("fr", "en")

_TOKEN = re.compile(r"[a-z0-9]+")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_FRENCH_LETTERS = re.compile(r"[àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ]")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})

# Chat spellings, expanded before stopwords are removed. Only spellings that stand for words
# carrying meaning are here; the ones standing for function words (`ki`, `koi`, `pr`) are
# stopwords directly.
SMS: Mapping[str, tuple[str, ...]] = {
    "cb": ("combien",),
    "cbien": ("combien",),
    "pk": ("pourquoi",),
    "pq": ("pourquoi",),
    "pkoi": ("pourquoi",),
    "pourkoi": ("pourquoi",),
    "qd": ("quand",),
    "kan": ("quand",),
    "kand": ("quand",),
    "cmt": ("comment",),
    "cmnt": ("comment",),
    "cment": ("comment",),
    "komen": ("comment",),
    "koment": ("comment",),
    "rdv": ("rendez", "vous"),
    "mdp": ("mot", "de", "passe"),
    "aap": ("appel", "a", "projets"),
    "ag": ("assemblee", "generale"),
    "fede": ("federation",),
    "cotiz": ("cotisation",),
    "cotis": ("cotisation",),
    "num": ("numerique",),
    "asso": ("association",),
    "dispo": ("disponible",),
    "tel": ("telephone",),
    "msg": ("message",),
    "pb": ("probleme",),
    "pbm": ("probleme",),
    "pblm": ("probleme",),
    "resa": ("reservation",),
    "appli": ("application",),
    "visio": ("visioconference",),
    "tps": ("temps",),
    "sem": ("semaine",),
    "dev": ("developpeur",),
    "inscr": ("inscription",),
    "infos": ("information",),
}

_FR_STOP = """
a au aux avec ce ces cet cette ceci cela ca c d de des du dans en entre et est es etre ete etait
etaient il ils elle elles je j tu te t toi moi me m on nous vous se s sa son ses le la les l lui
leur leurs y un une mon ma mes ton ta tes notre nos votre vos ne n pas plus moins par pour sur sous
sans chez vers que qu qui quoi quel quelle quels quelles dont ou donc or ni mais car si comme tres
trop bien tout tous toute toutes tt meme aussi alors deja encore ici voila oui non ai as avons avez
ont avoir eu eue fait faire fais font faut falloir peut peux pouvons pouvez peuvent pouvoir puis
pourrait pourrais pourriez doit dois devons devez doivent devoir veux veut voulons voulez veulent
voudrais voudrait voudrions voulais voulait aimerais aimerait aimerions souhaite souhaiterais sais
sait savez savons savoir connait suis sont sommes etes serai sera seront c est ce qu il jusqu
lorsqu puisqu quelqu quelque quelques chose choses question questions petite petit merci bonjour
bonsoir salut coucou hello svp stp cordialement avance hey monde gens besoin
trouver trouve cherche cherchons chercher concretement exactement precisement vraiment simplement
juste actuellement svp ki koi kwa ya pr ds ns vs qq qqn qqch jsp dsl bjr slt mrc mci jveux jvx
jvoudrais chui chuis fo auj ajd ojd aujourd hui tjs tjrs bcp beaucoup dc mm voici autre autres
chaque cas bref etc lol ok oki okay super parce afin depuis pendant apres avant genre
""".split()

_EN_STOP = """
i me my mine we us our ours you your yours he him his she her it its they them their the a an is
are was were be been being am to of for in on at by with from into about as and or but not no
yes so if then than that this these those there here what which who whom whose where do does did
done doing can could should would will shall may might must have has had having any some get got
getting please thanks thank thx pls plz hi hello hey anyone someone somebody anybody know need
want like just also very really im ive id dont doesnt cant isnt arent whats wheres s t d ll re ve
m u r ur idk one all there else other still yet ok okay lol
""".split()

STOPWORDS = frozenset(_FR_STOP) | frozenset(_EN_STOP)
# Words that only one language uses as function words: they vote for the question's language.
_FR_ONLY = frozenset(_FR_STOP) - frozenset(_EN_STOP) - {"ok", "lol", "hello", "hey"}
_EN_ONLY = frozenset(_EN_STOP) - frozenset(_FR_STOP) - {"ok", "lol", "hello", "hey"}


def fold(text: str) -> str:
    """Lower case without accents: `Fédération Œuvre` -> `federation oeuvre`."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES).lower())
    return decomposed.encode("ascii", "ignore").decode("ascii")


def raw_tokens(text: str) -> list[str]:
    """Folded tokens with SMS spellings expanded, stopwords still in."""
    out: list[str] = []
    for token in _TOKEN.findall(fold(_URL.sub(" ", text))):
        out.extend(SMS.get(token, (token,)))
    return out


def content_tokens(text: str) -> list[str]:
    """The words that carry meaning: no stopword, no number, no single letter."""
    return [t for t in raw_tokens(text) if len(t) > 1 and not t.isdigit() and t not in STOPWORDS]


_CAPITALISED = re.compile(r"(?<![.!?:\n])\s+([A-ZÀ-Ý][a-zà-ÿ]{2,})\b")


def capitalised_inside(text: str) -> frozenset[str]:
    """Folded words written with a capital inside a sentence: names (`Quimper`, `Julien`).

    People do not capitalise their typos, so these are never "corrected" into FAQ words.
    """
    return frozenset(fold(m) for m in _CAPITALISED.findall(text))


class Stemmer:
    """Snowball stems of folded words, French or English, memoised.

    Snowball's French rules run on the folded form on both sides (entries and questions), so a
    question typed without accents stems like the entry it is looking for.
    """

    _CACHE_LIMIT = 200_000

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._stemmers = {
            "fr": snowballstemmer.stemmer("french"),
            "en": snowballstemmer.stemmer("english"),
        }
        self._cache: dict[tuple[str, str], str] = {}

    def stem(self, word: str, lang: str) -> str:
        if not self.enabled:
            return word
        key = (word, lang)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._stemmers[lang].stemWord(word)
            if len(self._cache) < self._CACHE_LIMIT:
                self._cache[key] = cached
        return cached


@dataclass(frozen=True, slots=True)
class Slot:
    """A piece of text that means one thing: a word, or a phrase of the lexicon.

    `terms` are the index terms standing for it; several when the word is ambiguous or when a
    question's word stems differently in French and English. `sureness` is below 1 when a typo
    was corrected to get there.
    """

    surface: str
    terms: frozenset[str]
    sureness: float = 1.0


@dataclass(frozen=True, slots=True)
class Analysed:
    slots: tuple[Slot, ...]
    # Terms of the words inside a matched phrase: an entry about `appels à projets` is also a
    # little about `projets`. Only entries get them; a question's phrase stays one slot.
    inner_terms: tuple[str, ...] = ()
    words: tuple[str, ...] = ()


# Given a word and its terms, a better-spelt word and how sure the correction is, or None.
Corrector = Callable[[str, frozenset[str]], "tuple[str, float] | None"]


@dataclass(frozen=True, slots=True)
class _Tables:
    words: Mapping[str, frozenset[str]]  # stem -> concept keys
    phrases: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]]  # first stem -> longest first


class Analyser:
    """Turns entry fields and questions into slots of index terms (see the module doc)."""

    def __init__(self, lexicon: Lexicon | None = None, stemming: bool = True) -> None:
        self.stemmer = Stemmer(stemming)
        self.lexicon = lexicon
        self._tables = {lang: self._compile(lexicon, lang) for lang in LANGS}
        concepts = lexicon.concepts if lexicon else ()
        self._lang_words = {
            lang: frozenset(w for c in concepts for f in c.forms(lang) for w in content_tokens(f))
            for lang in LANGS
        }
        # Correctly spelt words even when no entry uses them yet (typo targets).
        self.lexicon_words = self._lang_words["fr"] | self._lang_words["en"]

    def _compile(self, lexicon: Lexicon | None, lang: str) -> _Tables:
        words: dict[str, set[str]] = {}
        phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for concept in lexicon.concepts if lexicon else ():
            for form in concept.forms(lang):
                stems = tuple(self.stemmer.stem(t, lang) for t in content_tokens(form))
                if len(stems) == 1:
                    words.setdefault(stems[0], set()).add(concept.key)
                elif stems:
                    phrases.setdefault(stems[0], []).append((stems, concept.key))
        return _Tables(
            {stem: frozenset(keys) for stem, keys in words.items()},
            {
                first: tuple(sorted(set(entries), key=lambda e: -len(e[0])))
                for first, entries in phrases.items()
            },
        )

    def analyse(
        self, text: str, lang: str | None = None, correct: Corrector | None = None
    ) -> Analysed:
        """Slots of `text`; `lang=None` (a question) looks words up in both languages.

        `correct` may replace a misspelt word before phrases are matched, so that
        `apel a projets` still reads as the phrase `appel à projets`.
        """
        langs = LANGS if lang is None else (lang,)
        words = content_tokens(text)
        sureness = [1.0] * len(words)
        read = list(words)
        if correct is not None:
            names = capitalised_inside(text)
            for i, word in enumerate(words):
                if word in names:
                    continue
                fixed = correct(word, self.word_terms(word))
                if fixed is not None:
                    read[i], sureness[i] = fixed
        stems = {code: [self.stemmer.stem(w, code) for w in read] for code in langs}
        slots: list[Slot] = []
        inner: list[str] = []
        i = 0
        while i < len(words):
            phrase = self._phrase_at(stems, i)
            if phrase is None:
                slots.append(Slot(words[i], self._word_terms(stems, i), sureness[i]))
                i += 1
                continue
            length, key = phrase
            surface = " ".join(words[i : i + length])
            slots.append(Slot(surface, frozenset((key,)), min(sureness[i : i + length])))
            if lang is not None:
                for j in range(i, i + length):
                    inner.extend(self._word_terms(stems, j))
            i += length
        return Analysed(tuple(slots), tuple(inner), tuple(words))

    def word_terms(self, word: str) -> frozenset[str]:
        """Terms of one folded word read in either language (used for typo corrections)."""
        stems = {code: [self.stemmer.stem(word, code)] for code in LANGS}
        return self._word_terms(stems, 0)

    def _word_terms(self, stems: Mapping[str, list[str]], i: int) -> frozenset[str]:
        terms: set[str] = set()
        for code, seq in stems.items():
            concepts = self._tables[code].words.get(seq[i])
            if concepts:
                terms |= concepts
            else:
                terms.add(seq[i])
        return frozenset(terms)

    def _phrase_at(self, stems: Mapping[str, list[str]], i: int) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        for code, seq in stems.items():
            for phrase, key in self._tables[code].phrases.get(seq[i], ()):
                n = len(phrase)
                if tuple(seq[i : i + n]) == phrase and (best is None or n > best[0]):
                    best = (n, key)
                    break  # candidates are sorted longest first
        return best

    def guess_language(self, text: str) -> str | None:
        """`fr`, `en`, or None when the text gives no clear sign (e.g. `forum hackathon`)."""
        tokens = _TOKEN.findall(fold(text))
        fr = sum(t in _FR_ONLY for t in tokens)
        en = sum(t in _EN_ONLY for t in tokens)
        if _FRENCH_LETTERS.search(text):
            fr += 1  # accents: French (English chat has none)
        for t in tokens:
            in_fr, in_en = t in self._lang_words["fr"], t in self._lang_words["en"]
            fr += in_fr and not in_en
            en += in_en and not in_fr
        if fr == en:
            return None
        return "fr" if fr > en else "en"


_QUESTION_STARTS = frozenset(
    """comment pourquoi quand combien quel quelle quels quelles qui quoi ou est peut peux
    puis faut existe sait savez connait connaissez cb pk pq qd cmt
    how what when where why who which whats can could do does did is are should would will any
    anyone""".split()
)
_QUESTION_PHRASES = (
    "est ce que",
    "est ce qu",
    "qu est ce",
    "quelqu un sait",
    "quelqu un a",
    "savez vous",
    "vous savez",
    "tu sais",
    "je cherche",
    "j aimerais savoir",
    "je voudrais savoir",
    "je me demande",
    "c est quoi",
    "c est ou",
    "c est quand",
    "comment",
    "does anyone",
    "anyone know",
    "any idea",
    "how do",
    "how can",
    "where can",
    "is there",
    "are there",
)
_INVERSION = re.compile(r"\b\w+-(?:t-)?(?:il|elle|on|ils|elles|vous|je|tu|nous)\b")


def looks_like_question(text: str) -> bool:
    """Is this chat message a question? Used in passive mode before searching the FAQ at all.

    A question mark, an interrogative first word, an inverted verb (`peut-on`, `faut-il`) or a
    typical asking phrase (`quelqu'un sait`, `does anyone know`).
    """
    cleaned = _URL.sub(" ", text).strip()
    words = _TOKEN.findall(fold(cleaned))
    if len(words) < 2:
        return False
    if "?" in cleaned:
        return True
    if words[0] in _QUESTION_STARTS or SMS.get(words[0], ("",))[0] in _QUESTION_STARTS:
        return True
    joined = " " + " ".join(words) + " "
    if any(f" {phrase} " in joined for phrase in _QUESTION_PHRASES):
        return True
    return bool(_INVERSION.search(fold(cleaned)))
