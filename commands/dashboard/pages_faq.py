"""The FAQ (FAQ editors and staff): the unanswered queue, grouped by the entry each question is
closest to, with how many distinct people asked; promote a question to an entry or to a variant
of one, or dismiss it; edit entries and their variants; how helpful each entry was found.

Promote, dismiss and edit are `faq promote`, `faq dismiss` and `faq edit`, run by the
dispatcher with the form's fields as options: the same checks and messages as in chat.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.options import fold
from commands.dashboard.rendering import notify_reply, redirect, render, visitor_of
from commands.dashboard.site import PREFIX, SITE
from commands.faq.store.activity import Unanswered
from commands.faq.store.entries import FaqRepo
from commands.faq.store.reports import FaqReports

PAGE_SIZE = 25
CLOSEST = 3
QUEUE = ("faq", "unanswered")


@dataclass(frozen=True, slots=True)
class Group:
    """Questions of one page that the FAQ places near the same entry (or near none)."""

    verdict: str  # answer (the FAQ answers it now), suggest (close), unknown
    entry_id: int | None
    entry_question: str
    questions: list[tuple[Unanswered, list[tuple[int, str]]]]  # with their closest entries


async def _group(faq: FaqRepo, found: list[Unanswered]) -> list[Group]:
    # Searched together: the page's questions are encoded in one batch (faq/batching.py).
    results = await asyncio.gather(*(faq.search(q.text, lang=q.lang, limit=CLOSEST) for q in found))
    groups: dict[tuple[str, int | None], Group] = {}
    index = faq.index
    for question, result in zip(found, results, strict=True):
        # An entry another process removed while the page was searched is no longer offered.
        hits = [h for h in result.hits if h.doc_id in index]
        best = hits[0] if result.verdict != "unknown" and hits else None
        key = (result.verdict if best else "unknown", best.doc_id if best else None)
        if key not in groups:
            title = index.doc(best.doc_id).question if best else ""
            groups[key] = Group(key[0], key[1], title, [])
        # The search's own candidates; when it knows none, the nearest entries all the same
        # (a second ranking only then: searching is most of this page's time).
        near = [h.doc_id for h in hits] or [s.doc_id for s in index.rank(question.text)]
        closest = [(doc_id, index.doc(doc_id).question) for doc_id in near[:CLOSEST]]
        groups[key].questions.append((question, closest))
    order = {"answer": 0, "suggest": 1, "unknown": 2}
    return sorted(groups.values(), key=lambda g: (order[g.verdict], -len(g.questions)))


def _page(text: str) -> int:
    return max(1, min(int(text), 100_000)) if text.isdigit() else 1


async def queue(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    site = request.app[SITE]
    site.require(visitor, QUEUE)
    page = _page(request.query.get("page", "1"))
    found, total = await site.services.get(FaqReports).queue((page - 1) * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    context = {
        "groups": await _group(site.services.get(FaqRepo), found),
        "total": total,
        "page": page,
        "pages": pages,
        "agencies": {str(c.ref): c.agency_name for c in await site.services.agencies.channels()},
    }
    return await render(request, "faq_queue.html", context)


async def promote(request: web.Request) -> web.Response:
    form = await request.post()
    options: dict[str, Any] = {"question": request.match_info["id"]}
    for name in ("answer", "variant_of", "lang", "tags"):
        value = str(form.get(name, "")).strip()
        if value:
            options[name] = value
    return await _run(request, ("faq", "promote"), options, str(form.get("page", "1")))


async def dismiss(request: web.Request) -> web.Response:
    form = await request.post()
    options = {"question": request.match_info["id"]}
    return await _run(request, ("faq", "dismiss"), options, str(form.get("page", "1")))


async def _run(
    request: web.Request, path: tuple[str, ...], options: dict[str, Any], page: str
) -> web.Response:
    visitor = visitor_of(request)
    reply = await request.app[SITE].run(visitor, path, options)
    await notify_reply(request, reply)
    return redirect(f"{PREFIX}/faq?page={_page(page)}")


async def entries(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    site = request.app[SITE]
    site.require(visitor, QUEUE)
    wanted = fold(request.query.get("q", "")).strip()
    found = [
        e
        for e in await site.services.get(FaqRepo).all()
        if not wanted
        or wanted in fold(e.draft.question)
        or any(wanted in fold(tag) for tag in e.draft.tags)
    ]
    votes = await site.services.get(FaqReports).helpfulness()
    context = {"entries": found, "votes": votes, "q": request.query.get("q", "")}
    return await render(request, "faq_entries.html", context)


async def entry(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    site = request.app[SITE]
    site.require(visitor, ("faq", "edit"))
    found = await site.services.get(FaqRepo).get(int(request.match_info["id"]))
    if found is None:
        raise web.HTTPNotFound()
    votes = (await site.services.get(FaqReports).helpfulness()).get(found.id)
    return await render(request, "faq_entry.html", {"entry": found, "votes": votes})


async def edit(request: web.Request) -> web.Response:
    """`faq edit` with what the form changed (unchanged fields are not sent)."""
    visitor = visitor_of(request)
    site = request.app[SITE]
    entry_id = int(request.match_info["id"])
    found = await site.services.get(FaqRepo).get(entry_id)
    if found is None:
        raise web.HTTPNotFound()
    form = await request.post()
    old = found.draft
    options: dict[str, Any] = {"id": str(entry_id)}
    for name, current in (("question", old.question), ("answer", old.answer)):
        value = str(form.get(name, "")).strip()
        if value and value != current:
            options[name] = value
    tags = ", ".join(t.strip() for t in str(form.get("tags", "")).split(",") if t.strip())
    if tags != ", ".join(old.tags):
        options["tags"] = tags or "-"
    removed = [str(v) for v in form.getall("remove_variant", [])]
    if removed:
        options["remove_variants"] = ";".join(removed)
    added = [line.strip() for line in str(form.get("add_variants", "")).splitlines()]
    if any(added):
        options["add_variants"] = " | ".join(a for a in added if a)
    options.update(_translation(old.translations, form))
    reply = await site.run(visitor, ("faq", "edit"), options)
    await notify_reply(request, reply)
    return redirect(f"{PREFIX}/faq/entries/{entry_id}")


def _translation(current: Any, form: Any) -> dict[str, str]:
    """Both fields emptied: the translation goes (`-`); else what changed."""
    question, answer = next(iter(current.values()), ("", ""))
    new_question = str(form.get("translated_question", "")).strip()
    new_answer = str(form.get("translated_answer", "")).strip()
    if not (new_question or new_answer):
        return {"translated_question": "-"} if question else {}
    changed = {}
    if new_question and new_question != question:
        changed["translated_question"] = new_question
    if new_answer and new_answer != answer:
        changed["translated_answer"] = new_answer
    return changed


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/faq", queue)
    router.add_post(r"/faq/questions/{id:\d{1,9}}/promote", promote)
    router.add_post(r"/faq/questions/{id:\d{1,9}}/dismiss", dismiss)
    router.add_get("/faq/entries", entries)
    router.add_get(r"/faq/entries/{id:\d{1,9}}", entry)
    router.add_post(r"/faq/entries/{id:\d{1,9}}", edit)
