"""Demo profiles (`fedbot run --demo`): console members with interests across the demo
agencies, so `/match find` shows partners at once. Loading twice changes nothing: a member
who already has a profile (the operator may have edited theirs) is left alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.demo import demo_file
from bot.identity import Caller
from bot.services import Services
from commands.profile.languages import parse_languages
from commands.profile.store.profiles import ProfileChanges, ProfileRepo, Tag
from commands.profile.tags import display_tag, normalise_tag, split_tags


async def load_demo_profiles(services: Services, items: Iterable[Mapping[str, Any]]) -> None:
    now = services.clock.now()
    for item in items:
        caller = Caller("console", "local", item["user"], item.get("name", item["user"]))
        member = await services.members.ensure(caller, now)
        if await services.get(ProfileRepo).get(member.id) is not None:
            continue
        agency = await services.agencies.find(item["agency"]) if item.get("agency") else None
        changes = ProfileChanges(
            agency_id=agency.id if agency else None,
            organisation=item.get("organisation", ""),
            role=item.get("role", ""),
            description=item.get("description", ""),
            languages=parse_languages(item.get("languages", "")),
            opt_in=bool(item.get("match", False)),
            visible=bool(item.get("visible", False)),
            tags=tuple(
                Tag(normalise_tag(s), display_tag(s)) for s in split_tags(item["interests"])
            ),
        )
        await services.get(ProfileRepo).save(member.id, changes, now)


async def load_demo(services: Services) -> None:
    """This feature's part of the demo data set (`demo.toml` beside this module)."""
    await load_demo_profiles(services, demo_file("commands.profile").get("profiles", []))
