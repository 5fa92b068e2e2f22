"""The French demo data set (`fedbot run --demo`): the core's part (agencies and their channels)
and the reader each feature uses for its own part (its `demo.toml`). Features load in the
order of the feature list (`BotApp.load_demo`), so a feature's data may name an agency.
Loading the set twice changes nothing."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from bot.identity import ChannelRef
from bot.services import Services


def demo_file(package: str, name: str = "demo.toml") -> dict[str, Any]:
    """A package's demo data file, parsed."""
    return tomllib.loads((resources.files(package) / name).read_text("utf-8"))


async def load_demo_agencies(services: Services) -> None:
    now = services.clock.now()
    for item in demo_file("bot.demo", "agencies.toml")["agencies"]:
        agency, _ = await services.agencies.add(item["name"], item["region"], now)
        for channel in item.get("channels", []):
            ref = ChannelRef.parse(channel["ref"])
            await services.agencies.attach_channel(agency.id, ref, channel.get("tags", []), now)
