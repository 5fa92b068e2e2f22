"""`profile show` (one's own, or another member's if they made it visible) and
`profile tags` (the tags in use, so that the vocabulary converges)."""

from __future__ import annotations

from bot.context import CommandContext
from bot.errors import UserError
from bot.messages import Field, Message, Reply
from commands.profile.render import own_profile_message, profile_fields
from commands.profile.store.profiles import ProfileRepo
from commands.profile.tags import CANONICAL_TAGS
from commands.profile.vocabulary import most_used, vocabulary_of

TAGS_SHOWN = 30


async def show_profile(ctx: CommandContext) -> Reply:
    caller, services = ctx.caller, ctx.services
    user = ctx.options["user"]
    own = user is None or user == caller.user_id
    member = await services.members.find(caller.platform, caller.workspace, user or caller.user_id)
    profile = await services.get(ProfileRepo).get(member.id) if member else None
    if own:
        if profile is None:
            return Reply.text(ctx.t("profile.no_profile"))
        return Reply(own_profile_message(profile, ctx.t, title=ctx.t("profile.own_title")))
    # One answer whether the profile is missing or private: nobody learns which.
    if member is None or profile is None or not profile.visible:
        raise UserError("profile.not_visible")
    title = ctx.t("profile.title", name=member.display_name or member.user_id)
    return Reply(Message(title=title, fields=profile_fields(profile, ctx.t, own=False)))


async def list_tags(ctx: CommandContext) -> Reply:
    snapshot = await ctx.services.get(ProfileRepo).snapshot()
    vocab = vocabulary_of(snapshot)
    search = ctx.options["search"]
    if search:
        slugs = vocab.suggest(search, limit=TAGS_SHOWN)
        if not slugs:
            return Reply.text(ctx.t("profile.tags_none", search=search[:40]))
        used, unused = slugs, []
    else:
        ranked = most_used(snapshot, len(CANONICAL_TAGS) + TAGS_SHOWN)
        used = [s for s in ranked if vocab.count(s)][:TAGS_SHOWN]
        unused = [s for s in ranked if not vocab.count(s)]
    fields = []
    if used:
        lines = [f"{vocab.display(slug)} ({vocab.count(slug)})" for slug in used]
        fields.append(Field(ctx.t("profile.tags_field"), "\n".join(lines), inline=False))
    if unused:
        names = ", ".join(vocab.display(slug) for slug in unused)
        fields.append(Field(ctx.t("profile.tags_federation"), names, inline=False))
    title = ctx.t("profile.tags_search", search=search) if search else ctx.t("profile.tags_title")
    return Reply(Message(title=title, fields=tuple(fields), footer=ctx.t("profile.tags_footer")))
