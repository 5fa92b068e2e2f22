"""Long chat messages reduced to the part that asks something, before the FAQ ranks them.

People rarely type a bare question in chat: they greet, explain who they are, thank in advance.
Lexical ranking copes with that (it looks for an entry's whole phrasing inside the message), but
a sentence encoder averages over every word, so a question drowned in a paragraph of context
embeds as the context. The reduction keeps, in French and English:

- the sentences that look like questions (a question mark, an interrogative opening, an asking
  phrase: see `looks_like_question`), with the sentence before a question too short to say what
  it is about (`Le webinaire de mardi sur la facturation ? Il y a un replay ?`);
- when no sentence asks anything, the sentence with the most meaningful words;

and drops greetings, thanks and sign-offs wherever they are. A short message is left as it is.
These are general rules about how chat messages are written, not about any FAQ's content.
"""

from __future__ import annotations

import re

from commands.faq.analysis import content_tokens, fold, looks_like_question

__all__ = ["entry_question", "question_part", "sentences"]

# Words a greeting, a thank-you or a sign-off is made of (folded). A sentence or a leading
# clause made only of these (and stopwords) says nothing about what is asked.
_PLEASANTRIES = frozenset(
    """bonjour bonsoir salut coucou hello hi hey hiya yo re bjr slt cc
    tous toutes tout monde equipe team gens collegues collegue chers cher amis ami everyone
    everybody all folks guys people dear colleagues friends
    merci remercie remerciant remerciements avance thanks thank thx ty cheers advance much lot
    cordialement bien amicalement belle bonne journee soiree semaine weekend week end day regards
    best kind sincerely greetings morning afternoon evening good nice great have""".split()
)
_FILLERS = frozenset(
    """a au l le la les de d du des en et pour vous nous te tu je j me m par votre vos
    the to you in for and of an your very so much many""".split()
)
# Sentence ends: . ! ? … and line breaks; the mark stays with its sentence.
_SENTENCE = re.compile(r"[^.!?…\n]+(?:[.!?…]+|\n|$)")
_CLAUSE = re.compile(r"\s*[,:;]\s*")
_WORD = re.compile(r"[a-z0-9]+")

SHORT_WORDS = 12  # a message this short is a question already, however it is phrased
CONTEXT_WORDS = 3  # a question with fewer meaningful words needs the sentence before it


def sentences(text: str) -> list[str]:
    """The sentences of `text`, each with its closing punctuation."""
    found = (m.group(0).strip() for m in _SENTENCE.finditer(text))
    return [s for s in found if s]


def _is_pleasantry(text: str) -> bool:
    words = _WORD.findall(fold(text))
    return (
        bool(words)
        and all(w in _PLEASANTRIES or w in _FILLERS for w in words)
        and any(w in _PLEASANTRIES for w in words)
    )


def _without_pleasantries(sentence: str) -> str:
    """The sentence without its leading and trailing greeting or thanks clauses."""
    clauses = _CLAUSE.split(sentence)
    first, last = 0, len(clauses)
    while last - first > 1 and _is_pleasantry(clauses[first]):
        first += 1
    while last - first > 1 and _is_pleasantry(clauses[last - 1]):
        last -= 1
    if (first, last) == (0, len(clauses)):
        return sentence
    return ", ".join(clauses[first:last])


def _asks(sentence: str) -> bool:
    return "?" in sentence or looks_like_question(sentence)


def question_part(text: str) -> str:
    """The part of a chat message that carries its question (the whole of a short one)."""
    if len(_WORD.findall(fold(text))) <= SHORT_WORDS:
        return text
    kept = [_without_pleasantries(s) for s in sentences(text) if not _is_pleasantry(s)]
    kept = [s for s in kept if content_tokens(s)]
    if not kept:
        return text
    chosen: list[str] = []
    for i, sentence in enumerate(kept):
        if not _asks(sentence):
            continue
        if len(content_tokens(sentence)) < CONTEXT_WORDS and i > 0 and kept[i - 1] not in chosen:
            chosen.append(kept[i - 1])
        chosen.append(sentence)
    if not chosen:
        chosen = [max(kept, key=lambda s: len(content_tokens(s)))]
    return " ".join(chosen)


def entry_question(text: str) -> str:
    """A chat message made the question of an FAQ entry: its question part, greetings and
    thanks dropped even from a short one ("Bonjour ! Où garer un vélo ?" -> "Où garer un
    vélo ?"), starting with a capital. The message itself when nothing else is left."""
    asked = question_part(text)
    kept = [_without_pleasantries(s) for s in sentences(asked) if not _is_pleasantry(s)]
    question = " ".join(" ".join(kept).split()) or " ".join(asked.split())
    return question[:1].upper() + question[1:]
