"""`faq ask`, `faq show`, and the "was this helpful?" buttons: what members see.

An ask costs one search in memory and one short write (the ask is counted; a question the bot
cannot answer for sure is recorded for moderators, counted when asked again).
"""

from __future__ import annotations

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
from commands.faq.store.activity import NewQuestion
from commands.faq.store.entries import FaqEntry, FaqRepo
from commands.faq.store.tables import ASKED_MAX

if TYPE_CHECKING:
    from bot.services import Services

LABEL_MAX = 70  # a button label: Slack cuts at 75 characters, Discord at 80


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def feedback_buttons(entry_id: int, t: Translator) -> tuple[Button, ...]:
    return tuple(
        Button(t(f"faq.feedback.{word}"), "faq.feedback", {"entry": str(entry_id), "helpful": word})
        for word in ("yes", "no")
    )


def answer_message(doc: FaqDoc, lang: str, t: Translator, *, passive: bool = False) -> Message:
    """An entry as an answer, in `lang` when it has that translation, with feedback buttons."""
    shown = doc.localised(lang)
    footer = "faq.answer.footer_passive" if passive else "faq.answer.footer"
    return Message(
        title=shown.question,
        text=shown.answer,
        footer=t(footer, id=doc.id),
        buttons=feedback_buttons(doc.id, t),
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
    result = faq.search(question, lang=ctx.lang)
    now = ctx.now()
    best = result.best
    # Rendered before any await: an entry removed meanwhile must not break this reply.
    if result.verdict == "answer" and best is not None:
        reply = answer_message(
            faq.index.doc(best.doc_id), best.lang, reader_translator(ctx.t, result)
        )
        await faq.activity.record_ask("answer", best.doc_id, now)
        return Reply(reply)
    if result.verdict == "suggest":
        reply = _suggestions(result, ctx)
    else:
        reply = Message(text=ctx.t("faq.ask.unknown"))
    member = await ctx.services.members.ensure(ctx.caller, now)
    unanswered = NewQuestion(
        normalised=normalised(question),
        text=clip(" ".join(question.split()), ASKED_MAX),
        lang=result.query_lang or ctx.lang,
        member_id=member.id,
        channel=str(ctx.place.channel),
    )
    entry_id = best.doc_id if best is not None else None
    await faq.activity.record_ask(result.verdict, entry_id, now, unanswered=unanswered)
    return Reply(reply)


def _suggestions(result: SearchResult, ctx: CommandContext) -> Message:
    index = ctx.services.get(FaqRepo).index
    lines, buttons = [], []
    for hit in result.hits:
        shown = index.doc(hit.doc_id).localised(hit.lang)
        lines.append(ctx.t("faq.ask.suggestion", id=hit.doc_id, question=shown.question))
        buttons.append(Button(clip(shown.question, LABEL_MAX), "faq.show", {"id": str(hit.doc_id)}))
    text = "\n".join([ctx.t("faq.ask.suggest"), *lines])
    return Message(text=text, buttons=tuple(buttons))


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
    return Reply.text(ctx.t("faq.feedback.thanks_yes" if helpful else "faq.feedback.thanks_no"))


async def entry_choices(services: Services, prefix: str, caller: Caller) -> list[tuple[str, str]]:
    """Autocomplete of entry numbers: `3` finds entry 3 (then 30…), `cotis` the entries whose
    question says it."""
    labels = {f"{s.id} · {s.question}": str(s.id) for s in await services.get(FaqRepo).summaries()}
    return [(clip(label, 100), labels[label]) for label in rank(prefix, list(labels))]
