"""`agency add|channel|unlink|list`: the federation's agencies and their channels."""

from __future__ import annotations

from bot.context import CommandContext
from bot.errors import UserError
from bot.feature import Feature
from bot.identity import ChannelRef
from bot.messages import Field, Message, Reply
from bot.spec import CommandSpec, GroupSpec, L10n, OptionSpec, OptionType, Role

MAX_TAGS = 10


def parse_channel_tags(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    tags = tuple(dict.fromkeys(t.strip().lower() for t in text.replace(";", ",").split(",")))
    tags = tuple(t for t in tags if t)
    if len(tags) > MAX_TAGS or any(len(t) > 30 or "," in t for t in tags):
        raise UserError("agency.bad_tags", max=MAX_TAGS)
    return tags


async def add_agency(ctx: CommandContext) -> Reply:
    name, region = ctx.options["name"], ctx.options["region"]
    agency, created = await ctx.services.agencies.add(name, region, ctx.now())
    key = "agency.created" if created else "agency.updated"
    return Reply.text(ctx.t(key, name=agency.name, region=agency.region), ephemeral=False)


async def link_channel(ctx: CommandContext) -> Reply:
    agency = await ctx.services.agencies.find(ctx.options["agency"])
    if agency is None:
        raise UserError("agency.not_found", name=ctx.options["agency"])
    channel: ChannelRef = ctx.options["channel"] or ctx.place.channel
    if not await ctx.services.federation.admits_channel(channel):
        raise UserError("agency.channel_outside", channel=str(channel))
    tags = parse_channel_tags(ctx.options["tags"])
    created = await ctx.services.agencies.attach_channel(agency.id, channel, tags, ctx.now())
    key = "agency.channel_linked" if created else "agency.channel_updated"
    return Reply.text(ctx.t(key, channel=str(channel), name=agency.name), ephemeral=False)


async def unlink_channel(ctx: CommandContext) -> Reply:
    channel: ChannelRef = ctx.options["channel"] or ctx.place.channel
    if not await ctx.services.agencies.detach_channel(channel):
        raise UserError("agency.channel_unknown", channel=str(channel))
    return Reply.text(ctx.t("agency.channel_unlinked", channel=str(channel)), ephemeral=False)


async def list_agencies(ctx: CommandContext) -> Reply:
    found = await ctx.services.agencies.list(ctx.options["region"])
    if not found:
        return Reply.text(ctx.t("agency.none"))
    by_region: dict[str, list[str]] = {}
    for agency in found:
        channels = ctx.t.plural("agency.channels", agency.channel_count)
        by_region.setdefault(agency.region, []).append(f"{agency.name} ({channels})")
    fields = tuple(
        Field(region, "\n".join(names), inline=False) for region, names in by_region.items()
    )
    title = ctx.t.plural("agency.list_title", len(found))
    return Reply(Message(title=title, fields=fields))


_NAME = OptionSpec(
    "name",
    OptionType.TEXT,
    L10n("Nom de l'agence", "Agency name"),
    required=True,
    fr_name="nom",
    max_length=120,
    min_length=2,
)
_REGION = OptionSpec(
    "region",
    OptionType.TEXT,
    L10n("Région", "Region"),
    required=True,
    max_length=80,
    min_length=2,
)
_CHANNEL = OptionSpec(
    "channel",
    OptionType.CHANNEL,
    L10n("Salon (par défaut : celui-ci)", "Channel (default: this one)"),
    fr_name="salon",
)

FEATURE = Feature(
    "agency",
    groups=(
        GroupSpec("agency", L10n("Agences et salons", "Agencies and channels"), fr_name="agence"),
    ),
    commands=(
        CommandSpec(
            ("agency", "add"),
            L10n("Ajoute une agence (ou change sa région)", "Add an agency (or change its region)"),
            add_agency,
            options=(_NAME, _REGION),
            role=Role.STAFF,
            fr_name="ajouter",
            examples=(
                '/agency add name:"Nantes Métropole Développement" region:"Pays de la Loire"',
            ),
        ),
        CommandSpec(
            ("agency", "channel"),
            L10n("Rattache un salon à une agence", "Attach a channel to an agency"),
            link_channel,
            options=(
                OptionSpec(
                    "agency",
                    OptionType.TEXT,
                    L10n("Nom de l'agence", "Agency name"),
                    required=True,
                    fr_name="agence",
                    max_length=120,
                    autocomplete="agency",
                ),
                _CHANNEL,
                OptionSpec(
                    "tags",
                    OptionType.TEXT,
                    L10n(
                        "Thèmes du salon, séparés par des virgules",
                        "Channel topics, comma separated",
                    ),
                    max_length=300,
                ),
            ),
            role=Role.STAFF,
            fr_name="salon",
            examples=('/agency channel agency:"Nantes Métropole Développement" tags:numerique',),
        ),
        CommandSpec(
            ("agency", "unlink"),
            L10n("Détache un salon de son agence", "Detach a channel from its agency"),
            unlink_channel,
            options=(_CHANNEL,),
            role=Role.STAFF,
            fr_name="detacher",
        ),
        CommandSpec(
            ("agency", "list"),
            L10n("Liste les agences par région", "List agencies by region"),
            list_agencies,
            options=(
                OptionSpec(
                    "region",
                    OptionType.TEXT,
                    L10n("Filtrer par région", "Filter by region"),
                    max_length=80,
                ),
            ),
            fr_name="liste",
        ),
    ),
)
