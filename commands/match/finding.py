"""`match find` (best partners, and why), `match topic` (who works on a topic) and the
"introduce me" button (`match introduce`).

Showing suggestions records nothing: only an introduction, which sends the partner a message,
enters the history that keeps the same people from being suggested again for
`repeat_after_days`. Storing every list shown would keep data about people who never
interacted, and would hide good partners after a mere glance at the list.

So an introduction proves the suggestion otherwise: each "introduce me" button carries a tag
signed by the bot over (caller, partner, week). Typing `match introduce member:N` by hand, or
changing the number on a button, reaches nobody, unless N opened their profile to
introductions from anyone (`profile set open:yes`).
"""

from __future__ import annotations

from datetime import timedelta

from bot.context import CommandContext
from bot.errors import SendError, UserError
from bot.i18n import normalise_lang, translator
from bot.messages import Field, Message, Reply
from commands.match import render
from commands.match.pool import candidate_of, pool_of
from commands.match.ranking import members_on_topic, rank_partners
from commands.match.store.matching import MatchingRepo
from commands.profile.store.profiles import Card, Profile, ProfileRepo
from commands.profile.tags import TagError, TagVocabulary, normalise_tag
from commands.profile.vocabulary import vocabulary_of

SPARE = 3  # extra partners asked for, in case some opted out since the index was built
TOPIC_SHOWN = 20
PROOF_PERIOD = timedelta(days=7)  # a suggestion can be acted on for one to two weeks


