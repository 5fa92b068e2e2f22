"""What every page reaches: the bot (dispatcher, services), the signed-in visitor, and the one
way to act, through the same dispatcher as chat.

Rights come from the core, never from here: a visitor's `Access` is the dispatcher's for their
`Caller`, a page is open to whoever may use the command it mirrors (`may`), and every action
is a command run by the dispatcher (`run`, `click`), so the federation check, the throttle, the
role check, the option checks and the handler's own object checks (the announcement's author,
the digest's agency…) all apply, exactly as in chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.context import CommandContext
from bot.errors import UserError
from bot.i18n import Translator, translator
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Reply
from bot.roles import Access
from bot.services import Services
from bot.settings import DashboardSettings
from commands.dashboard.store.sessions import SessionStore, WebSession

if TYPE_CHECKING:
    from bot.app import BotApp

PREFIX = "/admin"
WEB = "web"  # the platform of the dashboard's `Place`: where a web action was taken


@dataclass(frozen=True, slots=True)
class Visitor:
    """The signed-in person on this request."""

    session: WebSession
    caller: Caller
    access: Access
    t: Translator

    @property
    def lang(self) -> str:
        return self.t.lang

    @property
    def place(self) -> Place:
        """Where a web action happens: the bot posts nothing there (no adapter serves "web");
        an announcement confirmed here follows its progress on its page instead of a channel."""
        return Place(ChannelRef(WEB, self.caller.workspace, "dashboard"))


class Site:
    def __init__(self, bot: BotApp) -> None:
        self.bot = bot
        self.services: Services = bot.services
        self.store = self.services.get(SessionStore)
        self.settings: DashboardSettings = bot.config.dashboard

    def now(self) -> datetime:
        return self.services.clock.now()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot.config.bot.timezone)

    @property
    def secure(self) -> bool:
        return self.bot.web.secure

    def url(self, path: str) -> str:
        """An absolute URL of a dashboard page (sign-in links, OAuth redirects)."""
        return f"{self.bot.web.base_url}{PREFIX}{path}"

    def translator(self, lang: str) -> Translator:
        return translator(lang, self.bot.config.bot.timezone)

    def visitor(self, session: WebSession) -> Visitor:
        caller = session.caller
        access = self.bot.dispatcher.access_for(caller)
        return Visitor(session, caller, access, self.translator(session.lang))

    # --- rights --------------------------------------------------------------------------

    def may(self, visitor: Visitor, path: tuple[str, ...]) -> bool:
        """May use the command `path`: the role its spec requires, checked by the core."""
        spec = self.services.registry.commands[path]
        return visitor.access.may(spec.role)

    def require(self, visitor: Visitor, path: tuple[str, ...]) -> None:
        if not self.may(visitor, path):
            raise web.HTTPForbidden()

    def require_staff(self, visitor: Visitor) -> None:
        if not visitor.access.is_staff:
            raise web.HTTPForbidden()

    # --- acting through the dispatcher ---------------------------------------------------

    async def run(self, visitor: Visitor, path: tuple[str, ...], options: dict[str, Any]) -> Reply:
        reply = await self.bot.dispatcher.handle(visitor.caller, visitor.place, path, options)
        return reply or Reply.error(visitor.t("dashboard.action.later"))

    async def click(self, visitor: Visitor, action: str, value: str) -> Reply:
        """A button of a reply, shown as a form: the same as a click in chat."""
        dispatcher = self.bot.dispatcher
        reply = await dispatcher.handle_action(visitor.caller, visitor.place, action, value)
        return reply or Reply.error(visitor.t("dashboard.action.later"))

    def context(
        self, visitor: Visitor, path: tuple[str, ...], options: dict[str, Any] | None = None
    ) -> CommandContext:
        """A command's context for a page that reads what the command would (attendees, the
        digests a moderator manages), so the command's own permission helpers decide."""
        self.require(visitor, path)
        spec = self.services.registry.commands[path]
        values = {opt.name: None for opt in spec.options} | (options or {})
        return CommandContext(
            visitor.caller, visitor.place, visitor.access, spec, values, self.services, visitor.t
        )


def user_error(visitor: Visitor, err: UserError) -> str:
    return visitor.t(err.key, **err.kwargs)


SITE = web.AppKey("site", Site)
