"""The visitor's own page, the only one a member sees: their profile, what their rights are,
everything the bot holds about them as a JSON file (the same export as `profile export`: every
identity of the person, in every workspace and DM), and erasure (`profile delete`'s: every
identity's member row goes, and every table's rows with it, sessions included: erasing signs
them out)."""

from __future__ import annotations

from aiohttp import web

from bot.privacy import erase_subject, export_subject, to_json
from bot.storage.members import Member
from commands.dashboard.auth import COOKIE
from commands.dashboard.rendering import notify, redirect, render, visitor_of
from commands.dashboard.site import PREFIX, SITE
from commands.profile.store.profiles import ProfileRepo

EXPORT_FILE = "fedbot-data.json"


async def _identities(request: web.Request) -> list[Member]:
    """Every identity of the signed-in person (as chat finds them), their session's included."""
    visitor = visitor_of(request)
    members = request.app[SITE].services.members
    found = {m.id: m for m in await members.subject_of(visitor.caller)}
    own = await members.get(visitor.session.member_id)
    if own is not None:
        found.setdefault(own.id, own)
    return [found[k] for k in sorted(found)]


async def me(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    site = request.app[SITE]
    member = await site.services.members.get(visitor.session.member_id)
    profile = await site.services.get(ProfileRepo).get(visitor.session.member_id)
    moderated = [
        a.name
        for a in await site.services.agencies.list()
        if not visitor.access.is_staff and visitor.access.moderates_agency(a.id)
    ]
    identities = len(await _identities(request))
    context = {
        "member": member,
        "profile": profile,
        "moderated": moderated,
        "identities": visitor.t.plural("profile.identities", identities),
    }
    return await render(request, "me.html", context)


async def export(request: web.Request) -> web.Response:
    data = await export_subject(request.app[SITE].services, await _identities(request))
    return web.Response(
        body=to_json(data),
        content_type="application/json",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{EXPORT_FILE}"'},
    )


async def erase(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    form = await request.post()
    if form.get("confirm") != "yes":
        await notify(request, visitor.t("dashboard.me.confirm_erase"), error=True)
        return redirect(f"{PREFIX}/me")
    await erase_subject(request.app[SITE].services, await _identities(request))
    response = redirect(f"{PREFIX}/signin?erased=1&lang={visitor.lang}")
    response.del_cookie(COOKIE, path=PREFIX)
    return response


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/me", me)
    router.add_get("/me/export", export)
    router.add_post("/me/erase", erase)
