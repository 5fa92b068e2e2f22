"""What a moderator typed -> checked digest settings (`DigestFields`), for create and edit.

Every option is validated here once, whatever the platform: the schedule (bot/schedules.py,
pinned at creation so every-2-weeks keeps its parity), the sections, the scope, the channel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.identity import ChannelRef
from bot.schedules import parse_schedule, pin
from bot.storage.agencies import Agency
from commands.digest.sections import SECTION_NAMES, section_name
from commands.digest.store.digests import DigestFields

PLATFORMS = ("console", "slack", "discord")
SCOPES = ("agency", "region", "all")
DEFAULT_DAYS = 14
MAX_DAYS = 92
CLEAR = {"-", "none", "aucun", "aucune"}  # `title:-` removes a custom title
_SEPARATORS = re.compile(r"[,;\s]+")


def parse_sections(text: str) -> tuple[str, ...]:
    """`events, annonces; activity` -> ("events", "announcements", "activity"), in order."""
    found: list[str] = []
    for word in filter(None, _SEPARATORS.split(text)):
        name = section_name(word)
        if name is None:
            raise UserError("digest.bad_section", value=word[:30], allowed=", ".join(SECTION_NAMES))
        if name not in found:
            found.append(name)
    if not found:
        raise UserError("digest.no_section", allowed=", ".join(SECTION_NAMES))
    return tuple(found)


def schedule_text(text: str, lang: str, now: datetime, tz: ZoneInfo) -> str:
    """The canonical, pinned spelling of a schedule typed in French or English (or cron)."""
    return pin(parse_schedule(text, lang), now, tz).to_text()


def check_channel(channel: ChannelRef) -> ChannelRef:
    if channel.platform not in PLATFORMS:
        raise UserError("digest.bad_platform", platform=channel.platform[:20])
    return channel


def check_scope(scope: str, agency: Agency | None) -> str:
    if scope != "all" and agency is None:
        raise UserError("digest.scope_needs_agency")
    return scope


def new_fields(
    options: Mapping[str, Any],
    channel: ChannelRef,
    agency: Agency | None,
    lang: str,
    now: datetime,
    tz: ZoneInfo,
) -> DigestFields:
    """Settings for `digest create`: what was typed, else the defaults."""
    default_scope = "agency" if agency is not None else "all"
    return DigestFields(
        channel=channel,
        schedule=schedule_text(options["schedule"], lang, now, tz),
        lang=options["lang"] or lang,
        sections=parse_sections(options["sections"]) if options["sections"] else SECTION_NAMES,
        days=options["days"] or DEFAULT_DAYS,
        scope=check_scope(options["scope"] or default_scope, agency),
        skip_empty=True if options["skip_empty"] is None else options["skip_empty"],
        title=_title(options["title"]),
    )


def edited_fields(
    current: DigestFields,
    options: Mapping[str, Any],
    channel: ChannelRef,
    agency: Agency | None,
    lang: str,
    now: datetime,
    tz: ZoneInfo,
) -> DigestFields:
    """Settings for `digest edit`: only what was typed changes."""
    changes: dict[str, Any] = {"channel": channel}
    if options["schedule"]:
        changes["schedule"] = schedule_text(options["schedule"], lang, now, tz)
    if options["sections"]:
        changes["sections"] = parse_sections(options["sections"])
    for name in ("lang", "days", "skip_empty"):
        if options[name] is not None:
            changes[name] = options[name]
    if options["title"]:
        changes["title"] = _title(options["title"])
    changes["scope"] = check_scope(options["scope"] or current.scope, agency)
    return replace(current, **changes)


def _title(text: str | None) -> str | None:
    if not text or text.strip().lower() in CLEAR:
        return None
    return text.strip()
