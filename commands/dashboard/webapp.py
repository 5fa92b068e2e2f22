"""The dashboard's aiohttp sub-application, mounted under /admin on the bot's web server.

Every request goes through two middlewares:
- `guard`: security headers (a strict Content-Security-Policy: this site loads nothing from
  anywhere else, and runs no inline script), no caching of pages, and error pages in the
  visitor's language;
- `sessions`: the visitor from their session cookie (expired or unknown: back to sign-in),
  still in the federation (a revoked workspace is signed out at once), their groups read again
  from the platform every minute (as chat does), and the CSRF token checked on every form.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.web import WebMount
from commands.dashboard import (
    auth,
    pages_announce,
    pages_digests,
    pages_events,
    pages_faq,
    pages_me,
    pages_overview,
)
from commands.dashboard.auth import COOKIE
from commands.dashboard.rendering import VISITOR_KEY, render
from commands.dashboard.site import PREFIX, SITE, Site
from commands.dashboard.store.sessions import WebSession

if TYPE_CHECKING:
    from bot.app import BotApp

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
GROUPS_TTL = timedelta(seconds=60)  # a group removed on the platform stops granting within it
PUBLIC = ("/signin", "/link/", "/static/")
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
ERRORS = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "not_found"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status not in ERRORS:  # a redirect: on its way, with the same headers
            _secure_headers(exc)
            raise
        error = {"error": ERRORS[exc.status]}
        response = await render(request, "error.html", error, status=exc.status)
    _secure_headers(response)
    return response


def _secure_headers(response: web.StreamResponse) -> None:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"  # a sign-in link's token never leaves in a Referer
    headers.setdefault("Cache-Control", "no-store")


def _public(request: web.Request) -> bool:
    rest = request.path.removeprefix(PREFIX)
    return any(rest.startswith(p) for p in PUBLIC)


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    site = request.app[SITE]
    token = request.cookies.get(COOKIE, "")
    session = await site.store.get(token, site.now()) if token else None
    if session is not None:
        session = await _fresh_groups(site, session)
        visitor = site.visitor(session)
        if not await site.services.federation.belongs(visitor.caller):
            await site.store.close(session.id)
            log.info("dashboard: %s signed out: not in the federation", visitor.caller.key)
            raise web.HTTPForbidden()
        request[VISITOR_KEY] = visitor
    if _public(request):
        return await handler(request)
    if session is None:
        raise web.HTTPSeeOther(location=f"{PREFIX}/signin")
    if request.method == "POST":
        form = await request.post()
        sent = str(form.get("csrf", ""))
        if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            log.info("dashboard: form without a valid CSRF token refused (%s)", request.path)
            raise web.HTTPForbidden()
    return await handler(request)


async def _fresh_groups(site: Site, session: WebSession) -> WebSession:
    """Groups are read from the platform at sign-in, then again every minute while the running
    adapter can tell (the same cache as chat)."""
    now = site.now()
    identity = session.identity
    if now - session.groups_read_at < GROUPS_TTL or identity.assumed_role is not None:
        return session
    groups = await site.services.directory.groups(
        identity.platform, identity.workspace, identity.user_id
    )
    if groups is None:
        return session
    await site.store.set_groups(session.id, groups, now)
    return replace(session, identity=replace(identity, groups=groups), groups_read_at=now)


def build(bot: BotApp) -> WebMount:
    app = web.Application(middlewares=[guard, sessions], client_max_size=256 * 1024)
    app[SITE] = Site(bot)
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.trim_blocks = env.lstrip_blocks = True
    app.router.add_static("/static", HERE / "static")
    for module in (auth, pages_overview, pages_announce, pages_faq, pages_events):
        module.add_routes(app.router)
    for module in (pages_digests, pages_me):
        module.add_routes(app.router)
    # Signing in is open to anyone's browser: those pages are rate-limited per client.
    return WebMount(PREFIX, app, public=("/signin", "/link/"))
