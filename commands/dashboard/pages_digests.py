"""Digests and matching (moderators and staff).

Digests: the ones `digest list` would show the visitor (their agencies' channels; staff: all),
each with its schedule in words, its next run, how its last run went, and the same buttons as
in chat (preview, send now, pause or resume), clicked through the dispatcher. Matching: the
channels where rounds run, and what came of each round.
"""

from __future__ import annotations

from aiohttp import web

from bot.schedules import describe, parse_schedule
from commands.dashboard.rendering import render, visitor_of
from commands.dashboard.site import SITE
from commands.digest.permissions import visible_digests
from commands.digest.runner import next_run
from commands.digest.summary import digest_buttons, schedule_words, sections_text
from commands.match.store.reports import MatchReports

DIGESTS = ("digest", "list")
ROUNDS = ("match", "rounds")
LIMIT = 200


async def digests(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    site = request.app[SITE]
    site.require(visitor, DIGESTS)
    found, total = await visible_digests(site.services, visitor.access, LIMIT)
    agencies = {str(c.ref): c.agency_name for c in await site.services.agencies.channels()}
    now = site.now()
    rows = [
        {
            "digest": d,
            "agency": agencies.get(str(d.channel), ""),
            "schedule": schedule_words(d, visitor.t),
            "sections": sections_text(d, visitor.t),
            "next": next_run(site.services, d, now),
            "buttons": [b for b in digest_buttons(d, visitor.t) if b.action != "digest.preview"],
        }
        for d in found
    ]
    return await render(request, "digests.html", {"rows": rows, "total": total})


async def preview(request: web.Request) -> web.Response:
    """`digest preview`: the digest as its channel would receive it now."""
    visitor = visitor_of(request)
    site = request.app[SITE]
    reply = await site.run(visitor, ("digest", "preview"), {"id": request.match_info["id"]})
    return await render(request, "reply.html", {"reply": reply, "back": "/digests"})


async def matching(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    site = request.app[SITE]
    site.require(visitor, ROUNDS)
    reports = site.services.get(MatchReports)
    agencies = {str(c.ref): c.agency_name for c in await site.services.agencies.channels()}
    configs = [
        (c, describe(parse_schedule(c.schedule), visitor.lang), agencies.get(str(c.channel), ""))
        for c in await reports.configs()
    ]
    rounds = [(r, agencies.get(str(r.channel), "")) for r in await reports.rounds(30)]
    return await render(request, "matching.html", {"configs": configs, "rounds": rounds})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/digests", digests)
    router.add_get(r"/digests/{id:\d{1,9}}/preview", preview)
    router.add_get("/matching", matching)
