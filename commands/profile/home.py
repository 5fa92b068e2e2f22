"""The profile's part of a member's home (bot/home.py): their own card (`profile show`), with
buttons to switch matching, visibility and open introductions on or off."""

from __future__ import annotations

from dataclasses import replace

from bot.home import HomeContext
from bot.messages import Button, Message
from commands.profile.render import own_profile_message
from commands.profile.store.profiles import ProfileRepo

SET = "profile.set"


async def profile_home(ctx: HomeContext) -> list[Message]:
    t = ctx.t
    title = t("profile.home.title")
    profile = await ctx.services.get(ProfileRepo).get(ctx.member.id) if ctx.member else None
    if profile is None:
        buttons = (Button(t("profile.home.join"), SET, {"match": "yes"}),)
        return [Message(title=title, text=t("profile.home.none"), buttons=buttons)]
    toggles = (
        ("match", profile.opt_in),
        ("visible", profile.visible),
        ("open", profile.open_intros),
    )
    buttons = tuple(
        Button(
            t(f"profile.home.{name}_{'off' if on else 'on'}"), SET, {name: "no" if on else "yes"}
        )
        for name, on in toggles
    )
    card = own_profile_message(profile, t, title=title)
    return [replace(card, buttons=buttons, footer=card.footer or t("profile.home.footer"))]
