"""GDPR: `profile export` (everything held about me, as a JSON file), `profile delete`
(erase it all, after confirmation) and `profile purge` (an admin erases someone who left).

The profile's own data is exported by `export_profile`, registered with bot/privacy.py like
any feature's; erasure is the members row's deletion, which cascades to every table.
"""

from __future__ import annotations

from typing import Any

from bot.context import CommandContext
from bot.errors import UserError
from bot.messages import Attachment, Button, ButtonStyle, Message, Reply
from bot.privacy import (
    erase_subject,
    export_subject,
    register_eraser,
    register_exporter,
    to_json,
)
from bot.services import Services
from commands.profile.store.profiles import ProfileRepo

EXPORT_FILE = "fedbot-data.json"


async def export_profile(services: Services, member_id: int) -> dict[str, Any]:
    profile = await services.get(ProfileRepo).get(member_id)
    if profile is None:
        return {}
    return {
        "agency": profile.agency_name,
        "organisation": profile.organisation,
        "role": profile.role,
        "description": profile.description,
        "languages": list(profile.languages),
        "interests": [{"tag": t.slug, "as_written": t.display} for t in profile.tags],
        "match_opt_in": profile.opt_in,
        "visible_to_others": profile.visible,
        "open_to_introductions": profile.open_intros,
        "rounds_snoozed_until": profile.snoozed_until,
        "updated_at": profile.updated_at,
    }


async def forget_cached_profile(services: Services, member_id: int) -> None:
    services.get(ProfileRepo).invalidate()  # the in-memory index must not outlive the profile


register_exporter("profile", export_profile, tables=("profiles", "profile_tags"))
register_eraser("profile", forget_cached_profile)


async def export_data(ctx: CommandContext) -> Reply:
    """Everything held about the caller, in every workspace and DM they are known in."""
    identities = await ctx.services.members.subject_of(ctx.caller)
    if not identities:
        return Reply.text(ctx.t("profile.export_nothing"))
    data = await export_subject(ctx.services, identities)
    attachment = Attachment(EXPORT_FILE, to_json(data), "application/json")
    sections = sorted({k for identity in data["identities"] for k in identity if k != "member"})
    text = ctx.t(
        "profile.export_done",
        sections=", ".join(sections) or "—",
        identities=ctx.t.plural("profile.identities", len(identities)),
    )
    return Reply(Message(text=text, attachments=(attachment,)))


async def link_identities(ctx: CommandContext) -> Reply:
    """Without a code: a code for another account of the caller's. With one: link this account
    to the one that asked for it, after a warning (whoever made the code could then export and
    erase this account's data too)."""
    members, now = ctx.services.members, ctx.now()
    me = await members.ensure(ctx.caller, now)
    code = ctx.options["code"]
    if not code:
        made = await members.link_code(me.id, now)
        return Reply.text(ctx.t("profile.link_code", code=made, minutes=15))
    if not ctx.options["confirm"]:
        button = Button(
            ctx.t("profile.link_button"),
            "profile.link",
            {"code": code, "confirm": "yes"},
            ButtonStyle.DANGER,
        )
        return Reply(Message(text=ctx.t("profile.link_confirm"), buttons=(button,)))
    if not await members.redeem_link_code(code, me.id, now):
        raise UserError("profile.link_bad_code")
    identities = await members.subject(me)
    text = ctx.t("profile.linked", identities=ctx.t.plural("profile.identities", len(identities)))
    return Reply(Message(text=text), replace_original=True)


async def delete_data(ctx: CommandContext) -> Reply:
    identities = await ctx.services.members.subject_of(ctx.caller)
    if not identities:
        return Reply.text(ctx.t("profile.delete_nothing"))
    if not ctx.options["confirm"]:
        button = Button(
            ctx.t("profile.delete_button"),
            "profile.delete",
            {"confirm": "yes"},
            ButtonStyle.DANGER,
        )
        text = ctx.t(
            "profile.delete_confirm",
            identities=ctx.t.plural("profile.identities", len(identities)),
        )
        return Reply(Message(text=text, buttons=(button,)))
    await erase_subject(ctx.services, identities)
    return Reply(Message(text=ctx.t("profile.deleted")), replace_original=True)


async def purge_member(ctx: CommandContext) -> Reply:
    """Erase a member who left the workspace (in the caller's platform and workspace)."""
    caller, user = ctx.caller, ctx.options["user"]
    member = await ctx.services.members.find(caller.platform, caller.workspace, user)
    if member is None:
        raise UserError("profile.purge_unknown", user=user)
    name = member.display_name or member.user_id
    if not ctx.options["confirm"]:
        button = Button(
            ctx.t("profile.purge_button", name=name[:40]),
            "profile.purge",
            {"user": user, "confirm": "yes"},
            ButtonStyle.DANGER,
        )
        text = ctx.t("profile.purge_confirm", name=name, user=user)
        return Reply(Message(text=text, buttons=(button,)))
    await erase_subject(ctx.services, await ctx.services.members.subject(member))
    return Reply(Message(text=ctx.t("profile.purged", name=name)), replace_original=True)
