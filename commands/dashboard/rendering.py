"""Pages as HTML (Jinja2 templates shipped in the package, escaped by default), with what every
page shows: the navigation the visitor's rights allow, the language switch, the CSRF token of
every form, and the notice left by the previous action."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from babel.dates import format_date

from bot.i18n import Translator
from bot.messages import Reply
from commands.dashboard.site import PREFIX, SITE, Visitor
from commands.dashboard.store.sessions import Flash
from commands.dashboard.tables import formatter

VISITOR_KEY = web.RequestKey("dashboard.visitor", Visitor)

# (key, URL, the command whose rights open the page; None: staff only)
NAV: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("overview", "/", None),
    ("announcements", "/announcements", ("announce", "list")),
    ("faq", "/faq", ("faq", "unanswered")),
    ("events", "/events", ("event", "attendees")),
    ("digests", "/digests", ("digest", "list")),
    ("matching", "/matching", ("match", "rounds")),
)


def current_visitor(request: web.Request) -> Visitor | None:
    return request.get(VISITOR_KEY)


def visitor_of(request: web.Request) -> Visitor:
    visitor = current_visitor(request)
    if visitor is None:  # the session middleware lets no anonymous request reach a page
        raise web.HTTPForbidden()
    return visitor


def nav_for(request: web.Request, visitor: Visitor) -> list[tuple[str, str, bool]]:
    site = request.app[SITE]
    items = []
    for key, path, command in NAV:
        allowed = visitor.access.is_staff if command is None else site.may(visitor, command)
        if allowed:
            url = PREFIX + path
            here = request.path == url or (path != "/" and request.path.startswith(url))
            items.append((key, url, here))
    items.append(("me", f"{PREFIX}/me", request.path.startswith(f"{PREFIX}/me")))
    return items


def helpers(t: Translator) -> dict[str, Any]:
    lang = t.lang
    numbers, shares = formatter(lang, False), formatter(lang, True)
    return {
        "t": t,
        "lang": lang,
        "num": lambda value: numbers(value or 0),
        "pct": lambda value: "—" if value is None else shares(value),
        "day": lambda value, fmt="long": format_date(value, fmt, locale=lang),
        "prefix": PREFIX,
        "qs": lambda **kw: urlencode({k: v for k, v in kw.items() if v not in (None, "")}),
    }


async def render(
    request: web.Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> web.Response:
    site = request.app[SITE]
    visitor = current_visitor(request)
    t = visitor.t if visitor else site.translator(anonymous_lang(request))
    page: dict[str, Any] = {
        **helpers(t),
        "visitor": visitor,
        "path": request.path_qs,
        "nav": [],
        "csrf": "",
        "flash": None,
    }
    if visitor is not None:
        page["nav"] = nav_for(request, visitor)
        page["csrf"] = visitor.session.csrf
        if visitor.session.flash is not None:
            page["flash"] = visitor.session.flash
            await site.store.set_flash(visitor.session.id, None)
    page.update(context or {})
    response = aiohttp_jinja2.render_template(template, request, page, status=status)
    return response


def anonymous_lang(request: web.Request) -> str:
    """Before sign-in: `?lang=`, else the configured default (French first)."""
    lang = request.query.get("lang", "")
    if lang in ("fr", "en"):
        return lang
    return request.app[SITE].bot.config.bot.default_locale


async def notify(request: web.Request, text: str, error: bool = False) -> None:
    """Leave a notice for the next page the visitor sees."""
    visitor = visitor_of(request)
    await request.app[SITE].store.set_flash(visitor.session.id, Flash(text, error))


async def notify_reply(request: web.Request, reply: Reply) -> None:
    await notify(request, reply.message.plain_text(), error=reply.is_error)


def redirect(path: str) -> web.Response:
    """303 See Other: after a form, the browser GETs the next page (a reload resends nothing)."""
    return web.Response(status=303, headers={"Location": path})


def safe_next(value: str | None, default: str = PREFIX + "/") -> str:
    """Where to go after an action: a dashboard page only (never another site)."""
    if value and value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value:
        return value
    return default
