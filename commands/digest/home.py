"""The digests' part of a moderator's home (bot/home.py): the digests of the channels they
moderate, with their next run and the same buttons as `digest list` (preview, send now,
pause or resume)."""

from __future__ import annotations

from bot.home import HomeContext
from bot.messages import Message
from commands.digest import runner
from commands.digest.permissions import visible_digests
from commands.digest.summary import digest_buttons, summary_field

SHOWN = 5


async def digests_home(ctx: HomeContext) -> list[Message]:
    if not ctx.access.is_moderator:
        return []
    t = ctx.t
    shown, total = await visible_digests(ctx.services, ctx.access, SHOWN)
    text = "" if shown else t("digest.home.none")
    more = total - len(shown)
    footer = t.plural("digest.list_more", more) if more > 0 else None
    head = Message(title=t("digest.home.title"), text=text, footer=footer)
    items = [
        Message(
            fields=(summary_field(d, runner.next_run(ctx.services, d, ctx.now), t),),
            buttons=digest_buttons(d, t),
        )
        for d in shown
    ]
    return [head, *items]
