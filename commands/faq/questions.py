"""`faq unanswered|promote|dismiss|stats`: what members asked that the FAQ could not answer,
turned into new entries or new phrasings of existing ones, and how well the FAQ does.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, tzinfo

from babel.dates import format_date
from babel.numbers import format_percent

from bot.context import CommandContext
from bot.errors import UserError
from bot.messages import Button, ButtonStyle, Field, Message, Reply
from commands.faq.analysis import content_tokens
from commands.faq.answers import LABEL_MAX, clip, normalised
from commands.faq.curation import page_buttons
from commands.faq.drafts import check_question, make_draft, parse_tags, with_variant
from commands.faq.grouping import QuestionGroup, group_questions
from commands.faq.learning import phrasing_buttons
from commands.faq.messages import entry_question
from commands.faq.notices import tell_askers, told_lines
from commands.faq.store.activity import Unanswered
from commands.faq.store.entries import FaqRepo
from commands.faq.store.phrasings import Phrasing
from commands.faq.store.reports import entry_periods

PAGE_SIZE = 5  # groups per page; each has its button: 5 + 2 page buttons fit Discord's rows
QUEUE_LOOKED_AT = 300  # most asked unanswered questions grouped by `faq unanswered`
GROUP_LINES = 3  # questions shown per group
PHRASINGS_SHOWN = 3  # ... and each proposed phrasing two (3 × 2 + 5 + 2 = 13, of 25)
CLOSEST = 3
STATS_DAYS = 30
STATS_MONTHS = 3  # months of per-entry figures in `faq stats`
STATS_ENTRIES = 5  # entries shown there, most asked first


async def unanswered(ctx: CommandContext) -> Reply:
    """The proposed phrasings (page 1: accept or reject in one click), then the unanswered
    questions grouped (grouping.py), most distinct askers first, each group's most asked
    question to handle."""
    page = ctx.options["page"] or 1
    faq = ctx.services.get(FaqRepo)
    found, askers = await faq.activity.queue(QUEUE_LOOKED_AT)
    known = frozenset(q.nearest_entry_id for q in found if q.nearest_entry_id in faq.index)
    # Encoding the loose questions (a few ms each, in one batch) is kept off the event loop.
    groups = await asyncio.to_thread(group_questions, found, askers, known, faq.index.encoder)
    pending, waiting = (
        await faq.activity.phrasings.pending(PHRASINGS_SHOWN) if page == 1 else ([], 0)
    )
    if not groups and not waiting:
        return Reply.text(ctx.t("faq.unanswered.none"))
    pages = max(1, (len(groups) + PAGE_SIZE - 1) // PAGE_SIZE)
    shown = groups[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    if not shown and not pending:
        raise UserError("faq.unanswered.no_page", n=pages)
    fields = tuple(_phrasing_field(p, ctx) for p in pending)
    fields += tuple(_group_field(g, ctx) for g in shown)
    buttons = phrasing_buttons(pending, ctx) + tuple(
        Button(
            ctx.t("faq.unanswered.handle", id=g.questions[0].id),
            "faq.promote",
            {"question": str(g.questions[0].id)},
        )
        for g in shown
    )
    hint = ctx.t("faq.unanswered.hint")
    if waiting:
        hint = ctx.t.plural("faq.phrasing.hint", waiting) + "\n" + hint
    return Reply(
        Message(
            title=ctx.t.plural("faq.unanswered.title", await faq.activity.unanswered_count()),
            text=hint,
            fields=fields,
            footer=ctx.t("faq.list.page", page=page, pages=pages),
            buttons=buttons + page_buttons("faq.unanswered", page, pages, ctx, {}),
        )
    )


def _group_field(group: QuestionGroup, ctx: CommandContext) -> Field:
    t, first = ctx.t, group.questions[0]
    people = t.plural("faq.unanswered.people", group.askers)
    if group.entry_id is not None:
        question = ctx.services.get(FaqRepo).index.doc(group.entry_id).question
        name = t(
            "faq.unanswered.near",
            id=group.entry_id,
            question=clip(question, 60),
            questions=t.plural("faq.unanswered.questions", len(group.questions)),
            people=people,
        )
    elif len(group.questions) > 1:
        questions = t.plural("faq.unanswered.questions", len(group.questions))
        name = t("faq.unanswered.alike", questions=questions, people=people)
    else:
        name = t.plural("faq.unanswered.asked", first.count, id=first.id) + f" · {people}"
    if unhelpful := sum(q.unhelpful for q in group.questions):
        name += " · " + t.plural("faq.unanswered.unhelpful", unhelpful)
    lines = [
        t("faq.unanswered.line", id=q.id, n=q.count, text=clip(q.text, 150))
        for q in group.questions[:GROUP_LINES]
    ]
    if len(group.questions) > GROUP_LINES:
        lines.append(t.plural("faq.unanswered.more", len(group.questions) - GROUP_LINES))
    if len(group.questions) == 1:
        lines = [clip(first.text, 300)]
    lines.append(
        t("faq.unanswered.last", when=t.datetime(max(q.last_asked_at for q in group.questions)))
    )
    return Field(name, "\n".join(lines), inline=False)


def _phrasing_field(phrasing: Phrasing, ctx: CommandContext) -> Field:
    index = ctx.services.get(FaqRepo).index
    entry = index.doc(phrasing.entry_id).question if phrasing.entry_id in index else "?"
    name = ctx.t.plural(
        "faq.phrasing.field", phrasing.supporters, id=phrasing.id, entry=phrasing.entry_id
    )
    value = ctx.t("faq.phrasing.value", text=clip(phrasing.text, 200), question=clip(entry, 100))
    return Field(name, value, inline=False)


async def _question(ctx: CommandContext) -> Unanswered:
    question_id: int = ctx.options["question"]
    found = await ctx.services.get(FaqRepo).activity.get_unanswered(question_id)
    if found is None:
        raise UserError("faq.unanswered.not_found", id=question_id)
    return found


async def promote(ctx: CommandContext) -> Reply:
    """With `answer`: a new entry; with `variant_of`: a new phrasing; else: what to do. Either
    way the people who asked the question get its answer (notices.py)."""
    question = await _question(ctx)
    answer, variant_of = ctx.options["answer"], ctx.options["variant_of"]
    if answer and variant_of:
        raise UserError("faq.promote.one_or_other")
    if variant_of:
        entry_id, done = await _as_variant(ctx, question, variant_of)
    elif answer:
        lang = ctx.options["lang"] or question.lang
        draft = make_draft(lang, question.text, answer, tags=parse_tags(ctx.options["tags"]))
        member = await ctx.services.members.ensure(ctx.caller, ctx.now())
        entry = await ctx.services.get(FaqRepo).add(draft, member.id, ctx.now())
        entry_id = entry.id
        done = ctx.t("faq.promote.created", id=entry.id, question=draft.question)
    else:
        return Reply(_guidance(question, ctx))
    faq = ctx.services.get(FaqRepo)
    askers = await faq.activity.take_answered(question.id)
    ctx.services.home.changed()  # its askers' homes, and the queue count
    doc = faq.index.doc(entry_id)
    told = await tell_askers(ctx.services, question, doc, askers, ctx.caller)
    return Reply.text("\n".join([done, *told_lines(told, ctx.t)]))


async def _as_variant(ctx: CommandContext, question: Unanswered, entry_id: int) -> tuple[int, str]:
    faq = ctx.services.get(FaqRepo)
    entry = await faq.get(entry_id)
    if entry is None:
        raise UserError("faq.not_found", id=entry_id)
    await faq.update(entry.id, with_variant(entry.draft, question.text), ctx.now())
    return entry.id, ctx.t("faq.promote.variant", id=entry.id, question=entry.draft.question)


def _guidance(question: Unanswered, ctx: CommandContext) -> Message:
    """The two ways on, typed; the closest entries as one-click "variant of" buttons."""
    index = ctx.services.get(FaqRepo).index
    closest = [index.doc(s.doc_id) for s in index.rank(question.text)[:CLOSEST]]
    buttons = [
        Button(
            clip(ctx.t("faq.promote.variant_button", id=doc.id, question=doc.question), LABEL_MAX),
            "faq.promote",
            {"question": str(question.id), "variant_of": str(doc.id)},
        )
        for doc in closest
    ]
    buttons.append(
        Button(
            ctx.t("faq.promote.dismiss_button"),
            "faq.dismiss",
            {"question": str(question.id)},
            style=ButtonStyle.DANGER,
        )
    )
    text = ctx.t("faq.promote.how", id=question.id, question=clip(question.text, 300))
    return Message(text=text, buttons=tuple(buttons))


async def from_message(ctx: CommandContext) -> Reply:
    """ "Add to FAQ" on a reply in a chat thread (a message action): an entry whose question is
    the thread's first message (or the message replied to), reduced to its question sentences,
    and whose answer is the reply. Whoever asked the FAQ that question in those words is sent
    the answer (notices.py); an entry that already answered it for sure is named."""
    parent, answer = ctx.options["question"] or "", ctx.options["answer"]
    if not content_tokens(parent):
        raise UserError("faq.from_message.no_question")
    question = check_question(entry_question(parent))
    faq = ctx.services.get(FaqRepo)
    known = await faq.search(question, lang=ctx.lang)
    draft = make_draft(known.query_lang or ctx.lang, question, answer)
    member = await ctx.services.members.ensure(ctx.caller, ctx.now())
    entry = await faq.add(draft, member.id, ctx.now())
    lines = [ctx.t("faq.from_message.created", id=entry.id, question=clip(question, 150))]
    buttons = [Button(ctx.t("faq.from_message.show"), "faq.show", {"id": str(entry.id)})]
    if known.verdict == "answer" and known.best is not None and known.best.doc_id in faq.index:
        close = faq.index.doc(known.best.doc_id)
        lines.append(
            ctx.t("faq.from_message.close", id=close.id, question=clip(close.question, 100))
        )
        label = ctx.t("faq.from_message.merge", id=close.id)
        buttons.append(Button(label, "faq.merge", {"entry": str(entry.id), "into": str(close.id)}))
    remove = {"id": str(entry.id)}
    buttons.append(Button(ctx.t("faq.show.remove"), "faq.remove", remove, style=ButtonStyle.DANGER))
    asked, askers = await faq.activity.take_answered_text(normalised(question))
    ctx.services.home.changed()
    if asked is not None:
        told = await tell_askers(ctx.services, asked, faq.index.doc(entry.id), askers, ctx.caller)
        lines += told_lines(told, ctx.t)
    return Reply(Message(text="\n".join(lines), buttons=tuple(buttons)))


async def merge(ctx: CommandContext) -> Reply:
    """ "Make it a variant of n° N" under an entry just made from a thread whose question the
    FAQ already answered with entry N: its question joins N's variants, and it goes."""
    faq, made_id, into_id = ctx.services.get(FaqRepo), ctx.options["entry"], ctx.options["into"]
    if made_id == into_id:
        raise UserError("faq.merge.same", id=made_id)
    made, into = await faq.get(made_id), await faq.get(into_id)
    for entry_id, entry in ((made_id, made), (into_id, into)):
        if entry is None:
            raise UserError("faq.not_found", id=entry_id)
    assert made is not None and into is not None
    await faq.update(into.id, with_variant(into.draft, made.draft.question), ctx.now())
    await faq.remove(made.id)
    text = ctx.t(
        "faq.merge.done", id=made.id, into=into.id, question=clip(made.draft.question, 150)
    )
    return Reply(Message(text=text), replace_original=True)


