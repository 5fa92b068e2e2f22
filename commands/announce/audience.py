"""Who an announcement reaches (all agencies, a region, named agencies, a topic) and the
checks on what staff typed. Names, regions and topics match whatever the case and accents."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.dates import ensure_future
from bot.errors import UserError
from bot.options import fold
from bot.storage.agencies import AgencyChannel, AgencyRepo
from commands.announce.store.announcements import Destination

AUDIENCES = ("all", "region", "agencies", "tag")
MAX_AGENCIES = 100
MAX_AHEAD = timedelta(days=366)
_SEPARATORS = re.compile(r"[;\n]")
_HOST = re.compile(r"^[\w.-]+\.[\w-]+(:\d{1,5})?$|^localhost(:\d{1,5})?$")  # no user@ part


async def resolve(agencies: AgencyRepo, audience: str, target: str | None) -> list[Destination]:
    """Every channel of the audience, in agency order. A target that matches nothing is a
    mistake worth saying (a misspelt region would otherwise send to nobody, silently)."""
    target = (target or "").strip()
    if audience == "all":
        if target:
            raise UserError("announce.target_unexpected")
        return _destinations(await agencies.channels())
    if not target:
        raise UserError(f"announce.target_missing.{audience}")
    if audience == "region":
        return await _region(agencies, target)
    if audience == "agencies":
        return await _named(agencies, target)
    if audience == "tag":
        wanted = fold(target.lstrip("#"))
        found = [c for c in await agencies.channels() if wanted in {fold(t) for t in c.tags}]
        if not found:
            raise UserError("announce.no_tag", tag=target[:40])
        return _destinations(found)
    raise AssertionError(audience)


async def _region(agencies: AgencyRepo, target: str) -> list[Destination]:
    regions = sorted({a.region for a in await agencies.list()})
    match = next((r for r in regions if fold(r) == fold(target)), None)
    if match is None:
        raise UserError("announce.no_region", region=target[:80], known=", ".join(regions))
    return _destinations(await agencies.channels(region=match))


async def _named(agencies: AgencyRepo, target: str) -> list[Destination]:
    names = [n.strip() for n in _SEPARATORS.split(target) if n.strip()]
    if len(names) == 1 and "," in names[0]:
        names = [n.strip() for n in names[0].split(",") if n.strip()]
    if len(names) > MAX_AGENCIES:
        raise UserError("announce.too_many_agencies", max=MAX_AGENCIES)
    ids: list[int] = []
    unknown: list[str] = []
    for name in names:
        agency = await agencies.find(name)
        if agency is None:
            unknown.append(name[:60])
        else:
            ids.append(agency.id)
    if unknown:
        raise UserError("announce.unknown_agencies", names=", ".join(unknown))
    return _destinations(await agencies.channels(agency_ids=ids))


def _destinations(channels: Iterable[AgencyChannel]) -> list[Destination]:
    seen: set[str] = set()
    out = []
    for c in channels:
        if str(c.ref) not in seen:
            seen.add(str(c.ref))
            out.append(Destination(c.agency_id, c.agency_name, c.ref))
    return out


def per_platform(destinations: Iterable[Destination]) -> dict[str, int]:
    return dict(Counter(d.ref.platform for d in destinations))


def check_link(link: str | None) -> str | None:
    """An absolute http(s) URL without spaces, or a clear message."""
    if not link:
        return None
    link = link.strip().strip("<>")
    parts = urlsplit(link)
    ok = (
        parts.scheme in ("http", "https")
        and _HOST.match(parts.netloc) is not None
        and not any(ch.isspace() for ch in link)
    )
    if not ok:
        raise UserError("announce.bad_link", link=link[:80])
    return link


def check_schedule(when: datetime | None, now: datetime) -> datetime | None:
    if when is None:
        return None
    ensure_future(when, now)
    if when - now > MAX_AHEAD:
        raise UserError("announce.too_far", days=MAX_AHEAD.days)
    return when
