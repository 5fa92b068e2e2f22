"""The French demo data set (`fedbot run --demo`): a few agencies, their channels, and the data
of each feature, so a newcomer sees the bot work at once. Loading it twice changes nothing."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from bot.identity import ChannelRef
from bot.services import Services


def demo_data() -> dict[str, Any]:
    return tomllib.loads((resources.files("bot.demo") / "data.toml").read_text("utf-8"))


async def load_demo(services: Services) -> None:
    data = demo_data()
    now = services.clock.now()
    for item in data["agencies"]:
        agency, _ = await services.agencies.add(item["name"], item["region"], now)
        for channel in item.get("channels", []):
            ref = ChannelRef.parse(channel["ref"])
            await services.agencies.attach_channel(agency.id, ref, channel.get("tags", []), now)
    from commands.events.demo import load_demo_events  # features import bot: load late

    await load_demo_events(services, data.get("events", []))
    from commands.announce.demo import load_demo_announcements

    await load_demo_announcements(services, data.get("announcements", []))
    from commands.digest.demo import load_demo_digests

    await load_demo_digests(services, data.get("digests", []))
    from commands.profile.demo import load_demo_profiles

    await load_demo_profiles(services, data.get("profiles", []))
    from commands.faq.demo import load_demo_faq

    await load_demo_faq(services)