async def dismiss(ctx: CommandContext) -> Reply:
    question = await _question(ctx)
    await ctx.services.get(FaqRepo).activity.drop_unanswered(question.id)
    ctx.services.home.changed()
    return Reply(Message(text=ctx.t("faq.dismiss.done", id=question.id)), replace_original=True)


async def stats(ctx: CommandContext) -> Reply:
    faq, t = ctx.services.get(FaqRepo), ctx.t
    entries, translated = await faq.counts()
    asks = await faq.activity.asks_since(ctx.now() - timedelta(days=STATS_DAYS))
    fields = [
        Field(t("faq.stats.entries"), t("faq.stats.entries_value", n=entries, t=translated)),
        Field(t.plural("faq.stats.asks", STATS_DAYS), str(asks.total)),
    ]
    if asks.total:
        fields.append(
            Field(
                t("faq.stats.outcomes"),
                t(
                    "faq.stats.outcomes_value",
                    answered=_percent(asks.answered, asks.total, t.lang),
                    suggested=_percent(asks.suggested, asks.total, t.lang),
                    unknown=_percent(asks.unknown, asks.total, t.lang),
                ),
                inline=False,
            )
        )
    votes = await faq.activity.votes()
    if votes:
        lines = (
            t(
                "faq.stats.vote",
                id=v.entry_id,
                question=clip(v.question, 60),
                yes=v.helpful,
                no=v.unhelpful,
            )
            for v in votes
        )
        fields.append(Field(t("faq.stats.votes"), "\n".join(lines), inline=False))
    fields += await _entry_months(ctx)
    top, _ = await faq.activity.unanswered(0, 5)
    if top:
        lines = (t.plural("faq.stats.top", q.count, question=clip(q.text, 80)) for q in top)
        fields.append(Field(t("faq.stats.unanswered"), "\n".join(lines), inline=False))
    return Reply(Message(title=t("faq.stats.title"), fields=tuple(fields)))


