"""Slack's rate limits for what the bot sends, declared as data for the core's pacer.

`chat.postMessage` is "special tier": about one message per second per channel, and a
workspace-wide budget Slack does not publish (a 429 on it stalls the whole workspace).
`chat.update` and `chat.delete` are tier 3 (50+ per minute per workspace), which "welcomes
sporadic bursts": the final progress edit need not queue behind the last periodic one.
"""

from __future__ import annotations

from bot.pacing import Bucket, Rate
from bot.platform_settings import SlackSettings


def slack_buckets(settings: SlackSettings) -> tuple[Bucket, ...]:
    return (
        Bucket(
            "post",
            frozenset({"send"}),
            "workspace",
            Rate(settings.workspace_rate, settings.workspace_burst),
            pauses=True,
        ),
        Bucket("post", frozenset({"send"}), "channel", Rate(settings.channel_rate)),
        Bucket(
            "update",
            frozenset({"update", "delete"}),
            "workspace",
            Rate(settings.update_rate, burst=2),
            pauses=True,
        ),
    )
