"""The matching part of a member's home (bot/home.py): their recent round groups not answered
yet, with the "did you meet?" buttons once the question was asked, and the buttons to find
partners or to pause the rounds."""

from __future__ import annotations

from datetime import timedelta

from babel.lists import format_list

from bot.home import HomeContext
from bot.i18n import Translator
from bot.messages import Button, ButtonStyle, Field, Message
from commands.match.render import MET
from commands.match.store.matching import MatchingRepo
from commands.match.store.pending import OpenGroup
from commands.profile.store.profiles import ProfileRepo

OPEN_FOR = timedelta(days=60)  # a group older than this is no longer waiting for an answer
SNOOZE_WEEKS = "4"


async def match_home(ctx: HomeContext) -> list[Message]:
    if ctx.member is None:
        return []
    t = ctx.t
    profile = await ctx.services.get(ProfileRepo).get(ctx.member.id)
    groups = await ctx.services.get(MatchingRepo).open_groups(ctx.member.id, ctx.now - OPEN_FOR)
    if not groups and (profile is None or not profile.opt_in):
        return []  # not in the rounds: the profile part says how to join
    buttons = [Button(t("match.home.find"), "match.find")]
    if profile is not None and profile.opt_in:
        if profile.snoozed_until is not None and profile.snoozed_until > ctx.now:
            buttons.append(Button(t("match.home.resume"), "match.snooze", {"weeks": "0"}))
        else:
            weeks = {"weeks": SNOOZE_WEEKS}
            buttons.append(
                Button(t("match.home.snooze", weeks=SNOOZE_WEEKS), "match.snooze", weeks)
            )
    head = Message(title=t("match.home.title"), text="" if groups else t("match.home.none"))
    return [head, *(_group(group, t) for group in groups), Message(buttons=tuple(buttons))]


def _group(group: OpenGroup, t: Translator) -> Message:
    names = format_list(list(group.partners), locale=t.lang) if group.partners else "—"
    state = t("match.home.asked" if group.asked else "match.home.introduced")
    if not group.introduced:
        state = t("match.home.pending")
    field = Field(
        t("match.home.round", date=t.date(group.scheduled_for, "long")), f"{names}\n{state}"
    )
    buttons: tuple[Button, ...] = ()
    if group.asked:
        args = {"group": str(group.group_id)}
        buttons = (
            Button(t("match.answer_yes"), MET, args | {"answer": "yes"}, ButtonStyle.PRIMARY),
            Button(t("match.answer_no"), MET, args | {"answer": "no"}),
        )
    return Message(fields=(field,), buttons=buttons)
