"""HTTP caching for the routes that give validators (`WebResponse.etag`, `.last_modified`):
the headers that let calendar apps and proxies keep a copy, and conditional GETs answered with
`304 Not Modified` and no body (RFC 9110 §13)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.helpers import ETAG_ANY

if TYPE_CHECKING:
    from bot.web import WebResponse


def cache_headers(reply: WebResponse) -> dict[str, str]:
    headers = {}
    if reply.etag is not None:
        headers["ETag"] = f'"{reply.etag}"'
    if reply.last_modified is not None:
        headers["Last-Modified"] = http_date(reply.last_modified)
    if reply.max_age is not None:
        headers["Cache-Control"] = f"public, max-age={reply.max_age}"
    return headers


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def not_modified(request: web.Request, reply: WebResponse) -> bool:
    """Whether the client's copy is current. If-None-Match, when sent, decides alone (a
    calendar app sends both; the entity tag is exact, a date only to the second)."""
    if request.method not in ("GET", "HEAD") or reply.status != 200:
        return False
    if request.headers.get("If-None-Match") is not None:
        tags = request.if_none_match or ()
        # weak comparison, as RFC 9110 asks for If-None-Match: W/"x" matches "x"
        return reply.etag is not None and any(tag.value in (ETAG_ANY, reply.etag) for tag in tags)
    since = request.if_modified_since
    if since is None or reply.last_modified is None:
        return False
    return reply.last_modified.replace(microsecond=0) <= since
