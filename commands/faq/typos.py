"""Typo correction for FAQ retrieval: a misspelt question word mapped to the closest word the
entries (or the lexicon) use, so `adhsion` still meets `adhesion`."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA


class TypoCorrector:
    """Maps a misspelt word to the closest known word (optimal string alignment distance).

    Known words are kept in buckets by length, updated word by word as entries come and go,
    so a lookup compares the word only with words at most two letters longer or shorter and
    an update never rebuilds anything.
    """

    def __init__(self, permanent: Iterable[str] = ()) -> None:
        self._counts: dict[str, int] = {}
        self._buckets: dict[int, dict[str, None]] = {}  # length -> words (an ordered set)
        self._memo: dict[str, tuple[str, float] | None] = {}
        for word in set(permanent):
            if self._usable(word):
                self._counts[word] = 1  # lexicon words never leave
                self._buckets.setdefault(len(word), {})[word] = None

    @staticmethod
    def _usable(word: str) -> bool:
        return word.isalpha() and len(word) >= 3

    def add(self, words: Iterable[str]) -> None:
        for word in words:
            if self._usable(word):
                count = self._counts.get(word, 0)
                self._counts[word] = count + 1
                if not count:
                    self._buckets.setdefault(len(word), {})[word] = None
        self._memo.clear()

    def remove(self, words: Iterable[str]) -> None:
        for word in words:
            left = self._counts.get(word, 0) - 1
            if left > 0:
                self._counts[word] = left
            elif left == 0:
                del self._counts[word]
                del self._buckets[len(word)][word]
        self._memo.clear()

    def __contains__(self, word: str) -> bool:
        return word in self._counts

    @staticmethod
    def max_distance(word: str) -> int:
        # Most typos are one edit (a transposition counts as one). Two edits are allowed only in
        # long words: in short ones they reach other words too often (`quimper` -> `quitter`).
        return 0 if len(word) < 4 else 1 if len(word) < 10 else 2

    def closest(self, word: str) -> tuple[str, float] | None:
        """The known word nearest to `word` and how sure that is (1 - edits / length).

        Ties go to the word the entries use most, then alphabetically (so that results do not
        depend on the order entries were added in).
        """
        if word in self._memo:
            return self._memo[word]
        limit = self.max_distance(word)
        found: list[tuple[int, str]] = []
        for length in range(len(word) - limit, len(word) + limit + 1) if limit else ():
            bucket = self._buckets.get(length)
            if bucket:
                found += [
                    (int(distance), candidate)
                    for candidate, distance, _ in process.extract(
                        word, bucket.keys(), scorer=OSA.distance, score_cutoff=limit, limit=8
                    )
                ]
        result: tuple[str, float] | None = None
        if found:
            best = min(d for d, _ in found)
            candidate = min((c for d, c in found if d == best), key=lambda c: (-self._counts[c], c))
            result = (candidate, 1.0 - best / max(len(word), len(candidate)))
        if len(self._memo) < 50_000:
            self._memo[word] = result
        return result
