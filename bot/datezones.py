"""The time zone typed at the end of a date (`Z`, `+01:00`, `UTC+2`, `Europe/London`), read
by `bot.dates` on its normalised text (lower case)."""

from __future__ import annotations

import re
from datetime import UTC, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.errors import UserError

_ZONE = re.compile(
    r"(?:(?<=\d)z|\s*\b(?:utc|gmt)(?P<uoff>[+-]\d{1,2}(?::?\d{2})?)?"
    r"|(?<=:\d\d)\s*(?P<off>[+-]\d{2}(?::?\d{2})?)|\s+(?P<iana>[a-z_]+(?:/[a-z0-9_+-]+)+))$"
)
_OFFSET = re.compile(r"([+-])(\d{1,2}):?(\d{2})?")


def split_zone(s: str, tz: tzinfo, text: str) -> tuple[str, tzinfo]:
    """A zone typed at the end wins over `tz`."""
    m = _ZONE.search(s)
    if m is None:
        return s, tz
    rest, offset = s[: m.start()].strip(), m["off"] or m["uoff"]
    if m["iana"]:
        key = _zone_keys().get(m["iana"])
        if key is None:
            raise UserError("dates.invalid", value=text)
        return rest, ZoneInfo(key)
    if not offset:
        return rest, UTC
    o = _OFFSET.fullmatch(offset)
    if o is None or int(o[2]) > 14 or int(o[3] or 0) > 59:
        raise UserError("dates.invalid", value=text)
    delta = timedelta(hours=int(o[2]), minutes=int(o[3] or 0))
    return rest, timezone(-delta if o[1] == "-" else delta)


@cache
def _zone_keys() -> dict[str, str]:
    """Lower-cased IANA names: chat users do not type `Europe/London` with its capitals."""
    return {key.lower(): key for key in available_timezones()}
