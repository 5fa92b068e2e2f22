"""Discord's rate limit for what the bot sends, declared as data for the core's pacer: one
global budget per bot (50 requests per second; configured below it, with a burst). Per-route
buckets are tracked by discord.py itself from the response headers."""

from __future__ import annotations

from bot.pacing import Bucket, Rate
from bot.platform_settings import DiscordSettings


def discord_buckets(settings: DiscordSettings) -> tuple[Bucket, ...]:
    return (
        Bucket(
            "global",
            frozenset({"send", "update", "delete"}),
            "platform",
            Rate(settings.rate, settings.burst),
            pauses=True,
        ),
    )
