"""The learning loop: members' own words become variants of the entries they were after.

When a member picks a suggestion (`faq.pick`) or marks an answer helpful (`faq.feedback`), the
question they typed, reduced to its question sentences, is proposed as a variant of that entry.
It waits in `faq unanswered` until a FAQ editor accepts it (it becomes a variant: the next
person asking in those words gets the answer) or rejects it, in one click; or, with
`[faq] auto_accept_after = N`, it is accepted by itself once N distinct people backed it.

"Not helpful" under an answer is the other side (`unhelpful`): the question goes to the FAQ
editors as one the FAQ could not answer, the member's own backing of those words for that entry
is withdrawn, and the other entries the question came close to are offered instead.

Buttons carry an ask's random token, never its text: a token that matches no ask (tampered,
or older than the ask log's retention) teaches nothing. Only FAQ editors (staff, or
`roles.faq_editor`) accept or reject: the specs require it of both buttons.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.context import CommandContext
from bot.errors import UserError
from bot.messages import Button, Message, Reply
from commands.faq.analysis import fold
from commands.faq.answers import answer_message, clip, normalised, suggested
from commands.faq.drafts import check_question, with_variant
from commands.faq.messages import question_part
from commands.faq.notices import Told, tell_askers, told_lines
from commands.faq.retrieval import FaqDoc
from commands.faq.store.activity import NewQuestion
from commands.faq.store.entries import FaqRepo
from commands.faq.store.phrasings import Phrasing

OTHERS_MAX = 3  # entries a "other possible answers" button may name


async def pick(ctx: CommandContext) -> Reply:
    """A suggestion clicked: the entry's answer; the asker's words proposed as its variant."""
    entry_id: int = ctx.options["entry"]
    faq = ctx.services.get(FaqRepo)
    if entry_id not in faq.index:
        raise UserError("faq.not_found", id=entry_id)
    doc = faq.index.doc(entry_id)
    token = ctx.options["ask"]
    reply = answer_message(doc, ctx.lang, ctx.t, ask=token)
    if token:
        await learn(ctx, entry_id, token)
    return Reply(reply)


async def others(ctx: CommandContext) -> Reply:
    """ "Other possible answers" under a confident answer: the other entries as buttons."""
    index = ctx.services.get(FaqRepo).index
    ids = _entry_ids(ctx.options["ids"])
    shown = [index.doc(i) for i in ids if i in index]
    if not shown:
        return Reply.text(ctx.t("faq.others.none"))
    lines, buttons = suggested([(doc, ctx.lang) for doc in shown], ctx.t, ctx.options["ask"])
    return Reply(Message(text="\n".join([ctx.t("faq.others.title"), *lines]), buttons=buttons))


def _entry_ids(text: str) -> list[int]:
    """The entry numbers a button named ("12,7"); anything else in it is ignored."""
    found: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if part.isdigit() and len(part) <= 10 and int(part) not in found:
            found.append(int(part))
    return found[:OTHERS_MAX]


async def learn(ctx: CommandContext, entry_id: int, token: str) -> Phrasing | None:
    """Propose the words of ask `token` as a variant of `entry_id`, backed by the caller;
    accepted at once when `[faq] auto_accept_after` people backed them. None: nothing to learn
    (unknown token, words the entry already has, a question too long to be a variant)."""
    faq = ctx.services.get(FaqRepo)
    asked = await faq.activity.asked(token)
    if asked is None or entry_id not in faq.index:
        return None
    text, lang = asked
    phrasing = learnable(faq.index.doc(entry_id), text)
    if phrasing is None:
        return None
    key = normalised(phrasing)
    member = await ctx.services.members.ensure(ctx.caller, ctx.now())
    proposed = await faq.activity.phrasings.propose(
        entry_id, phrasing, key, lang, member.id, ctx.now()
    )
    needed = ctx.services.config.faq.auto_accept_after
    if proposed is not None and needed and proposed.supporters >= needed:
        await accept_phrasing(ctx, proposed)
    ctx.services.home.changed()  # the queue count on editors' homes
    return proposed


async def unhelpful(
    ctx: CommandContext, entry_id: int, token: str, member_id: int
) -> Message | None:
    """ "Not helpful" on the answer to an ask: the question goes to the FAQ editors as one it
    could not answer (the asker is sent their answer when they give one, notices.py), and the
    other entries it came close to are offered. None when the token names no ask (made up, or
    older than the ask log's retention): nothing to route."""
    faq = ctx.services.get(FaqRepo)
    asked = await faq.activity.asked(token)
    if asked is None:
        return None
    text, lang = asked
    channel = str(ctx.place.channel)
    question = NewQuestion(
        normalised(text), text, lang, member_id, channel, entry_id, unhelpful=True
    )
    await faq.activity.add_unanswered(question, ctx.now())
    if entry_id in faq.index and (phrasing := learnable(faq.index.doc(entry_id), text)):
        # words this member proposed for that entry (a pick, a "helpful") no longer stand
        await faq.activity.phrasings.withdraw(entry_id, normalised(phrasing), member_id)
    ctx.services.home.changed()  # the queue count on editors' homes
    result = await faq.search(text, lang=lang)
    others = [h for h in result.hits if h.doc_id != entry_id and h.doc_id in faq.index]
    docs = [(faq.index.doc(h.doc_id), h.lang) for h in others[:OTHERS_MAX]]
    lines, buttons = suggested(docs, ctx.t, token)
    if lines:
        lines.insert(0, ctx.t("faq.feedback.maybe"))
    routed = ctx.t("faq.feedback.routed", question=clip(text, 150))
    return Message(text="\n".join([routed, *lines]), buttons=buttons)


def learnable(doc: FaqDoc, asked: str) -> str | None:
    """The variant of `doc` that the question `asked` teaches: its question sentences (a long
    message's greetings and context left out). None when it teaches nothing: words the entry
    already has (once folded), or too long or short to be a question of the FAQ."""
    try:
        phrasing = check_question(" ".join(question_part(asked).split()))
    except UserError:
        return None
    known = {normalised(p) for p in (doc.question, *doc.variants)}
    known |= {normalised(q) for q, _ in doc.translations.values()}
    key = normalised(phrasing)
    if not key or key in known or fold(phrasing) in {fold(p) for p in doc.variants}:
        return None
    return phrasing


async def accept_phrasing(ctx: CommandContext, phrasing: Phrasing) -> tuple[int, Told]:
    """`phrasing` becomes a variant of its entry: the entry's number, and who else asked the
    question in those words and was told its answer (notices.py)."""
    faq = ctx.services.get(FaqRepo)
    entry = await faq.get(phrasing.entry_id)
    if entry is None:
        await faq.activity.phrasings.drop(phrasing.id)
        raise UserError("faq.not_found", id=phrasing.entry_id)
    if phrasing.text not in entry.draft.variants:
        await faq.update(entry.id, with_variant(entry.draft, phrasing.text), ctx.now())
    voters = await faq.activity.phrasings.voters(phrasing.id)
    await faq.activity.phrasings.drop(phrasing.id)
    question, askers = await faq.activity.take_answered_text(normalised(phrasing.text))
    told = Told()
    if question is not None:
        others = [a for a in askers if a not in voters]
        doc = faq.index.doc(entry.id)
        told = await tell_askers(ctx.services, question, doc, others, ctx.caller)
    return entry.id, told


async def _phrasing(ctx: CommandContext) -> Phrasing:
    phrasing_id: int = ctx.options["phrasing"]
    found = await ctx.services.get(FaqRepo).activity.phrasings.get(phrasing_id)
    if found is None:
        raise UserError("faq.phrasing.not_found", id=phrasing_id)
    return found


async def accept(ctx: CommandContext) -> Reply:
    phrasing = await _phrasing(ctx)
    entry_id, told = await accept_phrasing(ctx, phrasing)
    ctx.services.home.changed()
    text = ctx.t("faq.phrasing.accepted", text=clip(phrasing.text, 200), id=entry_id)
    text = "\n".join([text, *told_lines(told, ctx.t)])
    return Reply(Message(text=text), replace_original=True)


async def reject(ctx: CommandContext) -> Reply:
    phrasing = await _phrasing(ctx)
    await ctx.services.get(FaqRepo).activity.phrasings.drop(phrasing.id)
    ctx.services.home.changed()
    text = ctx.t("faq.phrasing.rejected", text=clip(phrasing.text, 200), id=phrasing.entry_id)
    return Reply(Message(text=text), replace_original=True)


def phrasing_buttons(pending: Sequence[Phrasing], ctx: CommandContext) -> tuple[Button, ...]:
    """One-click accept and reject for each pending phrasing (`faq unanswered`)."""
    buttons: list[Button] = []
    for p in pending:
        args = {"phrasing": str(p.id)}
        buttons.append(Button(ctx.t("faq.phrasing.accept", id=p.id), "faq.accept", args))
        buttons.append(Button(ctx.t("faq.phrasing.reject", id=p.id), "faq.reject", args))
    return tuple(buttons)
