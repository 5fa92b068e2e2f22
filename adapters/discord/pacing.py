"""Discord's rate limits for what the bot sends, declared as data for the core's pacer.

One global budget per bot (50 requests per second; configured below it, with a burst). A
global 429 never reaches the core: discord.py waits it out itself. The per-route buckets are
paced by discord.py from the response headers; the one that reaches the core is a route's 429
whose wait exceeds `max_ratelimit_wait` (`discord.RateLimited`). A message route's bucket is
its channel's, so that wait stalls the channel's bucket here, never every Discord send: the
channel buckets hold those pauses and, at the global rate, never pace tighter than it.
"""

from __future__ import annotations

from bot.pacing import Bucket, Rate
from bot.platform_settings import DiscordSettings


def discord_buckets(settings: DiscordSettings) -> tuple[Bucket, ...]:
    rate = Rate(settings.rate, settings.burst)
    return (
        Bucket("global", frozenset({"send", "update", "delete"}), "platform", rate),
        # Creating a message and editing or deleting one are distinct routes at Discord.
        Bucket("post", frozenset({"send"}), "channel", rate, pauses=True),
        Bucket("edit", frozenset({"update", "delete"}), "channel", rate, pauses=True),
    )
