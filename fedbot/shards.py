"""`fedbot run --shards 0,1 --shard-count 4`: which Discord shards this process connects. They
override `discord.shard_ids` and `discord.shard_count`; a plan that cannot work is refused in
one line, in the operator's language, before anything starts."""

from __future__ import annotations

import argparse
from dataclasses import replace

from bot.config import Config
from fedbot.problems import CliError


def add_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--shards",
        metavar="IDS",
        help="Discord: the shards this process connects, such as 0,1 (default: the config's "
        "discord.shard_ids, else every shard)",
    )
    run.add_argument(
        "--shard-count",
        metavar="N",
        help="Discord: the total number of shards across the processes (default: the "
        "config's discord.shard_count, else Discord's recommendation)",
    )


def with_shards(config: Config, args: argparse.Namespace) -> Config:
    """The config with the command line's shards, checked."""
    settings = config.discord
    ids = settings.shard_ids if args.shards is None else _ids(args.shards)
    count = settings.shard_count if args.shard_count is None else _count(args.shard_count)
    if ids and count is None:
        raise CliError("shards_without_count")
    for shard in ids:
        if count is not None and not 0 <= shard < count:
            raise CliError("shard_out_of_range", shard=shard, count=count, last=count - 1)
        if ids.count(shard) > 1:
            raise CliError("shard_twice", shard=shard)
    return replace(config, discord=replace(settings, shard_ids=ids, shard_count=count))


def _ids(text: str) -> tuple[int, ...]:
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() for part in parts):
        raise CliError("shards_unreadable", value=text)
    return tuple(int(part) for part in parts)


def _count(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise CliError("shard_count_unreadable", value=text)
    return int(text)