def _period(ctx: CommandContext) -> int:
    return int(ctx.now().timestamp() // PROOF_PERIOD.total_seconds())


def intro_proof(ctx: CommandContext, me: int, partner: int) -> str:
    return ctx.services.signer.tag("intro", me, partner, _period(ctx))


def was_suggested(ctx: CommandContext, me: int, partner: int, proof: str | None) -> bool:
    """The proof is this week's or last week's tag for (me, partner)."""
    signer, now = ctx.services.signer, _period(ctx)
    return any(signer.check(proof, "intro", me, partner, p) for p in (now, now - 1))


async def my_profile(ctx: CommandContext) -> Profile:
    """The caller's profile; they must have opted in: who is never suggested may not search."""
    caller = ctx.caller
    member = await ctx.services.members.find(caller.platform, caller.workspace, caller.user_id)
    profile = await ctx.services.get(ProfileRepo).get(member.id) if member else None
    if profile is None:
        raise UserError("match.no_profile")
    if not profile.opt_in:
        raise UserError("match.not_opted_in")
    return profile


def _topic(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return normalise_tag(text)
    except TagError:
        raise UserError("match.bad_topic", topic=text[:40]) from None


async def find_partners(ctx: CommandContext) -> Reply:
    services, now = ctx.services, ctx.now()
    settings = services.config.match
    me = await my_profile(ctx)
    topic = _topic(ctx.options["topic"])
    if not me.tags and topic is None:
        raise UserError("match.no_interests")
    again = bool(ctx.options["again"])
    since = now - timedelta(days=settings.repeat_after_days)
    recent = {} if again else await services.get(MatchingRepo).partners_since(me.member_id, since)
    snapshot = await services.get(ProfileRepo).snapshot()
    pool, vocab = pool_of(snapshot), vocabulary_of(snapshot)
    if topic is not None and not pool.document_frequency(topic):
        return _nobody_on(topic, vocab, ctx)
    found = rank_partners(
        candidate_of(me),
        pool,
        exclude={str(k) for k in recent},
        limit=settings.suggestions + SPARE,
        topic=topic,
    )
    cards = await services.get(ProfileRepo).cards(int(s.key) for s in found)
    # The index may predate someone's opt-out: the stored profile has the last word.
    kept = [(s, card) for s in found if (card := cards.get(int(s.key))) and card.opt_in]
    if not kept:
        raise UserError("match.nobody_recent" if recent else "match.nobody")
    message = render.suggestions_message(
        kept[: settings.suggestions],
        vocab,
        ctx.t,
        caller_platform=ctx.caller.platform,
        topic=topic,
        hidden=len(recent),
        again=again,
        proofs={card.member_id: intro_proof(ctx, me.member_id, card.member_id) for _, card in kept},
        mine=frozenset(me.slugs),
    )
    return Reply(message)


def _nobody_on(topic: str, vocab: TagVocabulary, ctx: CommandContext) -> Reply:
    near = [vocab.display(s) for s in vocab.suggest(topic, limit=4) if s != topic][:3]
    key = "match.topic_empty_hint" if near else "match.topic_empty"
    return Reply.text(ctx.t(key, topic=vocab.display(topic), hints=", ".join(near)))


async def list_topic(ctx: CommandContext) -> Reply:
    me = await my_profile(ctx)
    topic = _topic(ctx.options["tag"])
    assert topic is not None  # a required option
    snapshot = await ctx.services.get(ProfileRepo).snapshot()
    pool, vocab = pool_of(snapshot), vocabulary_of(snapshot)
    if not pool.document_frequency(topic):
        return _nobody_on(topic, vocab, ctx)
    keys = members_on_topic(pool, topic, limit=TOPIC_SHOWN + SPARE, exclude={str(me.member_id)})
    cards = await ctx.services.get(ProfileRepo).cards(int(k) for k in keys)
    shown = [cards[int(k)] for k in keys if int(k) in cards and cards[int(k)].opt_in]
    total = pool.document_frequency(topic) - (topic in me.slugs)
    lines = [_topic_line(card, ctx) for card in shown[:TOPIC_SHOWN]]
    title = ctx.t.plural("match.topic_title", total, topic=vocab.display(topic))
    body = "\n".join(lines) or ctx.t("match.topic_only_you")
    return Reply(
        Message(
            title=title,
            fields=(Field(ctx.t("match.topic_field"), body, inline=False),),
            footer=ctx.t("match.topic_footer", topic=vocab.display(topic)),
        )
    )


def _topic_line(card: Card, ctx: CommandContext) -> str:
    about = render.card_line(card, ctx.t, platform=ctx.caller.platform)
    return f"{card.display_name} — {about}" if about else card.display_name


async def introduce(ctx: CommandContext) -> Reply:
    services = ctx.services
    me = await my_profile(ctx)
    partner_id = ctx.options["member"]
    if partner_id == me.member_id:
        raise UserError("match.introduce_self")
    cards = await services.get(ProfileRepo).cards([me.member_id, partner_id])
    partner = cards.get(partner_id)
    if partner is None:
        raise UserError("match.no_such_member", id=partner_id)
    if not partner.opt_in:
        raise UserError("match.partner_gone")
    if not partner.open_intros and not was_suggested(
        ctx, me.member_id, partner_id, ctx.options["proof"]
    ):
        raise UserError("match.not_suggested")
    await _check_may_introduce(ctx, me.member_id, partner)
    snapshot = await services.get(ProfileRepo).snapshot()
    shared = pool_of(snapshot).rarest_first(me.slugs & {t.slug for t in partner.tags})
    t = translator(normalise_lang(partner.locale), services.config.bot.timezone)
    message = render.introduction_message(cards[me.member_id], shared, vocabulary_of(snapshot), t)
    try:
        await services.outbound.send_dm(
            partner.platform, partner.workspace, partner.user_id, message
        )
    except SendError:
        raise UserError("match.introduction_failed", name=partner.display_name) from None
    await services.get(MatchingRepo).record_introduction(me.member_id, partner_id, ctx.now())
    return Reply(Message(text=ctx.t("match.introduced", name=partner.display_name)))


async def _check_may_introduce(ctx: CommandContext, member_id: int, partner: Card) -> None:
    """Not the same person twice within `repeat_after_days` (unless asked), and no more than
    `introductions_per_day`: an introduction is a message to someone, not to be spammed."""
    matching, settings, now = ctx.services.get(MatchingRepo), ctx.services.config.match, ctx.now()
    if not ctx.options["again"]:
        since = now - timedelta(days=settings.repeat_after_days)
        met = (await matching.partners_since(member_id, since)).get(partner.member_id)
        if met is not None:
            date = ctx.t.date(met, "long")
            raise UserError("match.already_introduced", name=partner.display_name, date=date)
    today = await matching.introductions_since(member_id, now - timedelta(days=1))
    if today >= settings.introductions_per_day:
        raise UserError("match.too_many_introductions", max=settings.introductions_per_day)
