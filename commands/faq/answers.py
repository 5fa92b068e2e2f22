"""`faq ask`, `faq show`, and the "was this helpful?" buttons: what members see.

An ask costs one search in memory and an append to the ask log's queue: the reply never waits
on a write (store/asklog.py writes the queue in batches: the ask counted; a question the bot
could not answer for sure recorded for moderators, counted when asked again).

Three outcomes: a confident answer (with "Other possible answers" when other entries came
close), up to three suggestions as buttons, or "I don't know" (moderators see the question).
Every button of the reply carries the ask's random token, so that a click on a suggestion or
on "helpful" can teach the FAQ the asker's words (learning.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.completion import rank
from bot.context import CommandContext
from bot.errors import UserError
from bot.i18n import Translator, translator
from bot.identity import Caller
from bot.messages import Button, ButtonStyle, Field, Message, Reply
from bot.spec import Role
from commands.faq.analysis import content_tokens, raw_tokens
from commands.faq.drafts import entry_number
from commands.faq.retrieval import FaqDoc, SearchResult
from commands.faq.store.asklog import AskRecord
from commands.faq.store.entries import FaqEntry, FaqRepo
from commands.faq.store.tables import ASKED_MAX

TOKEN_BYTES = 9  # 12 characters: unguessable, and short enough for Discord's custom_id

if TYPE_CHECKING:
    from bot.services import Services

LABEL_MAX = 70  # a button label: Slack cuts at 75 characters, Discord at 80


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def feedback_buttons(entry_id: int, t: Translator, ask: str | None = None) -> tuple[Button, ...]:
    extra = {"ask": ask} if ask else {}
    return tuple(
        Button(
            t(f"faq.feedback.{word}"),
            "faq.feedback",
            {"entry": str(entry_id), "helpful": word, **extra},
        )
        for word in ("yes", "no")
    )


def answer_message(
    doc: FaqDoc,
    lang: str,
    t: Translator,
    *,
    passive: bool = False,
    ask: str | None = None,
    others: Sequence[int] = (),
) -> Message:
    """An entry as an answer, in `lang` when it has that translation, with feedback buttons
    (and "Other possible answers" when `others` name entries that came close)."""
    shown = doc.localised(lang)
    footer = "faq.answer.footer_passive" if passive else "faq.answer.footer"
    buttons = feedback_buttons(doc.id, t, ask)
    if others:
        args = {"ids": ",".join(str(i) for i in others), **({"ask": ask} if ask else {})}
        buttons += (Button(t("faq.ask.others"), "faq.others", args),)
    return Message(
        title=shown.question, text=shown.answer, footer=t(footer, id=doc.id), buttons=buttons
    )


def reader_translator(t: Translator, result: SearchResult) -> Translator:
    """A question typed in the other language than the caller's settings gets its whole answer
    (buttons and footer too) in the language it was typed in."""
    lang = result.query_lang
    return translator(lang, t.tz.key) if lang and lang != t.lang else t


def normalised(question: str) -> str:
    """How repeats of one question are recognised: its meaningful words, folded."""
    words = content_tokens(question) or raw_tokens(question)
    return " ".join(words)[:ASKED_MAX]


async def ask(ctx: CommandContext) -> Reply:
    """The answer; else the closest entries, or "I don't know". Both of the latter record the
    question for moderators: a suggestion is not an answer, and turning such a question into
    a variant of the right entry is how the FAQ learns to answer it next time."""
    question: str = ctx.options["question"]
    if not content_tokens(question):
        raise UserError("faq.ask.too_vague")
    faq = ctx.services.get(FaqRepo)
    result = await faq.search(question, lang=ctx.lang)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    best = result.best
    if result.verdict == "answer" and best is not None:
        others = [h.doc_id for h in result.hits[1:]]
        doc = faq.index.doc(best.doc_id)
        t = reader_translator(ctx.t, result)
        reply = answer_message(doc, best.lang, t, ask=token, others=others)
    elif result.verdict == "suggest":
        reply = _suggestions(result, ctx, token)
    else:
        reply = Message(text=ctx.t("faq.ask.unknown"))
    # The asker's row: one read for a known member (a write only on a person's first use).
    member = await ctx.services.members.ensure(ctx.caller, ctx.now())
    text = clip(" ".join(question.split()), ASKED_MAX)
    faq.activity.asks.note(
        AskRecord(
            token=token,
            at=ctx.now(),
            verdict=result.verdict,
            entry_id=best.doc_id if best is not None else None,
            text=text,
            normalised=normalised(question),
            lang=result.query_lang or ctx.lang,
            member_id=member.id,
            channel=str(ctx.place.channel),
            unanswered=result.verdict != "answer",
        )
    )
    return Reply(reply)


def _suggestions(result: SearchResult, ctx: CommandContext, token: str) -> Message:
    index = ctx.services.get(FaqRepo).index
    lines, buttons = suggested([(index.doc(h.doc_id), h.lang) for h in result.hits], ctx.t, token)
    # A suggestion is no answer: the question reaches the moderators too, and the asker knows.
    text = "\n".join([ctx.t("faq.ask.suggest"), *lines, ctx.t("faq.ask.suggest_none")])
    return Message(text=text, buttons=buttons)


def suggested(
    docs: Sequence[tuple[FaqDoc, str]], t: Translator, token: str | None
) -> tuple[list[str], tuple[Button, ...]]:
    """Entries offered to pick from, each in the given language: a line each ("• n° 3 — …")
    and a button each, carrying the ask's token so that a pick teaches (learning.py)."""
    lines, buttons = [], []
    for doc, lang in docs:
        question = doc.localised(lang).question
        lines.append(t("faq.ask.suggestion", id=doc.id, question=question))
        args = {"entry": str(doc.id), **({"ask": token} if token else {})}
        buttons.append(Button(clip(question, LABEL_MAX), "faq.pick", args))
    return lines, tuple(buttons)


