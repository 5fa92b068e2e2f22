"""`workspace list|approve|refuse`: which Slack workspaces and Discord servers belong to the
federation, for admins (the same as `fedbot workspaces …` on the command line).

Config lists the federation's workspaces; an admin adds one at run time (an OAuth install held
as pending, a Discord server that invited the bot and was left) or refuses one. A refusal
applies within a minute in every process (`bot.federation`).
"""

from __future__ import annotations

from bot.context import CommandContext
from bot.errors import UserError
from bot.feature import Feature
from bot.federation import WorkspaceStatus, parse_workspace
from bot.messages import Field, Message, Reply
from bot.spec import CommandSpec, GroupSpec, L10n, OptionSpec, OptionType, Role
from commands.workspace.cli import WORKSPACES_TOOL

_ID = OptionSpec(
    "id",
    OptionType.TEXT,
    L10n(
        "Id de l'espace : T… (Slack), E… (organisation Slack) ou n° de serveur Discord",
        "Workspace id: T… (Slack), E… (Slack org) or Discord server id",
    ),
    required=True,
    max_length=40,
)


def _workspace(ctx: CommandContext) -> tuple[str, str]:
    try:
        return parse_workspace(ctx.options["id"])
    except ValueError:
        raise UserError("workspace.bad_id", value=ctx.options["id"][:40]) from None


async def approve(ctx: CommandContext) -> Reply:
    platform, ident = _workspace(ctx)
    await ctx.services.federation.approve(platform, ident, ctx.now())
    return Reply.text(ctx.t("workspace.approved", id=ident, platform=platform.title()))


async def refuse(ctx: CommandContext) -> Reply:
    platform, ident = _workspace(ctx)
    if ident in ctx.services.federation.listed(platform):
        raise UserError("workspace.listed_in_config", id=ident)
    await ctx.services.federation.revoke(platform, ident, ctx.now())
    return Reply.text(ctx.t("workspace.refused", id=ident, platform=platform.title()))


async def list_workspaces(ctx: CommandContext) -> Reply:
    known = await ctx.services.federation.overview()
    if not known:
        return Reply.text(ctx.t("workspace.none"))
    by_status: dict[str, list[WorkspaceStatus]] = {}
    for item in known:
        by_status.setdefault(item.status, []).append(item)
    fields = tuple(
        Field(
            ctx.t(f"workspace.status.{status}"),
            "\n".join(_line(item) for item in by_status[status]),
            inline=False,
        )
        for status in ("listed", "approved", "pending", "refused")
        if status in by_status
    )
    return Reply(Message(title=ctx.t.plural("workspace.title", len(known)), fields=fields))


def _line(item: WorkspaceStatus) -> str:
    name = f" — {item.name}" if item.name else ""
    return f"{item.platform.title()} {item.workspace_id}{name}"


FEATURE = Feature(
    "workspace",
    groups=(
        GroupSpec(
            "workspace",
            L10n("Espaces de la fédération", "The federation's workspaces"),
            fr_name="espace",
        ),
    ),
    commands=(
        CommandSpec(
            ("workspace", "list"),
            L10n(
                "Espaces Slack et serveurs Discord : listés, approuvés, en attente, refusés",
                "Slack workspaces and Discord servers: listed, approved, pending, refused",
            ),
            list_workspaces,
            role=Role.ADMIN,
            fr_name="liste",
        ),
        CommandSpec(
            ("workspace", "approve"),
            L10n("Admet un espace dans la fédération", "Admit a workspace to the federation"),
            approve,
            options=(_ID,),
            role=Role.ADMIN,
            fr_name="approuver",
            examples=("/workspace approve T0123ABCD",),
        ),
        CommandSpec(
            ("workspace", "refuse"),
            L10n(
                "Refuse un espace (ou retire une approbation)",
                "Refuse a workspace (or withdraw an approval)",
            ),
            refuse,
            options=(_ID,),
            role=Role.ADMIN,
            fr_name="refuser",
            examples=("/workspace refuse 123456789012345678",),
        ),
    ),
    cli=(WORKSPACES_TOOL,),
)
