"""`digest create|list|preview|run|pause|resume|edit|delete`: what each command does.

Handlers check who may manage the digest (permissions.py), save, and (re)place its job
(runner.py); sending is the runner's job, through the run ledger, even for `digest run`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.context import CommandContext
from bot.errors import UserError
from bot.identity import ChannelRef
from bot.messages import Message, Reply
from commands.digest import runner
from commands.digest.build import build_digest
from commands.digest.permissions import find_digest, may_manage, visible_digests
from commands.digest.settings import check_channel, edited_fields, new_fields
from commands.digest.store.digests import EMPTY, SENT, DigestConfig, DigestRepo
from commands.digest.summary import channel_label, digest_buttons, summary_field

EDITABLE = ("channel", "schedule", "lang", "sections", "days", "scope", "skip_empty", "title")


def _tz(ctx: CommandContext) -> ZoneInfo:
    return ZoneInfo(ctx.services.config.bot.timezone)


def _next(ctx: CommandContext, digest: DigestConfig) -> datetime | None:
    return runner.next_run(ctx.services, digest, ctx.now())


def _shown(ctx: CommandContext, digest: DigestConfig, key: str) -> Reply:
    """A digest's settings, with its buttons, under a title saying what just happened."""
    message = Message(
        title=ctx.t(key, id=digest.id),
        fields=(summary_field(digest, _next(ctx, digest), ctx.t),),
        buttons=digest_buttons(digest, ctx.t),
    )
    return Reply(message, ephemeral=True)


async def _check_room(ctx: CommandContext, channel: ChannelRef) -> None:
    limit = ctx.services.config.digest.max_per_channel
    if await ctx.services.get(DigestRepo).count_in_channel(channel) >= limit:
        raise UserError("digest.too_many", channel=f"#{channel.channel_id}", max=limit)


async def create_digest(ctx: CommandContext) -> Reply:
    channel = check_channel(ctx.options["channel"] or ctx.place.channel)
    agency = await may_manage(ctx, channel)
    await _check_room(ctx, channel)
    now = ctx.now()
    fields = new_fields(ctx.options, channel, agency, ctx.lang, now, _tz(ctx))
    member = await ctx.services.members.ensure(ctx.caller, now)
    digest = await ctx.services.get(DigestRepo).create(fields, member.id, now)
    runner.schedule_digest(ctx.services, digest)
    return _shown(ctx, digest, "digest.created")


async def edit_digest(ctx: CommandContext) -> Reply:
    digest = await find_digest(ctx, ctx.options["id"])
    if all(ctx.options[name] is None for name in EDITABLE):
        raise UserError("digest.nothing_to_edit")
    channel = check_channel(ctx.options["channel"] or digest.channel)
    agency = await may_manage(ctx, channel)
    if channel != digest.channel:
        await _check_room(ctx, channel)
    now = ctx.now()
    fields = edited_fields(digest.fields, ctx.options, channel, agency, ctx.lang, now, _tz(ctx))
    restart = fields.schedule != digest.fields.schedule
    saved = await ctx.services.get(DigestRepo).update(digest.id, fields, now, restart=restart)
    if saved is None:
        raise UserError("digest.not_found", id=digest.id)
    runner.schedule_digest(ctx.services, saved)
    return _shown(ctx, saved, "digest.edited")


async def list_digests(ctx: CommandContext) -> Reply:
    shown, total = await visible_digests(ctx.services, ctx.access)
    if not shown:
        return Reply.text(ctx.t("digest.none"))
    fields = tuple(summary_field(d, _next(ctx, d), ctx.t) for d in shown)
    more = total - len(shown)
    footer = ctx.t.plural("digest.list_more", more) if more > 0 else ctx.t("digest.list_hint")
    title = ctx.t.plural("digest.list_title", total)
    return Reply(Message(title=title, fields=fields, footer=footer), ephemeral=True)


async def preview_digest(ctx: CommandContext) -> Reply:
    digest = await find_digest(ctx, ctx.options["id"])
    now = ctx.now()
    built = await build_digest(ctx.services, digest, now, _next(ctx, digest))
    note = ctx.t("digest.preview_note", channel=channel_label(digest))
    if built.empty and digest.fields.skip_empty:
        note += "\n" + ctx.t("digest.preview_empty")
    message = replace(built.message, text=f"{note}\n\n{built.message.text}")
    return Reply(message, ephemeral=True)


async def run_digest(ctx: CommandContext) -> Reply:
    digest = await find_digest(ctx, ctx.options["id"])
    outcome = await runner.run_now(ctx.services, digest, ctx.now())
    channel = channel_label(digest)
    if outcome == SENT:
        return Reply.text(ctx.t("digest.run_sent", id=digest.id, channel=channel))
    if outcome == EMPTY:
        return Reply.text(ctx.t("digest.run_empty", id=digest.id))
    if outcome == "taken":
        return Reply.text(ctx.t("digest.run_taken", id=digest.id))
    if outcome == runner.RETRY:
        return Reply.text(ctx.t("digest.run_retry", id=digest.id, channel=channel))
    return Reply.error(ctx.t("digest.run_failed", id=digest.id, channel=channel))


async def pause_digest(ctx: CommandContext) -> Reply:
    return await _set_paused(ctx, True)


async def resume_digest(ctx: CommandContext) -> Reply:
    return await _set_paused(ctx, False)


async def _set_paused(ctx: CommandContext, paused: bool) -> Reply:
    digest = await find_digest(ctx, ctx.options["id"])
    if digest.paused == paused:
        raise UserError("digest.already_paused" if paused else "digest.not_paused", id=digest.id)
    saved = await ctx.services.get(DigestRepo).set_paused(digest.id, paused, ctx.now())
    if saved is None:
        raise UserError("digest.not_found", id=digest.id)
    runner.schedule_digest(ctx.services, saved)
    return _shown(ctx, saved, "digest.paused" if paused else "digest.resumed")


async def delete_digest(ctx: CommandContext) -> Reply:
    digest = await find_digest(ctx, ctx.options["id"])
    await ctx.services.get(DigestRepo).delete(digest.id)
    runner.unschedule_digest(ctx.services, digest.id)
    return Reply.text(ctx.t("digest.deleted", id=digest.id, channel=channel_label(digest)))
