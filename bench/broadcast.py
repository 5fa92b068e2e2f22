"""A broadcast to 500 channels over the wire, against fake servers that enforce rate limits.

The real Slack and Discord adapters talk over loopback to the fake servers of the tests
(tests/announce_fakes.py), which answer 429 to any request over the platforms' limits:
Slack `chat.postMessage` 1 per second per channel and 10 per second per workspace (burst 10),
`chat.update` 50 per minute; Discord 50 requests per second (burst 50) and 5 messages per 5 s
per channel. 250 agencies each own one Slack and one Discord channel. The bot runs with the
same rates in its `[slack]`/`[discord]` config, using half of Slack's burst and four fifths
of Discord's.

Figures: the time from Confirm to the last row settled, as a ratio to the least time the limits
allow (target < 1.2; both platforms are sent to at once, so the slower one sets it); the same
per platform (target ≤ 1.1 each, issue 15); 429s received (the pacing should avoid them);
copies per channel (exactly one); peak RSS of the process (bot and both fake servers). Run
from the repo root: `python bench/broadcast.py [--quick]`.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from measure import peak_rss_mib, report
from sqlalchemy import func, select

from bot.app import BotApp
from commands.announce.delivery import courier_for
from commands.announce.store.outbox_rows import deliveries
from fedbot.cli import run_async
from tests.announce_fakes import DiscordLimits, SlackLimits
from tests.announce_wire import Network, broadcast, running, seed

SLACK = SlackLimits(channel_rate=1.0, workspace_rate=10.0, workspace_burst=10)
DISCORD = DiscordLimits(global_rate=50.0, route_limit=5, route_period=5.0)


def least_time(posts: int, rate: float, burst: int) -> float:
    """Seconds the fastest client allowed by a token bucket needs for `posts` requests."""
    return max(0.0, posts - burst) / rate


async def last_copy_per_platform(app: BotApp, announcement_id: int) -> dict[str, float]:
    c = deliveries.c
    query = (
        select(c.platform, func.max(c.sent_at))
        .where(c.announcement_id == announcement_id)
        .group_by(c.platform)
    )
    async with app.db.read() as conn:
        return {p: at.timestamp() for p, at in await conn.execute(query)}


@dataclass(frozen=True)
class Outcome:
    elapsed: float  # Confirm -> every row settled and the progress message final
    last_copy: dict[str, float]  # per platform, seconds after Confirm
    copies: list[int]  # per destination
    rejected: tuple[int, int]  # 429s answered by the fake Slack and Discord


async def broadcast_once(agencies: int) -> Outcome:
    net = Network(agencies=agencies, slack_limits=SLACK, discord_limits=DISCORD)
    config = {
        "slack": {
            "workspace_rate": SLACK.workspace_rate,
            # Half the workspace's burst: the other half absorbs network jitter, so that no
            # request arrives over the limit (a 429 costs a whole second of Retry-After).
            "workspace_burst": SLACK.workspace_burst // 2,
            "channel_rate": SLACK.channel_rate,
            "update_rate": SLACK.update_per_minute / 60,
        },
        # Most of Discord's burst: the rest absorbs jitter (and the bot's other requests).
        "discord": {"rate": DISCORD.global_rate, "burst": int(DISCORD.global_rate) - 10},
        "progress_interval": 2.0,
    }
    with tempfile.TemporaryDirectory() as tmp:
        async with net.slack, net.discord, running(Path(tmp), net, **config) as app:
            await seed(app, net)
            started = time.time()
            announcement = await broadcast(app)
            await courier_for(app.services).drain()
            elapsed = time.time() - started
            last = await last_copy_per_platform(app, announcement)
    copies = [len(net.slack_copies(i)) for i in net.good]
    copies += [len(net.discord_copies(i)) for i in net.good]
    return Outcome(
        elapsed,
        {platform: at - started for platform, at in last.items()},
        copies,
        (net.slack.rejected, net.discord.rejected),
    )


async def main(quick: bool) -> None:
    logging.basicConfig(level=logging.ERROR)
    agencies = 50 if quick else 250
    out = await broadcast_once(agencies)
    # Slack also carries the progress message in the staff channel (one more post).
    slack_min = least_time(agencies + 1, SLACK.workspace_rate, SLACK.workspace_burst)
    discord_min = least_time(agencies, DISCORD.global_rate, int(DISCORD.global_rate))
    least = max(slack_min, discord_min)
    ratio, target = out.elapsed / least, "(500 only)" if quick else "< 1.2"
    exact = min(out.copies) == max(out.copies) == 1
    slack, discord = out.last_copy["slack"], out.last_copy["discord"]
    report(
        [
            ("destinations (Slack + Discord)", f"{len(out.copies)}", "" if quick else "500", True),
            ("total time", f"{out.elapsed:.2f} s", "", True),
            ("least time the limits allow", f"{least:.2f} s", "", True),
            # A smoke run is too short for the target: fixed costs (the first post, the last
            # progress edit) weigh five times more than over 500 destinations.
            ("total / least", f"{ratio:.3f}", target, quick or ratio < 1.2),
            ("Slack: last copy / least", f"{slack:.2f} / {slack_min:.2f} s", "", True),
            (
                "Slack: ratio",
                f"{slack / slack_min:.3f}",
                "≤ 1.1",
                quick or slack / slack_min <= 1.1,
            ),
            ("Discord: last copy / least", f"{discord:.2f} / {discord_min:.2f} s", "", True),
            (
                "Discord: ratio",
                f"{discord / discord_min:.3f}",
                "≤ 1.1",
                quick or discord / discord_min <= 1.1,
            ),
            ("429s (Slack, Discord)", f"{out.rejected[0]}, {out.rejected[1]}", "0, 0", True),
            ("copies per channel", "exactly 1" if exact else "NOT 1", "1", exact),
            ("peak RSS (bot + fakes)", f"{peak_rss_mib():.0f} MiB", "", True),
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 destinations instead of 500")
    run_async(main(parser.parse_args().quick))
