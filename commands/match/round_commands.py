"""`match rounds` (moderators turn rounds on or off in a channel), `match snooze` (skip rounds
for a while), `match stats` (moderators) and the "did you meet?" answers (`match met`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.numbers import format_percent

from bot.context import CommandContext
from bot.errors import UserError
from bot.i18n import Translator
from bot.messages import Field, Message, Reply
from bot.schedules import Schedule, describe, next_runs, parse_schedule, pin
from commands.match.finding import my_profile
from commands.match.round_runner import run_now, schedule_round, tz_of
from commands.match.store.matching import MatchingRepo, RoundConfig, WorkspaceTaken
from commands.profile.store.profiles import ProfileRepo

ROUND_KINDS = ("weekly", "biweekly", "every4weeks")
DEFAULT_SCHEDULE = "every 2 weeks monday 09:00"
MAX_SNOOZE = timedelta(days=366)


async def rounds(ctx: CommandContext) -> Reply:
    """Rounds belong to the channel they run in: its agency's moderators (or staff) manage
    them; the status is for any moderator."""
    action = ctx.options["action"]
    if action != "status":
        agency = await ctx.services.agencies.agency_of(ctx.place.channel)
        if not ctx.access.moderates_agency(agency.id if agency else None):
            key = "match.rounds_not_your_agency" if agency else "match.rounds_no_agency"
            raise UserError(key, agency=agency.name if agency else "")
    if action == "enable":
        return await _enable(ctx)
    if action == "disable":
        return await _disable(ctx)
    if action == "now":
        return await _now(ctx)
    return await _status(ctx)


def _schedule(ctx: CommandContext) -> Schedule:
    schedule = parse_schedule(ctx.options["schedule"] or DEFAULT_SCHEDULE, ctx.lang)
    if schedule.kind not in ROUND_KINDS:
        raise UserError("match.rounds_bad_schedule", value=(ctx.options["schedule"] or "")[:60])
    return schedule


async def _enable(ctx: CommandContext) -> Reply:
    services, now, tz = ctx.services, ctx.now(), tz_of(ctx.services)
    schedule = pin(_schedule(ctx), now, tz)  # fixes which weeks an every-2/4-weeks one runs
    (first,) = next_runs(schedule, now, tz)
    try:
        config = await services.get(MatchingRepo).enable(
            ctx.place.channel, schedule.to_text(), first, now
        )
    except WorkspaceTaken as taken:
        raise UserError("match.rounds_elsewhere", channel=taken.channel.channel_id) from None
    schedule_round(services, config)
    text = ctx.t(
        "match.rounds_enabled",
        schedule=describe(schedule, ctx.lang),
        first=when_text(first, ctx.t),
        participants=ctx.t.plural("match.participants", await _participants(ctx, config)),
    )
    return Reply.text(text, ephemeral=False)


async def _disable(ctx: CommandContext) -> Reply:
    config = await ctx.services.get(MatchingRepo).config_for(ctx.place.channel)
    if config is None or not config.active:
        raise UserError("match.rounds_none")
    config = await ctx.services.get(MatchingRepo).disable(ctx.place.channel)
    assert config is not None
    schedule_round(ctx.services, config)  # removes the job of an inactive config
    return Reply.text(ctx.t("match.rounds_disabled"), ephemeral=False)


async def _now(ctx: CommandContext) -> Reply:
    config = await ctx.services.get(MatchingRepo).config_for(ctx.place.channel)
    if config is None or not config.active:
        raise UserError("match.rounds_none")
    groups = await run_now(ctx.services, config, ctx.now())
    if groups is None:
        raise UserError("match.rounds_just_ran")
    if groups == 0:
        raise UserError("match.rounds_too_few")
    return Reply.text(ctx.t.plural("match.rounds_ran", groups), ephemeral=False)


async def _status(ctx: CommandContext) -> Reply:
    config = await ctx.services.get(MatchingRepo).config_for(ctx.place.channel)
    if config is None or not config.active or config.next_run_at is None:
        return Reply.text(ctx.t("match.rounds_off"))
    schedule = parse_schedule(config.schedule)
    text = ctx.t(
        "match.rounds_status",
        schedule=describe(schedule, ctx.lang),
        next=when_text(config.next_run_at, ctx.t),
        participants=ctx.t.plural("match.participants", await _participants(ctx, config)),
    )
    return Reply.text(text)


def when_text(moment: datetime, t: Translator) -> str:
    return t("match.at_time", date=t.date(moment, "full"), time=t.time(moment))


async def _participants(ctx: CommandContext, config: RoundConfig) -> int:
    """Members the next round would include (opted in, not snoozed then)."""
    channel, when = config.channel, config.next_run_at or ctx.now()
    people = await ctx.services.get(ProfileRepo).round_population(
        channel.platform, channel.workspace
    )
    return sum(p.snoozed_until is None or p.snoozed_until <= when for p in people)


async def snooze(ctx: CommandContext) -> Reply:
    now = ctx.now()
    me = await my_profile(ctx)
    until, weeks = ctx.options["until"], ctx.options["weeks"]
    if until is None and weeks is None:
        raise UserError("match.snooze_how")
    if weeks == 0:
        await ctx.services.get(ProfileRepo).snooze(me.member_id, None, now)
        return Reply.text(ctx.t("match.snooze_off"))
    until = until or now + timedelta(weeks=weeks)
    if until <= now:
        raise UserError("match.snooze_past")
    if until - now > MAX_SNOOZE:
        raise UserError("match.snooze_too_long")
    await ctx.services.get(ProfileRepo).snooze(me.member_id, until, now)
    return Reply.text(ctx.t("match.snoozed", date=ctx.t.date(until, "full")))


async def stats(ctx: CommandContext) -> Reply:
    channel = ctx.place.channel
    found = await ctx.services.get(MatchingRepo).stats(channel.platform, channel.workspace)
    opted_in = await ctx.services.get(ProfileRepo).count(opted_in=True)
    t = ctx.t
    met = (  # no group yet: no share of groups to give
        t(
            "match.stats.met_value",
            n=found.met,
            rate=format_percent(found.met / found.groups, locale=t.lang),
        )
        if found.groups
        else str(found.met)
    )
    fields = (
        Field(t("match.stats.rounds"), str(found.rounds)),
        Field(
            t("match.stats.groups"),
            t("match.stats.groups_value", n=found.groups, trios=found.trios),
        ),
        Field(t("match.stats.members"), str(found.members_paired)),
        Field(t("match.stats.asked"), str(found.asked)),
        Field(t("match.stats.answers"), str(found.answered)),
        Field(t("match.stats.met"), met),
        Field(t("match.stats.not_met"), str(found.not_met)),
        Field(t("match.stats.introductions"), str(found.introductions)),
        Field(t("match.stats.opted_in"), str(opted_in)),
    )
    return Reply(Message(title=t("match.stats.title"), fields=fields))


async def answer_met(ctx: CommandContext) -> Reply:
    group_id, answer = ctx.options["group"], ctx.options["answer"]
    group = await ctx.services.get(MatchingRepo).group_of(group_id)
    member_id = group.member_for(ctx.caller) if group else None
    if member_id is None:
        raise UserError("match.not_in_group")
    await ctx.services.get(MatchingRepo).answer(group_id, member_id, answer, ctx.now())
    return Reply(Message(text=ctx.t(f"match.answered_{answer}")), replace_original=True)
