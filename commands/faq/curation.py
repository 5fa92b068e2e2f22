"""`faq add|edit|remove|list`: moderators curate the knowledge base.

The knowledge base is the federation's, not an agency's: any moderator may edit any entry
(roles are checked by the dispatcher from the specs).
"""

from __future__ import annotations

from typing import Any

from bot.context import CommandContext
from bot.errors import UserError
from bot.messages import Button, ButtonStyle, Message, Reply
from commands.faq.analysis import fold
from commands.faq.answers import clip, find_entry
from commands.faq.drafts import (
    CLEAR,
    make_draft,
    other_lang,
    parse_tags,
    parse_variants,
    split_list,
)
from commands.faq.store.entries import EntryDraft, FaqRepo

PAGE_SIZE = 10


def _translation(ctx: CommandContext, lang: str) -> dict[str, tuple[str, str]]:
    question, answer = ctx.options.get("translated_question"), ctx.options.get("translated_answer")
    if not question and not answer:
        return {}
    if not (question and answer):
        raise UserError("faq.translation_incomplete")
    return {other_lang(lang): (question, answer)}


async def add(ctx: CommandContext) -> Reply:
    o = ctx.options
    lang = o["lang"] or ctx.lang
    draft = make_draft(
        lang,
        o["question"],
        o["answer"],
        parse_variants(o["variants"]),
        parse_tags(o["tags"]),
        _translation(ctx, lang),
    )
    faq = ctx.services.get(FaqRepo)
    # Looked for before adding, while the new entry cannot be its own look-alike.
    twin = await faq.search(draft.question, lang=lang)
    similar = faq.index.doc(twin.hits[0].doc_id) if twin.verdict == "answer" else None
    member = await ctx.services.members.ensure(ctx.caller, ctx.now())
    entry = await faq.add(draft, member.id, ctx.now())
    lines = [ctx.t("faq.add.done", id=entry.id, question=draft.question)]
    if similar is not None:
        lines.append(ctx.t("faq.add.similar", id=similar.id, question=similar.question))
    return Reply.text("\n".join(lines), ephemeral=False)


async def edit(ctx: CommandContext) -> Reply:
    entry = await find_entry(ctx, ctx.options["id"])
    draft = _edited(entry.draft, ctx.options)
    if draft == entry.draft:
        raise UserError("faq.edit.nothing")
    updated = await ctx.services.get(FaqRepo).update(entry.id, draft, ctx.now())
    if updated is None:
        raise UserError("faq.not_found", id=entry.id)
    return Reply.text(ctx.t("faq.edit.done", id=entry.id, question=draft.question))


def _edited(old: EntryDraft, o: dict[str, Any]) -> EntryDraft:
    lang = o["lang"] or old.lang
    translations = dict(old.translations)
    if lang != old.lang and lang in translations:
        raise UserError("faq.edit.lang_taken", lang=lang)
    variants = [v for v in old.variants if not _removed(v, old.variants, o["remove_variants"])]
    variants += parse_variants(o["add_variants"])
    tags = old.tags if o["tags"] is None else parse_tags(o["tags"])
    question, answer = o["translated_question"], o["translated_answer"]
    other = other_lang(lang)
    if question == CLEAR:
        translations.pop(other, None)
    elif question or answer:
        current = translations.get(other)
        if current is None and not (question and answer):
            raise UserError("faq.translation_incomplete")
        base = current or ("", "")
        translations[other] = (question or base[0], answer or base[1])
    return make_draft(
        lang,
        o["question"] or old.question,
        o["answer"] or old.answer,
        variants,
        tags,
        translations,
    )


def _removed(variant: str, variants: tuple[str, ...], spec: str | None) -> bool:
    """`remove_variants:"2;3"` by number as `faq show` lists them, or by text."""
    if not spec:
        return False
    wanted = split_list(spec, "|;,")
    number = str(variants.index(variant) + 1)
    return number in wanted or fold(variant) in {fold(w) for w in wanted}


async def remove(ctx: CommandContext) -> Reply:
    entry = await find_entry(ctx, ctx.options["id"])
    confirm = Button(
        ctx.t("faq.remove.confirm"),
        "faq.remove_confirmed",
        {"id": str(entry.id)},
        style=ButtonStyle.DANGER,
    )
    text = ctx.t("faq.remove.ask", id=entry.id, question=entry.draft.question)
    return Reply(Message(text=text, buttons=(confirm,)))


async def remove_confirmed(ctx: CommandContext) -> Reply:
    entry_id: int = ctx.options["id"]
    if not await ctx.services.get(FaqRepo).remove(entry_id):
        raise UserError("faq.not_found", id=entry_id)
    return Reply(Message(text=ctx.t("faq.remove.done", id=entry_id)), replace_original=True)


async def list_entries(ctx: CommandContext) -> Reply:
    tag = fold(ctx.options["tag"] or "").strip()
    page = ctx.options["page"] or 1
    found = [
        s
        for s in await ctx.services.get(FaqRepo).summaries()
        if not tag or tag in {fold(t) for t in s.tags}
    ]
    if not found:
        raise UserError("faq.list.empty_tag" if tag else "faq.list.empty", tag=tag)
    pages = (len(found) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(page, pages)
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    lines = [
        ctx.t("faq.list.line", id=s.id, lang=s.lang, question=clip(s.question, 120))
        + (f" — {', '.join(s.tags)}" if s.tags else "")
        for s in shown
    ]
    title = ctx.t.plural("faq.list.title", len(found))
    footer = ctx.t("faq.list.page", page=page, pages=pages)
    buttons = page_buttons("faq.list", page, pages, ctx, {"tag": tag} if tag else {})
    return Reply(Message(title=title, text="\n".join(lines), footer=footer, buttons=buttons))


def page_buttons(
    action: str, page: int, pages: int, ctx: CommandContext, args: dict[str, str]
) -> tuple[Button, ...]:
    buttons = []
    if page > 1:
        buttons.append(Button(ctx.t("faq.previous"), action, {**args, "page": str(page - 1)}))
    if page < pages:
        buttons.append(Button(ctx.t("faq.next"), action, {**args, "page": str(page + 1)}))
    # Button ids are capped at 100 characters: an odd tag drops the buttons, not the page.
    return tuple(b for b in buttons if len(b.custom_id) <= 100)
