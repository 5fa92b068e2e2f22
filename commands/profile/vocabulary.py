"""The federation's tags as members use them: suggestions while typing, "did you mean…"
for new tags, and the autocomplete source `tag`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.identity import Caller
from bot.services import Services
from commands.profile.store.profiles import ProfileRepo, Tag
from commands.profile.store.snapshot import Snapshot
from commands.profile.tags import (
    CANONICAL_TAGS,
    SEPARATORS,
    TagVocabulary,
    display_tag,
    normalise_tag,
    split_tags,
    tidy_spelling,
)

MAX_CHOICE = 100  # Discord's limit for an autocomplete label and value
CHOICES = 25


@lru_cache(maxsize=4)
def vocabulary_of(snapshot: Snapshot) -> TagVocabulary:
    """Cached per snapshot (compared by identity): rebuilt only when profiles change."""
    return TagVocabulary(snapshot.tag_use, snapshot.spellings)


async def vocabulary(services: Services) -> TagVocabulary:
    return vocabulary_of(await services.get(ProfileRepo).snapshot())


def most_used(snapshot: Snapshot, limit: int) -> list[str]:
    """Slugs by use, the federation's own tags included (count 0 until someone uses them)."""
    slugs = {tag.slug for tag in CANONICAL_TAGS} | set(snapshot.tag_use)
    return sorted(slugs, key=lambda s: (-snapshot.tag_use.get(s, 0), s))[:limit]


@dataclass(frozen=True, slots=True)
class TypedTag:
    """One tag as typed, what it became, and what the federation already uses instead."""

    typed: str
    tag: Tag
    new: bool  # nobody uses it yet and it is not one of the federation's tags
    suggestions: tuple[str, ...]  # displays of existing tags it may mean

    @property
    def renamed(self) -> bool:
        return _loose(self.typed) != _loose(self.tag.display)


_CANONICAL = frozenset(tag.slug for tag in CANONICAL_TAGS)


def read_tags(text: str, vocab: TagVocabulary, own: frozenset[str] = frozenset()) -> list[TypedTag]:
    """The tags in `text`, normalised; raises `TagError` (see commands.profile.tags). A tag
    only the member uses (`own`: their current tags) is still new: the hint stays."""
    found = []
    for spelling in split_tags(text):
        slug = normalise_tag(spelling)
        new = slug not in _CANONICAL and vocab.count(slug) - (slug in own) <= 0
        display = display_tag(spelling) if new else vocab.display(slug)
        hints = [s for s in vocab.suggest(spelling, limit=4) if s != slug] if new else []
        suggestions = tuple(vocab.display(s) for s in hints[:3])
        found.append(TypedTag(spelling, Tag(slug, display[:40]), new, suggestions))
    return found


def _loose(text: str) -> str:
    return tidy_spelling(text).casefold()


async def tag_choices(services: Services, prefix: str, caller: Caller) -> list[tuple[str, str]]:
    """Autocomplete for interests and topics: completes the last tag of a list, keeping the
    ones before it ("tiers-lieux, hack" -> "tiers-lieux, hackathon"); most used first."""
    snapshot = await services.get(ProfileRepo).snapshot()
    vocab = vocabulary_of(snapshot)
    head, last = _split_last(prefix)
    slugs = vocab.suggest(last, limit=CHOICES) if last.strip() else most_used(snapshot, CHOICES)
    choices = []
    for slug in slugs:
        value = head + vocab.display(slug)
        label = f"{vocab.display(slug)} ({vocab.count(slug)})"
        if len(value) <= MAX_CHOICE:
            choices.append((label[:MAX_CHOICE], value))
    return choices


def _split_last(text: str) -> tuple[str, str]:
    pieces = list(SEPARATORS.finditer(text))
    if not pieces:
        return "", text
    cut = pieces[-1].end()
    return text[:cut].rstrip() + " ", text[cut:].strip()