async def _entry_months(ctx: CommandContext) -> list[Field]:
    """The most asked entries of the last `STATS_MONTHS` months (the current one included):
    per month, how often the FAQ chose them, how often with confidence, how helpful."""
    t, faq = ctx.t, ctx.services.get(FaqRepo)
    edges = month_edges(ctx.now(), t.tz, STATS_MONTHS)
    periods = await entry_periods(faq.db, edges)
    top = sorted(periods, key=lambda e: (-sum(p.asks for p in periods[e]), e))
    fields: list[Field] = []
    for entry_id in [e for e in top if e in faq.index][:STATS_ENTRIES]:
        lines = [
            t(
                "faq.stats.month",
                month=format_date(start, "MMM y", locale=t.lang),
                asks=t.plural("faq.stats.month_asks", p.asks),
                answered=_rate(p.answer_rate, t.lang),
                helpful=_rate(p.helpful_rate, t.lang),
            )
            for start, p in zip(edges, periods[entry_id], strict=False)
            if p.asks or p.helpful or p.unhelpful
        ]
        question = clip(faq.index.doc(entry_id).question, 80)
        name = t("faq.stats.entry", id=entry_id, question=question)
        fields.append(Field(name, "\n".join(lines), inline=False))
    return fields


def month_edges(now: datetime, tz: tzinfo, months: int) -> list[datetime]:
    """The first instants of the last `months` months in `tz` (this one last), and of the next."""
    local = now.astimezone(tz)
    index = local.year * 12 + local.month - 1  # months since year 0
    return [
        datetime(i // 12, i % 12 + 1, 1, tzinfo=tz) for i in range(index - months + 1, index + 2)
    ]


def _rate(rate: float | None, lang: str) -> str:
    return "–" if rate is None else format_percent(round(rate, 2), locale=lang)


def _percent(part: int, whole: int, lang: str) -> str:
    """ "50 %" in French, "50%" in English (Babel's spacing for the locale)."""
    return format_percent(round(part / whole, 2), locale=lang)
