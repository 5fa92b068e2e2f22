"""Signing in and out: Slack (OpenID Connect), Discord (OAuth2), or a single-use link printed
by `fedbot web link`; the language switch.

Whatever the way in, the person becomes a `Caller` (platform, workspace, user id, groups) and
the core decides: the federation's allow-list first (a stranger gets a refusal and no session,
as in chat), then the same grants as chat. A session is a random token in an HttpOnly,
SameSite=Lax cookie (Secure when the public URL is https), its hash in the database, for
`dashboard.session_hours`. A sign-in link is shown on a page with a button, and used by the
button's POST: a link previewer fetching the URL cannot spend it.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import replace
from datetime import timedelta

from aiohttp import web

from bot.roles import Access
from commands.dashboard.oauth import SignInError, providers
from commands.dashboard.rendering import anonymous_lang, redirect, render, safe_next, visitor_of
from commands.dashboard.site import PREFIX, SITE, Site
from commands.dashboard.store.sessions import STATE_LIFETIME, Identity

log = logging.getLogger(__name__)
audit = logging.getLogger("fedbot.audit")

COOKIE = "fedbot_session"
STATE_COOKIE = "fedbot_signin"


def _rights(access: Access) -> tuple[int, int, int]:
    """Order of a person's identities when a platform gives several (Discord servers)."""
    return int(access.rank), int(access.faq_editor), len(access.moderates)


async def signin_page(
    request: web.Request, error: str | None = None, status: int = 200
) -> web.Response:
    site = request.app[SITE]
    enabled = [name for name, p in providers(site.bot.config).items() if p.enabled]
    context = {"providers": enabled, "error": error, "erased": "erased" in request.query}
    return await render(request, "signin.html", context, status)


async def signin(request: web.Request) -> web.Response:
    return await signin_page(request)


async def start(request: web.Request) -> web.Response:
    site = request.app[SITE]
    provider = providers(site.bot.config).get(request.match_info["provider"])
    if provider is None or not provider.enabled:
        raise web.HTTPNotFound()
    state = await site.store.create_state(provider.name, site.now())
    response = redirect(provider.authorize_url(state, _callback(site, provider.name)))
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=int(STATE_LIFETIME.total_seconds()),
        path=f"{PREFIX}/signin",
        httponly=True,
        samesite="Lax",
        secure=site.secure,
    )
    return response


def _callback(site: Site, provider: str) -> str:
    return site.url(f"/signin/{provider}/callback")


async def callback(request: web.Request) -> web.Response:
    site = request.app[SITE]
    name = request.match_info["provider"]
    provider = providers(site.bot.config).get(name)
    if provider is None or not provider.enabled:
        raise web.HTTPNotFound()
    if request.query.get("error"):  # the person said no on the platform's page
        return await signin_page(request, "dashboard.signin.cancelled")
    state, code = request.query.get("state", ""), request.query.get("code", "")
    cookie = request.cookies.get(STATE_COOKIE, "")
    same_browser = bool(state) and hmac.compare_digest(state.encode(), cookie.encode())
    if not (same_browser and code and await site.store.use_state(name, state, site.now())):
        return await signin_page(request, "dashboard.signin.expired", 400)
    try:
        signed = await provider.sign_in(
            code, _callback(site, name), site.services.federation.admits
        )
    except SignInError as err:
        log.info("dashboard: %s sign-in failed: %s", name, err)
        return await signin_page(request, err.key, 502)
    response = await _open(request, signed.identities, signed.lang)
    response.del_cookie(STATE_COOKIE, path=f"{PREFIX}/signin")
    return response


async def link_page(request: web.Request) -> web.Response:
    return await render(request, "link.html", {"token": request.match_info["token"]})


async def use_link(request: web.Request) -> web.Response:
    site = request.app[SITE]
    identity = await site.store.use_link(request.match_info["token"], site.now())
    if identity is None:
        return await signin_page(request, "dashboard.signin.link_used", 400)
    member = await site.services.members.find(
        identity.platform, identity.workspace, identity.user_id
    )
    if member is not None and member.display_name:
        identity = replace(identity, display_name=member.display_name)
    lang = member.locale if member is not None else anonymous_lang(request)
    return await _open(request, (identity,), lang)


async def _open(request: web.Request, identities: tuple[Identity, ...], lang: str) -> web.Response:
    """A session for the identity with the most rights among those in the federation."""
    site = request.app[SITE]
    candidates = []
    for identity in identities:
        identity = await _platform_groups(site, identity)
        caller = identity.caller(lang)
        if await site.services.federation.belongs(caller):
            candidates.append((_rights(site.bot.dispatcher.access_for(caller)), identity))
    if not candidates:
        who = ", ".join(f"{i.platform}:{i.workspace}:{i.user_id}" for i in identities) or "?"
        log.info("dashboard: sign-in refused for %s: not in the federation", who)
        return await signin_page(request, "dashboard.signin.not_federation", 403)
    identity = max(candidates, key=lambda c: c[0])[1]
    now = site.now()
    member = await site.services.members.ensure(identity.caller(lang), now)
    lifetime = timedelta(hours=site.settings.session_hours)
    token, session = await site.store.open(identity, member.id, lang, now, lifetime)
    audit.info("dashboard: %s signed in", identity.caller(lang).key)
    response = redirect(PREFIX + "/")
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        path=PREFIX,
        httponly=True,
        samesite="Lax",
        secure=site.secure,
    )
    return response


async def _platform_groups(site: Site, identity: Identity) -> Identity:
    """The person's groups as chat sees them, when the platform's adapter runs here (Slack
    user groups: "Sign in with Slack" does not tell them); else what the sign-in said."""
    if identity.assumed_role is not None:
        return identity
    directory = site.services.directory
    groups = await directory.groups(identity.platform, identity.workspace, identity.user_id)
    return identity if groups is None else replace(identity, groups=groups)


async def signout(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    await request.app[SITE].store.close(visitor.session.id)
    response = redirect(f"{PREFIX}/signin?lang={visitor.lang}")
    response.del_cookie(COOKIE, path=PREFIX)
    return response


async def switch_lang(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    form = await request.post()
    lang = str(form.get("lang", ""))
    if lang not in ("fr", "en"):
        raise web.HTTPBadRequest()
    await request.app[SITE].store.set_lang(visitor.session.id, lang)
    return redirect(safe_next(str(form.get("next", ""))))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/signin", signin)
    router.add_get("/signin/{provider:slack|discord}", start)
    router.add_get("/signin/{provider:slack|discord}/callback", callback)
    router.add_get("/link/{token:[A-Za-z0-9_-]{20,80}}", link_page)
    router.add_post("/link/{token:[A-Za-z0-9_-]{20,80}}", use_link)
    router.add_post("/signout", signout)
    router.add_post("/lang", switch_lang)
