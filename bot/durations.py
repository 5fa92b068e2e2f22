"""Durations as people type them ("2h", "1h30", "90 min", "1 semaine et 2 jours"), on text
already normalised by `bot.dates` (lower case, no accents): `duration` is what
`bot.dates.parse_duration` and "dans 3 jours" share."""

from __future__ import annotations

import re
from datetime import timedelta

MAX_DURATION = timedelta(days=3660)


def aliases(spec: str) -> dict[str, str]:
    """`"value: alias alias|value: alias"` → `{alias: value}`."""
    pairs = (entry.split(":") for entry in spec.split("|"))
    return {alias: value for value, aliases in pairs for alias in aliases.split()}


_DURATION_HM = re.compile(r"(\d{1,3})\s*h\s*(\d{2})")  # 1h30: the minutes have no unit
_DURATION_PART = re.compile(r"(?:(\d{1,6}(?:[.,]\d{1,3})?)\s*|(une?|an?)\s+)([a-z]+)\s*")
SEPARATORS = re.compile(r"\s*(?:\bet\b|\band\b|\+)\s*")
_UNITS = aliases(  # → timedelta's keyword
    "minutes: m mn min mins minute minutes|hours: h hr hrs heure heures hour hours"
    "|days: j jour jours d day days|weeks: sem semaine semaines w wk week weeks"
)


def duration(s: str) -> timedelta | None:
    if m := _DURATION_HM.fullmatch(s):
        delta = timedelta(hours=int(m[1]), minutes=int(m[2]))
        return delta if int(m[2]) < 60 and timedelta(0) < delta <= MAX_DURATION else None
    s = SEPARATORS.sub(" ", s).strip()
    parts = list(_DURATION_PART.finditer(s))
    if not parts or "".join(p[0] for p in parts) != s:
        return None
    amounts: dict[str, float] = {}
    for number, _word, unit_name in (p.groups() for p in parts):
        unit = _UNITS.get(unit_name)
        if unit is None or unit in amounts:
            return None
        amounts[unit] = float(number.replace(",", ".")) if number else 1.0
    delta = timedelta(**amounts)
    return delta if timedelta(0) < delta <= MAX_DURATION else None
