"""`profile set`: the member's own profile, field by field; `-` empties a field."""

from __future__ import annotations

from bot.context import CommandContext
from bot.errors import UserError
from bot.messages import Reply
from commands.profile.languages import parse_languages
from commands.profile.render import own_profile_message, tags_report
from commands.profile.store.profiles import ProfileChanges, ProfileRepo
from commands.profile.tags import MAX_TAG_CHARS, MAX_TAGS, MIN_TAG_CHARS, TagError
from commands.profile.vocabulary import TypedTag, read_tags, vocabulary

CLEAR = "-"
FIELDS = (
    "agency",
    "organisation",
    "role",
    "interests",
    "description",
    "languages",
    "match",
    "visible",
    "open",
)


async def set_profile(ctx: CommandContext) -> Reply:
    options, services, now = ctx.options, ctx.services, ctx.now()
    if all(options[name] is None for name in FIELDS):
        raise UserError("profile.nothing_to_set")
    member = await services.members.ensure(ctx.caller, now)
    before = await services.get(ProfileRepo).get(member.id)
    typed = await _interests(ctx, before.slugs if before else frozenset())
    changes = ProfileChanges(
        **await _agency(ctx, first_time=before is None),
        organisation=_text(options["organisation"]),
        role=_text(options["role"]),
        description=_text(options["description"]),
        languages=_languages(options["languages"]),
        opt_in=options["match"],
        visible=options["visible"],
        open_intros=options["open"],
        tags=None if typed is None else tuple(item.tag for item in typed),
    )
    profile = await services.get(ProfileRepo).save(member.id, changes, now)
    title = ctx.t("profile.created" if before is None else "profile.updated")
    return Reply(
        own_profile_message(profile, ctx.t, title=title, text=tags_report(typed or [], ctx.t))
    )


def _text(value: str | None) -> str | None:
    return "" if value == CLEAR else value


def _languages(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return () if value == CLEAR else parse_languages(value)


async def _agency(ctx: CommandContext, *, first_time: bool) -> dict[str, object]:
    """The agency named; on a first profile, the agency of the channel by default."""
    name = ctx.options["agency"]
    if name == CLEAR:
        return {"clear_agency": True}
    if name is None:
        if not first_time:
            return {}
        here = await ctx.services.agencies.agency_of(ctx.place.channel)
        return {"agency_id": here.id} if here else {}
    agency = await ctx.services.agencies.find(name)
    if agency is None:
        raise UserError("agency.not_found", name=name[:60])
    return {"agency_id": agency.id}


async def _interests(ctx: CommandContext, own: frozenset[str]) -> list[TypedTag] | None:
    text = ctx.options["interests"]
    if text is None:
        return None
    if text == CLEAR:
        return []
    try:
        return read_tags(text, await vocabulary(ctx.services), own)
    except TagError as err:
        raise UserError(
            f"profile.tag_{err.reason}",
            tag=err.tag[: MAX_TAG_CHARS + 10],
            min=MIN_TAG_CHARS,
            max=MAX_TAG_CHARS if err.reason == "too_long" else MAX_TAGS,
        ) from None
