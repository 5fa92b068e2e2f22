"""Announcements (staff): compose with the same audience filters as `announce send`, preview
per platform, confirm, follow each copy live (sent, failed, acknowledged), retry, withdraw.

Every step is the chat command run by the dispatcher: `announce send` makes the draft and its
preview, the preview's buttons (Confirm, Cancel) are clicked like in chat (`click`), and
`announce retry` / `announce delete` retry and withdraw. The web only shows what they return
and the store's view of each copy.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.messages import Reply
from commands.announce.render import headline
from commands.announce.store.announcements import Announcement, AnnouncementRepo, State
from commands.announce.store.outbox_rows import UNSETTLED
from commands.announce.store.reports import AnnounceReports
from commands.dashboard.rendering import (
    notify,
    notify_reply,
    redirect,
    render,
    safe_next,
    visitor_of,
)
from commands.dashboard.site import PREFIX, SITE, Visitor

FIELDS = ("to", "target", "title", "link", "at", "text")
LIST = ("announce", "list")


async def _audience_choices(request: web.Request) -> dict[str, list[str]]:
    services = request.app[SITE].services
    agencies = await services.agencies.list()
    tags = sorted({t for c in await services.agencies.channels() for t in c.tags})
    return {
        "regions": sorted({a.region for a in agencies}),
        "agencies": [a.name for a in agencies],
        "tags": tags,
    }


async def announcements(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    site = request.app[SITE]
    site.require(visitor, LIST)
    repo = site.services.get(AnnouncementRepo)
    recent = await repo.recent(50)
    totals = await repo.outbox.totals([a.id for a in recent])
    now = site.now()
    # `headline` reads the states summed over platforms: one "platform" holding them all will do.
    rows = [
        (a, totals.get(a.id, {}), headline(a, {"all": totals.get(a.id, {})}, now)) for a in recent
    ]
    return await render(request, "announcements.html", {"rows": rows})


async def compose(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    request.app[SITE].require(visitor, ("announce", "send"))
    values = {name: request.query.get(name, "") for name in FIELDS} | {"to": "all"}
    return await _compose_page(request, values)


async def _compose_page(
    request: web.Request, values: dict[str, str], error: str | None = None
) -> web.Response:
    context = {"values": values, "error": error, **await _audience_choices(request)}
    return await render(request, "compose.html", context, status=400 if error else 200)


async def preview(request: web.Request) -> web.Response:
    """`announce send` with the form's options: its preview, or its error with the form kept."""
    visitor = visitor_of(request)
    site = request.app[SITE]
    form = await request.post()
    values = {name: str(form.get(name, "")) for name in FIELDS}
    options: dict[str, Any] = {k: v for k, v in values.items() if v.strip()}
    reply = await site.run(visitor, ("announce", "send"), options)
    if reply.is_error:
        return await _compose_page(request, values, reply.message.text)
    ann = await _draft_of(site.services.get(AnnouncementRepo), reply)
    return await render(request, "preview.html", {"reply": reply, "ann": ann})


async def _draft_of(repo: AnnouncementRepo, reply: Reply) -> Announcement | None:
    """The draft a preview is about: its Confirm button names it."""
    for button in reply.message.buttons:
        if button.action == "announce.confirm" and button.args.get("id", "").isdigit():
            return await repo.get(int(button.args["id"]))
    return None


async def announcement(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    site = request.app[SITE]
    site.require(visitor, LIST)
    repo = site.services.get(AnnouncementRepo)
    ann = await repo.get(int(request.match_info["id"]))
    if ann is None or ann.state == State.CANCELLED:
        raise web.HTTPNotFound()
    context = await _status(site.services, ann, visitor, site.now())
    template = "draft.html" if ann.state == State.DRAFT else "status.html"
    return await render(request, template, context)


async def _status(services: Any, ann: Announcement, visitor: Visitor, now: Any) -> dict[str, Any]:
    repo = services.get(AnnouncementRepo)
    reports = services.get(AnnounceReports)
    counts = await repo.outbox.counts(ann.id)
    copies = await reports.copies(ann.id)
    acked = await reports.acked_agencies(ann.id)
    states: dict[str, int] = {}
    for platform_states in counts.values():
        for state, n in platform_states.items():
            states[state] = states.get(state, 0) + n
    return {
        "ann": ann,
        "headline": headline(ann, counts, now),
        "copies": copies,
        "acked": acked,
        "states": states,
        "live": ann.state != State.DRAFT and any(c.state in UNSETTLED for c in copies),
        "acks": len(acked),
        "agencies": len({c.agency_id for c in copies if c.agency_id is not None}),
    }


async def act(request: web.Request) -> web.Response:
    """A button of a reply (Confirm, Cancel…), clicked: the dispatcher runs its command."""
    visitor = visitor_of(request)
    form = await request.post()
    reply = await request.app[SITE].click(
        visitor, str(form.get("action", "")), str(form.get("value", ""))
    )
    await notify_reply(request, reply)
    return redirect(safe_next(str(form.get("next", ""))))


async def retry(request: web.Request) -> web.Response:
    return await _by_id(request, ("announce", "retry"))


async def withdraw(request: web.Request) -> web.Response:
    form = await request.post()
    if form.get("confirm") != "yes":
        visitor = visitor_of(request)
        await notify(request, visitor.t("dashboard.announce.confirm_withdraw"), error=True)
        return redirect(f"{PREFIX}/announcements/{request.match_info['id']}")
    return await _by_id(request, ("announce", "delete"))


async def _by_id(request: web.Request, path: tuple[str, ...]) -> web.Response:
    visitor = visitor_of(request)
    announcement_id = request.match_info["id"]
    reply = await request.app[SITE].run(visitor, path, {"id": announcement_id})
    await notify_reply(request, reply)
    return redirect(f"{PREFIX}/announcements/{announcement_id}")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/announcements", announcements)
    router.add_get("/announcements/new", compose)
    router.add_post("/announcements/new", preview)
    router.add_get(r"/announcements/{id:\d{1,9}}", announcement)
    router.add_post(r"/announcements/{id:\d{1,9}}/retry", retry)
    router.add_post(r"/announcements/{id:\d{1,9}}/withdraw", withdraw)
    router.add_post("/act", act)
