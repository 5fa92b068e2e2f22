"""`announce send|confirm|cancel|status|list|retry|delete|ack`: what each command does.

Handlers return what to show; sending is the courier's job (commands/announce/delivery.py),
which they start once the outbox rows are committed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.context import CommandContext
from bot.errors import UserError
from bot.messages import Message, Reply
from bot.services import Services
from bot.spec import Role
from commands.announce.audience import check_link, check_schedule, per_platform, resolve
from commands.announce.delivery import courier_for, run_due
from commands.announce.render import (
    channel_summary,
    preview_message,
    status_message,
)
from commands.announce.render import list_message as render_list
from commands.announce.store.announcements import Announcement, AnnouncementRepo, Draft, State
from commands.announce.store.outbox_rows import FAILED, KEPT, SENT, Delivery
from commands.profile.store.profiles import ProfileRepo

audit_log = logging.getLogger("fedbot.audit")

DRAFT_TTL = timedelta(hours=2)  # a preview left unconfirmed longer must be sent again


async def send_announcement(ctx: CommandContext) -> Reply:
    o = ctx.options
    if not o["text"]:
        raise UserError("announce.text_missing")
    now = ctx.now()
    draft = Draft(
        title=o["title"],
        body=o["text"],
        link=check_link(o["link"]),
        audience=o["to"],
        target=(o["target"] or "").strip(),
        lang=ctx.lang,
        origin=ctx.place.channel,
        send_at=check_schedule(o["at"], now),
    )
    destinations = await resolve(ctx.services.agencies, draft.audience, draft.target)
    if not destinations:
        raise UserError("announce.no_channels")
    member = await ctx.services.members.ensure(ctx.caller, now)
    repo = ctx.services.get(AnnouncementRepo)
    ann = await repo.get(await repo.create_draft(draft, member.id, now))
    assert ann is not None
    platforms = per_platform(destinations)
    offline = sorted(set(platforms) - set(ctx.services.outbound.platforms))
    return Reply(preview_message(ann, platforms, offline, ctx.t), ephemeral=True)


async def _require_author(ctx: CommandContext, ann: Announcement) -> None:
    """A draft is confirmed or cancelled by whoever wrote it (or an admin): another staff
    member clicking a forwarded preview, or typing its number, sends nothing."""
    if ctx.access.rank >= Role.ADMIN:
        return
    caller = ctx.caller
    member = await ctx.services.members.find(caller.platform, caller.workspace, caller.user_id)
    if member is None or ann.author_id != member.id:
        raise UserError("announce.not_author", id=ann.id)


async def confirm(ctx: CommandContext) -> Reply:
    repo = ctx.services.get(AnnouncementRepo)
    ann = await _find(ctx, ctx.options["id"], drafts=True)
    if ann.state == State.DRAFT:
        await _require_author(ctx, ann)
    now = ctx.now()
    if ann.state == State.CANCELLED:
        raise UserError("announce.already_cancelled", id=ann.id)
    if ann.state != State.DRAFT:
        return await _status_reply(ctx, ann, replace=True)
    if now - ann.created_at > DRAFT_TTL:
        raise UserError("announce.draft_expired")
    destinations = await resolve(ctx.services.agencies, ann.audience, ann.target)
    if not destinations:
        raise UserError("announce.no_channels")
    member = await ctx.services.members.ensure(ctx.caller, now)
    if not await repo.confirm(ann.id, destinations, member.id, ctx.place.channel, now):
        fresh = await _find(ctx, ann.id, drafts=True)
        return await _status_reply(ctx, fresh, replace=True)
    audit_log.info(
        "announcement %s confirmed by %s: %s:%s, %d channels",
        ann.id,
        ctx.caller.key,
        ann.audience,
        ann.target,
        len(destinations),
    )
    summary = channel_summary(per_platform(destinations), ctx.t)
    if ann.send_at and ann.send_at > now:
        schedule_send(ctx.services, ann.id, ann.send_at)
        text = ctx.t(
            "announce.scheduled", id=ann.id, when=ctx.t.datetime(ann.send_at), channels=summary
        )
    else:
        courier_for(ctx.services).start(ann.id)
        text = ctx.t("announce.confirmed", id=ann.id, channels=summary)
    return Reply(Message(text=text), ephemeral=True, replace_original=True)


async def cancel(ctx: CommandContext) -> Reply:
    ann = await _find(ctx, ctx.options["id"], drafts=True)
    await _require_author(ctx, ann)
    if not await ctx.services.get(AnnouncementRepo).cancel_draft(ann.id):
        raise UserError("announce.not_a_draft", id=ann.id)
    return Reply(Message(text=ctx.t("announce.cancelled")), ephemeral=True, replace_original=True)


async def show_status(ctx: CommandContext) -> Reply:
    return await _status_reply(ctx, await _find(ctx, ctx.options["id"]))


async def list_announcements(ctx: CommandContext) -> Reply:
    repo = ctx.services.get(AnnouncementRepo)
    anns = await repo.recent()
    if not anns:
        return Reply.text(ctx.t("announce.none"))
    totals = await repo.outbox.totals([a.id for a in anns])
    return Reply(render_list(anns, totals, ctx.t, ctx.now()))


async def retry(ctx: CommandContext) -> Reply:
    ann = await _find(ctx, ctx.options["id"])
    if ann.state == State.WITHDRAWN:
        raise UserError("announce.withdrawn", id=ann.id)
    member = await ctx.services.members.ensure(ctx.caller, ctx.now())
    count = await ctx.services.get(AnnouncementRepo).retry_failed(ann, member.id, ctx.now())
    if not count:
        raise UserError("announce.nothing_to_retry", id=ann.id)
    audit_log.info("announcement %s: %d failures retried by %s", ann.id, count, ctx.caller.key)
    courier_for(ctx.services).start(ann.id)
    return Reply.text(ctx.t.plural("announce.retrying", count, id=ann.id))


async def delete(ctx: CommandContext) -> Reply:
    ann = await _find(ctx, ctx.options["id"])
    if ann.state == State.WITHDRAWN:
        raise UserError("announce.withdrawn", id=ann.id)
    member = await ctx.services.members.ensure(ctx.caller, ctx.now())
    repo = ctx.services.get(AnnouncementRepo)
    cancelled, queued = await repo.withdraw(ann, member.id, ctx.now())
    audit_log.info("announcement %s withdrawn by %s", ann.id, ctx.caller.key)
    ctx.services.scheduler.remove(job_id(ann.id))
    courier_for(ctx.services).start(ann.id)
    text = ctx.t(
        "announce.deleting",
        id=ann.id,
        copies=ctx.t.plural("announce.copies", queued),
        cancelled=ctx.t.plural("announce.unsent", cancelled),
    )
    return Reply.text(text)


async def acknowledge(ctx: CommandContext) -> Reply:
    """The "Bien reçu / Acknowledge" button: the agency whose channel this copy is in has
    seen the announcement. The first click per agency counts; any member may click."""
    repo = ctx.services.get(AnnouncementRepo)
    ann = await repo.get(ctx.options["id"])
    if ann is None or ann.state in (State.DRAFT, State.CANCELLED):
        raise UserError("announce.not_found", id=ctx.options["id"])
    if ann.state == State.WITHDRAWN:
        raise UserError("announce.ack_withdrawn")
    delivery = await repo.outbox.find(ann.id, ctx.place.channel)
    if delivery is None and not ctx.place.channel.channel_id:
        delivery = await _own_agency_copy(ctx, ann.id)
    if delivery is None or delivery.agency_id is None or delivery.state not in (SENT, KEPT):
        raise UserError("announce.ack_elsewhere")
    member = await ctx.services.members.ensure(ctx.caller, ctx.now())
    new, ack = await repo.ack(delivery, member.id, ctx.now())
    if new:
        ctx.services.home.changed()  # the agency's members see it acknowledged
        return Reply.text(ctx.t("announce.ack_thanks", agency=delivery.agency_name))
    return Reply.text(
        ctx.t(
            "announce.ack_already",
            agency=delivery.agency_name,
            name=ack.member_name or ctx.t("announce.someone"),
            when=ctx.t.datetime(ack.acked_at, "short"),
        )
    )


async def _own_agency_copy(ctx: CommandContext, announcement_id: int) -> Delivery | None:
    """Clicked where no channel is (a member's home): the copy that reached a channel of the
    agency of the member's profile, in the member's own workspace."""
    caller = ctx.caller
    member = await ctx.services.members.find(caller.platform, caller.workspace, caller.user_id)
    profile = await ctx.services.get(ProfileRepo).get(member.id) if member else None
    if profile is None or profile.agency_id is None:
        return None
    outbox = ctx.services.get(AnnouncementRepo).outbox
    return await outbox.of_agency(
        announcement_id, profile.agency_id, caller.platform, caller.workspace
    )


async def _find(ctx: CommandContext, announcement_id: int, drafts: bool = False) -> Announcement:
    ann = await ctx.services.get(AnnouncementRepo).get(announcement_id)
    hidden = (State.DRAFT, State.CANCELLED)
    if ann is None or (not drafts and ann.state in hidden):
        raise UserError("announce.not_found", id=announcement_id)
    return ann


async def _status_reply(ctx: CommandContext, ann: Announcement, replace: bool = False) -> Reply:
    repo = ctx.services.get(AnnouncementRepo)
    counts = await repo.outbox.counts(ann.id)
    problems = await repo.outbox.in_states(ann.id, (FAILED, KEPT))
    agencies = await repo.outbox.agencies(ann.id)
    acks = await repo.acks(ann.id)
    message = status_message(ann, counts, problems, agencies, acks, ctx.t, ctx.now())
    return Reply(message, ephemeral=True, replace_original=replace)


def job_id(announcement_id: int) -> str:
    return f"announce:{announcement_id}"


def schedule_send(services: Services, announcement_id: int, when: datetime) -> None:
    """Start the scheduled delivery on time (the sweep would, within its interval)."""

    async def due() -> None:
        await run_due(services, services.clock.now())

    services.scheduler.at(job_id(announcement_id), when, due)
