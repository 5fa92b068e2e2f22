"""Interest tags: one canonical slug per idea, whatever the spelling, so that matching converges.

`normalise_tag` folds case, accents, punctuation, French/English plurals and the federation's
synonyms ("Tiers lieux", "tiers-lieu", "third places" -> `tiers-lieux`). Slugs are identities
for comparison; what users read is a display form (`display_tag`, `TagVocabulary.display`) that
keeps accents. `TagVocabulary.suggest` offers tags already in use, most used first, so that a
new member picks the existing tag rather than inventing a sixth spelling of it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process

from commands.profile.tag_vocabulary import CANONICAL_TAGS, CanonicalTag

MAX_TAGS = 20
MIN_TAG_CHARS = 2
MAX_TAG_CHARS = 40
SEPARATORS = re.compile(r"[,;\n]")


# Connector words that carry no meaning in a tag: "réseau des ambassadeurs" is "réseau
# ambassadeurs". French elisions (d', l') are removed separately, before splitting.
_STOPWORDS = frozenset(
    "de des du la le les et en au aux un une pour sur of the and for in on to a".split()
)
_ELISION = re.compile(r"\b(?:[dlcjmnst]|qu)['’]")
_POSSESSIVE = re.compile(r"['’]s\b")
_NON_WORD = re.compile(r"[\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})

# Words that end like plurals but are singular too; folding them would only make ugly slugs or
# collide with another word ("pays" -> "pay").
_INVARIANT = frozenset(
    "tiers pays temps fois cours parcours concours discours secours recours corps prix paris "
    "campus bonus focus virus consensus status processus cursus corpus analysis tennis devis "
    "permis avis news series plus business".split()
)
_IRREGULAR = {"travaux": "travail", "baux": "bail", "vitraux": "vitrail", "tuyaux": "tuyau"}


class TagError(ValueError):
    """A tag the user typed is unusable; `tag` is that text and `reason` a stable code
    (`too_short`, `too_long`, `no_letters`, `too_many`) for the localised reply."""

    def __init__(self, tag: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.tag = tag
        self.reason = reason


def _singular_step(word: str) -> str:
    if len(word) <= 3 or word in _INVARIANT:
        return word
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("eaux"):  # réseaux -> réseau
        return word[:-1]
    if word.endswith("aux"):  # territoriaux -> territorial
        return word[:-3] + "al"
    if word.endswith(("eux", "oux")):  # lieux -> lieu
        return word[:-1]
    if word.endswith("s") and not word.endswith("ss"):  # "business" is not a plural
        return word[:-1]
    if word.endswith("y") and word[-2] not in "aeiouy":
        # city/cities -> "citie"; technology/technologie and economy/économie meet this way.
        return word[:-1] + "ie"
    return word


def _singular(word: str) -> str:
    # Repeat to a fixed point so that folding is idempotent (normalise(normalise(x)) == x).
    while (folded := _singular_step(word)) != word:
        word = folded
    return word


def _fold(text: str) -> str:
    """Spelling-insensitive key: no case, accents, punctuation, plurals or connector words."""
    # NFKD on both sides of casefold: compatibility forms ("𝗔", "ﬁ") may fold to capitals, and
    # casefolding may yield letters with accents to strip ("İ" -> "i̇").
    text = unicodedata.normalize("NFKD", text)
    text = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _POSSESSIVE.sub(" ", _ELISION.sub(" ", text))
    words = [_singular(w) for w in _NON_WORD.split(text) if w]
    meaningful = [w for w in words if w not in _STOPWORDS]
    # A tag made only of connector words ("the") is kept as typed rather than emptied.
    return "-".join(meaningful or words)


def _build_synonyms(tags: Iterable[CanonicalTag]) -> dict[str, str]:
    table: dict[str, str] = {}
    for tag in tags:
        for spelling in (tag.slug, tag.display, *tag.variants):
            key = _fold(spelling)
            if table.setdefault(key, tag.slug) != tag.slug:
                raise ValueError(f"{spelling!r} is a variant of both {table[key]} and {tag.slug}")
    return table


_SYNONYMS = _build_synonyms(CANONICAL_TAGS)
_CANONICAL = {tag.slug: tag for tag in CANONICAL_TAGS}


def normalise_tag(text: str) -> str:
    """The canonical slug of a tag; equal slugs mean the same interest."""
    key = _fold(text)
    if not key:
        raise TagError(text, "no_letters", f"tag {text!r} has no letters or digits")
    return _SYNONYMS.get(key, key)


def tidy_spelling(text: str) -> str:
    return " ".join(text.split())


def display_tag(text: str) -> str:
    """How to show a tag: the federation's spelling for known tags, the user's own otherwise."""
    canonical = _CANONICAL.get(normalise_tag(text))
    return canonical.display if canonical else tidy_spelling(text)


def related_tags(slug: str) -> tuple[str, ...]:
    """Neighbouring tags worth a "see also" (coworking next to tiers-lieux)."""
    canonical = _CANONICAL.get(slug)
    return canonical.related if canonical else ()


def split_tags(text: str) -> tuple[str, ...]:
    """The tags a user typed, tidied but in their own spelling, one per distinct slug.

    Separators are `,`, `;` and newlines. Raises `TagError` naming the first bad tag.
    """
    kept: dict[str, str] = {}
    for piece in SEPARATORS.split(text):
        spelling = tidy_spelling(piece)
        if not spelling:
            continue
        _check_length(spelling)
        kept.setdefault(normalise_tag(spelling), spelling)
    if len(kept) > MAX_TAGS:
        extra = list(kept.values())[MAX_TAGS]
        raise TagError(extra, "too_many", f"at most {MAX_TAGS} tags; {extra!r} is one too many")
    return tuple(kept.values())


def parse_tags(text: str) -> tuple[str, ...]:
    """Slugs of the tags in `text`, in the order typed, duplicates (by meaning) removed."""
    return tuple(normalise_tag(spelling) for spelling in split_tags(text))


def _check_length(spelling: str) -> None:
    if len(spelling) < MIN_TAG_CHARS:
        raise TagError(
            spelling, "too_short", f"tag {spelling!r} is shorter than {MIN_TAG_CHARS} characters"
        )
    if len(spelling) > MAX_TAG_CHARS:
        raise TagError(
            spelling, "too_long", f"tag {spelling!r} is longer than {MAX_TAG_CHARS} characters"
        )


class TagVocabulary:
    """The tags in use with their counts, plus the federation's canonical tags (count 0 until
    someone uses them) so that suggestions steer towards the shared vocabulary from day one."""

    FUZZY_CUTOFF = 75.0

    def __init__(
        self, counts: Mapping[str, int], displays: Mapping[str, str] | None = None
    ) -> None:
        self._counts: Counter[str] = Counter()
        for tag, count in counts.items():
            self._counts[normalise_tag(tag)] += count
        self._displays = {normalise_tag(t): d for t, d in (displays or {}).items()}
        self._keys = self._search_keys()
        self._key_list = list(self._keys)

    @classmethod
    def from_profiles(cls, profiles: Iterable[Iterable[str]]) -> TagVocabulary:
        """From each member's tags as typed; a free tag is shown in its most common spelling."""
        counts: Counter[str] = Counter()
        spellings: dict[str, Counter[str]] = {}
        for tags in profiles:
            for spelling in {tidy_spelling(t): None for t in tags}:
                slug = normalise_tag(spelling)
                counts[slug] += 1
                spellings.setdefault(slug, Counter())[spelling] += 1
        displays = {slug: c.most_common(1)[0][0] for slug, c in spellings.items()}
        return cls(counts, displays)

    def _search_keys(self) -> dict[str, str]:
        keys = dict(_SYNONYMS)
        for slug in self._counts:
            keys.setdefault(_fold(slug), slug)
            if slug in self._displays:
                keys.setdefault(_fold(self._displays[slug]), slug)
        return keys

    def __contains__(self, slug: object) -> bool:
        return isinstance(slug, str) and (self._counts[slug] > 0 or slug in _CANONICAL)

    def count(self, slug: str) -> int:
        return self._counts[slug]

    def display(self, slug: str) -> str:
        canonical = _CANONICAL.get(slug)
        if canonical:
            return canonical.display
        return self._displays.get(slug, slug.replace("-", " "))

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        """Existing tags for what the user is typing: the exact tag first, then completions,
        then near spellings (typos); most used first within each group."""
        query = _fold(text)
        if not query or limit <= 0:
            return []
        exact = [self._keys[query]] if query in self._keys else []
        prefixed = [slug for key, slug in self._keys.items() if _starts_a_word(key, query)]
        fuzzy = [
            self._keys[key]
            for key, _, _ in process.extract(
                query,
                self._key_list,
                scorer=fuzz.ratio,
                score_cutoff=self.FUZZY_CUTOFF,
                limit=None,
            )
        ]
        ordered = exact + self._by_use(prefixed) + self._by_use(fuzzy)
        return list(dict.fromkeys(ordered))[:limit]

    def _by_use(self, slugs: list[str]) -> list[str]:
        # Stable sort: equal counts keep relevance order (fuzzy results arrive best first).
        return sorted(dict.fromkeys(slugs), key=lambda slug: -self._counts[slug])


def _starts_a_word(key: str, query: str) -> bool:
    # "terr" completes "marketing-territorial" too: match at any word boundary.
    return key.startswith(query) or f"-{query}" in key