async def find_entry(ctx: CommandContext, text: str) -> FaqEntry:
    entry_id = entry_number(text)
    entry = await ctx.services.get(FaqRepo).get(entry_id)
    if entry is None:
        raise UserError("faq.not_found", id=entry_id)
    return entry


async def show(ctx: CommandContext) -> Reply:
    entry = await find_entry(ctx, ctx.options["id"])
    message = answer_message(entry.doc(), ctx.lang, ctx.t)
    if not ctx.access.may(Role.FAQ_EDITOR):
        return Reply(message)
    return Reply(_with_details(message, entry, ctx))


def _with_details(message: Message, entry: FaqEntry, ctx: CommandContext) -> Message:
    """What FAQ editors see besides the answer: phrasings, tags, languages, and a remove button."""
    d, t = entry.draft, ctx.t
    fields = [Field(t("faq.show.languages"), ", ".join([d.lang, *sorted(d.translations)]))]
    if d.variants:
        numbered = (f"{n}. {v}" for n, v in enumerate(d.variants, 1))
        fields.append(Field(t("faq.show.variants"), "\n".join(numbered), inline=False))
    if d.tags:
        fields.append(Field(t("faq.show.tags"), ", ".join(d.tags)))
    fields.append(Field(t("faq.show.updated"), t.datetime(entry.updated_at)))
    remove = Button(
        t("faq.show.remove"), "faq.remove", {"id": str(entry.id)}, style=ButtonStyle.DANGER
    )
    return Message(
        title=message.title,
        text=message.text,
        fields=tuple(fields),
        footer=message.footer,
        buttons=(*message.buttons, remove),
    )


async def feedback(ctx: CommandContext) -> Reply:
    entry_id: int = ctx.options["entry"]
    helpful = ctx.options["helpful"] == "yes"
    member = await ctx.services.members.ensure(ctx.caller, ctx.now())
    if not await ctx.services.get(FaqRepo).activity.give_feedback(
        entry_id, member.id, helpful, ctx.now()
    ):
        raise UserError("faq.not_found", id=entry_id)
    token = ctx.options.get("ask")
    if token:
        from commands.faq.learning import learn, unhelpful  # learning builds on this module

        if helpful:
            await learn(ctx, entry_id, token)
        elif (routed := await unhelpful(ctx, entry_id, token, member.id)) is not None:
            return Reply(routed)
    return Reply.text(ctx.t("faq.feedback.thanks_yes" if helpful else "faq.feedback.thanks_no"))


async def entry_choices(services: Services, prefix: str, caller: Caller) -> list[tuple[str, str]]:
    """Autocomplete of entry numbers: `3` finds entry 3 (then 30…), `cotis` the entries whose
    question says it."""
    labels = {f"{s.id} · {s.question}": str(s.id) for s in await services.get(FaqRepo).summaries()}
    return [(clip(label, 100), labels[label]) for label in rank(prefix, list(labels))]
