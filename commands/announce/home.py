"""The announcements' part of a member's home (bot/home.py): the latest announcements that
reached their agency (from their profile), with "Bien reçu" until the agency acknowledged them;
for staff, the last announcements' delivery status (the `announce list` lines)."""

from __future__ import annotations

from bot.home import HomeContext
from bot.i18n import Translator
from bot.messages import Button, ButtonStyle, Field, Message
from commands.announce.render import ACK_ACTION, list_message
from commands.announce.store.announcements import Ack, Announcement, AnnouncementRepo
from commands.profile.store.profiles import ProfileRepo

SHOWN = 3
BODY_SHOWN = 300


async def agency_home(ctx: HomeContext) -> list[Message]:
    t = ctx.t
    profile = await ctx.services.get(ProfileRepo).get(ctx.member.id) if ctx.member else None
    title = t("announce.home.title")
    if profile is None or profile.agency_id is None:
        return [Message(title=title, text=t("announce.home.no_agency"))]
    repo = ctx.services.get(AnnouncementRepo)
    ids = await repo.outbox.latest_for_agency(profile.agency_id, SHOWN)
    if not ids:
        text = t("announce.home.none", agency=profile.agency_name or "")
        return [Message(title=title, text=text)]
    items = []
    for announcement_id in ids:
        ann = await repo.get(announcement_id)
        if ann is None:
            continue
        acks = [a for a in await repo.acks(ann.id) if a.agency_id == profile.agency_id]
        items.append(_item(ann, acks[0] if acks else None, t))
    head = Message(title=title, text=t("announce.home.intro", agency=profile.agency_name or ""))
    return [head, *items]


def _item(ann: Announcement, ack: Ack | None, t: Translator) -> Message:
    body = " ".join(ann.body.split())
    if len(body) > BODY_SHOWN:
        body = body[: BODY_SHOWN - 1].rstrip() + "…"
    when = t.datetime(ann.confirmed_at or ann.created_at, "short")
    name = f"#{ann.id} · {ann.title}" if ann.title else f"#{ann.id} · {when}"
    lines = [body]
    if ack is not None:
        who = ack.member_name or t("announce.someone")
        lines.append(t("announce.home.acked", name=who, when=t.datetime(ack.acked_at, "short")))
        return Message(fields=(Field(name, "\n".join(lines), inline=False),))
    button = Button(t("announce.ack_button"), ACK_ACTION, {"id": str(ann.id)}, ButtonStyle.PRIMARY)
    return Message(fields=(Field(name, "\n".join(lines), inline=False),), buttons=(button,))


async def staff_home(ctx: HomeContext) -> list[Message]:
    if not ctx.access.is_staff:
        return []
    repo, t = ctx.services.get(AnnouncementRepo), ctx.t
    anns = await repo.recent(SHOWN)
    if not anns:
        return [Message(title=t("announce.home.staff_title"), text=t("announce.none"))]
    totals = await repo.outbox.totals([a.id for a in anns])
    listed = list_message(anns, totals, t, ctx.now)
    buttons = tuple(
        Button(t("announce.home.status_button", id=a.id), "announce.status", {"id": str(a.id)})
        for a in anns
    )
    return [Message(title=t("announce.home.staff_title"), fields=listed.fields, buttons=buttons)]
