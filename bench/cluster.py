"""Three `fedbot run` processes on one PostgreSQL database, killed with `kill -9` at random.

The fake Slack and Discord of the tests run in a process of their own (bench/cluster_fakes.py,
rate limits enforced); the bot processes serve Slack over HTTP and Discord over the gateway
(one shard each when the bot is sharded). Phases:

1. **Slash commands**, no chaos: the same signed `/ping` commands (20 in flight, from another
   process: bench/loadgen.py) to one bot process, then spread over the three.
2. **Chaos**: a broadcast to every agency's Slack and Discord channel, digests due in the same
   minute (one per Discord channel), reminders of events by Slack direct message, and signed
   slash commands spread over the processes (one that does not answer passes the command to
   the next, as a load balancer would); meanwhile a random process is killed with SIGKILL
   every few seconds and started again. When everything has arrived, nobody is killed any
   more and the bench waits for what a takeover could still send twice.

Printed: messages lost and duplicates still visible (per kind), the time from the chaos's
start to the last message against the least time the platforms' limits allow, commands/s and
p99 per process and in all, 429s. The last line is exactly
`cluster: lost=<n> duplicates=<n> ratio=<x.xx>`.

`python bench/cluster.py [--db postgresql+asyncpg://…] [--quick]` (without --db:
$FEDBOT_TEST_POSTGRES_URL, as `.ci/run` sets it). `--quick` runs a small version in under a
minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from cluster_fakes import (
    DISCORD_LIMITS,
    GUILD,
    SLACK_LIMITS,
    STAFF,
    STAFF_CHANNEL,
    TEAM,
    digest_channel,
    discord_channel,
    slack_channel,
    user,
)
from loadgen import run_load, start_load
from measure import ROOT, percentile, report

from bot.app import BotApp
from bot.config import parse_config
from bot.identity import Caller, ChannelRef, Place
from commands.digest.settings import schedule_text
from commands.digest.store.digests import DigestFields, DigestRepo
from commands.events.store.events import EventFields, EventRepo
from fedbot.assembly import make_app
from tests.fakes.discord_server import DEFAULT_TOKEN
from tests.fakes.slack_server import DEFAULT_BOT_TOKEN, DEFAULT_SIGNING_SECRET
from tests.postgres import postgres_database

PROCESSES = 3
MARK = "Appel à projets cluster"
LEASE_SECONDS = 5  # a dead process's work is taken over this soon
CONCURRENCY = 20
REMINDERS_DUE_IN = 8  # seconds after they are seeded, just before the chaos starts
TZ = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Size:
    agencies: int
    digests: int
    events: int
    commands: int
    kill_every: tuple[float, float]  # seconds between two kills
    timeout: float  # the chaos phase gives up after this long

    @property
    def users(self) -> int:
        return max(self.events, 20)


FULL = Size(agencies=250, digests=200, events=100, commands=2000, kill_every=(3, 6), timeout=240)
QUICK = Size(agencies=20, digests=20, events=10, commands=300, kill_every=(2, 4), timeout=35)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _toml(tables: dict[str, dict[str, Any]]) -> str:
    lines = []
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def raw_config(db_url: str, fakes: dict[str, str], port: int) -> dict[str, dict[str, Any]]:
    return {
        "bot": {"database_url": db_url, "log_level": "WARNING"},
        "http": {"enabled": True, "host": "127.0.0.1", "port": port},
        "slack": {
            "mode": "http",
            "api_base_url": fakes["slack_api"],
            "workspace_rate": SLACK_LIMITS.workspace_rate,
            "workspace_burst": SLACK_LIMITS.workspace_burst // 2,
            "channel_rate": SLACK_LIMITS.channel_rate,
            "max_retries": 3,
        },
        "discord": {
            "api_base_url": fakes["discord_api"],
            "gateway_url": fakes["discord_gateway"],
            "guild_ready_timeout": 0.05,
            "ready_timeout": 10,
            "rate": DISCORD_LIMITS.global_rate,
            "burst": int(DISCORD_LIMITS.global_rate) - 10,
        },
        "federation": {"slack_teams": [TEAM], "discord_guilds": [str(GUILD)]},
        "roles": {"staff": [f"slack:{TEAM}:{STAFF}"]},
        "throttle": {"enabled": False},
        "announce": {"sweep_interval": 2, "retry_base": 0.5, "concurrency": 6},
        "digest": {"sweep_seconds": 5, "grace_minutes": 60},
        "events": {"reminder_offsets": ["1h"], "reminder_check_seconds": 3},
        "cluster": {"lease_seconds": LEASE_SECONDS},
    }


ENV = {
    "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
    "SLACK_SIGNING_SECRET": DEFAULT_SIGNING_SECRET,
    "DISCORD_TOKEN": DEFAULT_TOKEN,
}


# --------------------------------------------------------------------------- processes


class BotProcess:
    """One `fedbot run`, which the bench kills and starts again."""

    def __init__(self, index: int, folder: Path, raw: dict[str, dict[str, Any]], shards: bool):
        self.index = index
        self.port = raw["http"]["port"]
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / f"fedbot-{index}.toml"
        self.config.write_text(_toml(raw), "utf-8")
        self.log = folder / f"bot-{index}.log"
        self.shard_args = (
            ["--shards", str(index), "--shard-count", str(PROCESSES)] if shards else []
        )
        self.proc: asyncio.subprocess.Process | None = None
        self.kills = 0

    async def start(self) -> None:
        env = {**os.environ, **ENV, "FEDBOT_CONFIG": str(self.config)}
        for name in ("FEDBOT_DATABASE_URL", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID"):
            env.pop(name, None)
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "fedbot",
                "run",
                *self.shard_args,
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise RuntimeError(f"bot {self.index} exited: {self.log.read_text()[-1500:]}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{self.url}/readyz") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"bot {self.index} not ready: {self.log.read_text()[-1500:]}")

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.kills += 1

    async def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                await self.kill()


@contextlib.asynccontextmanager
async def fakes_process(size: Size) -> AsyncIterator[dict[str, str]]:
    spec = {"agencies": size.agencies, "digests": size.digests, "users": size.users}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "cluster_fakes.py"),
        json.dumps(spec),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        yield json.loads(line)
    finally:
        proc.kill()
        await proc.wait()


def _shardable() -> bool:
    """Whether this fedbot runs Discord shards (`fedbot run --shards`)."""
    import subprocess

    help_text = subprocess.run(
        [sys.executable, "-m", "fedbot", "run", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout
    return "--shards" in help_text


# --------------------------------------------------------------------------- the data


def _staff() -> tuple[Caller, Place]:
    return Caller("slack", TEAM, STAFF, "Sam", "fr"), Place(
        ChannelRef("slack", TEAM, STAFF_CHANNEL)
    )


async def seed(app: BotApp, size: Size, digest_at: datetime) -> None:
    """Agencies with a Slack and a Discord channel each, digests due at `digest_at`, one per
    Discord channel."""
    now = app.clock.now()
    for i in range(size.agencies):
        agency, _ = await app.services.agencies.add(f"Agence {i:03d}", f"Région {i % 13}", now)
        for ref in (
            ChannelRef("slack", TEAM, slack_channel(i)),
            ChannelRef("discord", str(GUILD), str(discord_channel(i))),
        ):
            await app.services.agencies.attach_channel(agency.id, ref, (), now)
    schedule = schedule_text(f"daily {digest_at.astimezone(TZ):%H:%M}", "en", now, TZ)
    digests = app.services.get(DigestRepo)
    for i in range(size.digests):
        channel = ChannelRef("discord", str(GUILD), str(digest_channel(i)))
        fields = DigestFields(channel, schedule, "fr", ("events",), 14, "all", skip_empty=False)
        # Created an hour ago: a run due in the current minute counts as missed, and is caught
        # up by whichever process looks first.
        await digests.create(fields, None, now - timedelta(hours=1))


async def seed_reminders(app: BotApp, size: Size) -> float:
    """Events starting in an hour and a few seconds, one member each coming: their reminders
    (an hour before) fall due a few seconds into the chaos. Returns when (epoch seconds)."""
    now = datetime.now(UTC)
    due = now + timedelta(seconds=REMINDERS_DUE_IN)
    events = app.services.get(EventRepo)
    for i in range(size.events):
        fields = EventFields(
            title=f"Atelier {i}", starts_at=due + timedelta(hours=1), audience="all"
        )
        (event,) = await events.create([fields], None, now)
        caller = Caller("slack", TEAM, user(i), f"Membre {i}", "fr")
        place = Place(ChannelRef("slack", TEAM, slack_channel(i % size.agencies)))
        reply = await app.dispatcher.handle_text(caller, place, f"/event rsvp {event.id} going")
        assert reply is not None and not reply.is_error, reply
    return due.timestamp()


async def confirm_broadcast(app: BotApp) -> None:
    caller, place = _staff()
    preview = await app.dispatcher.handle_text(
        caller, place, f"/announce send all title:{MARK} {MARK} : candidatez !"
    )
    assert preview is not None and not preview.is_error, preview
    confirm = next(b for b in preview.message.buttons if b.action == "announce.confirm")
    done = await app.dispatcher.handle_action(caller, place, confirm.action, confirm.value)
    assert done is not None and not done.is_error, done


# --------------------------------------------------------------------------- counting


@dataclass
class Tally:
    lost: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    last_message_at: float = 0.0
    rejected: dict[str, int] = field(default_factory=dict)
    sent_at: dict[str, list[float]] = field(default_factory=dict)  # per platform

    @property
    def complete(self) -> bool:
        return sum(self.lost.values()) == 0


async def tally(control: str, size: Size) -> Tally:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{control}/counts", params={"mark": MARK}) as resp:
            counts = await resp.json()
    expected = {
        "announce (Slack)": [
            counts["slack_marked"].get(slack_channel(i), 0) for i in range(size.agencies)
        ],
        "announce (Discord)": [
            counts["discord_marked"].get(str(discord_channel(i)), 0) for i in range(size.agencies)
        ],
        "digests (Discord)": [
            counts["discord"].get(str(digest_channel(i)), 0) for i in range(size.digests)
        ],
        "reminders (Slack DM)": [counts["dm"].get(user(i), 0) for i in range(size.events)],
    }
    out = Tally(
        last_message_at=counts["last_message_at"],
        rejected=counts["rejected"],
        sent_at=counts["sent_at"],
    )
    for kind, seen in expected.items():
        out.lost[kind] = sum(1 for n in seen if n == 0)
        out.duplicates[kind] = sum(max(0, n - 1) for n in seen)
    return out


def least_time(size: Size, started: float, reminders_at: float, digest_at: float | None) -> float:
    """Seconds the platforms' limits need for the chaos phase's messages, at best: each
    platform's messages sent as soon as they are due (the broadcast's copies, its progress
    message at the start, the reminders and the digests when they fall due) and as fast as its
    rate allows."""
    slack = [started] * (size.agencies + 1) + [max(started, reminders_at)] * size.events
    discord = [started] * size.agencies
    if digest_at is not None and digest_at >= started:  # else sent before the chaos began
        discord += [digest_at] * size.digests
    return (
        max(
            _finish(slack, SLACK_LIMITS.workspace_rate, SLACK_LIMITS.workspace_burst),
            _finish(discord, DISCORD_LIMITS.global_rate, int(DISCORD_LIMITS.global_rate)),
        )
        - started
    )


def _finish(due: list[float], rate: float, burst: int) -> float:
    """When the last of messages `due` goes out through a bucket of `rate`/s and `burst`."""
    last, first = 0.0, min(due)
    for k, at in enumerate(sorted(due)):
        last = max(at, first + max(0, k - burst + 1) / rate)
    return last


# --------------------------------------------------------------------------- phases


def _commands(n: int, size: Size) -> list[list[str]]:
    return [["/ping", "", user(i % size.users)] for i in range(n)]


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load_with_cpu(spec: dict[str, Any], bots: list[BotProcess]) -> dict[str, Any]:
    """One load, and the CPU time it cost: the bots' (all three: idle ones tick too) and the
    load generator's (a child process of this one, waited for)."""
    pids = [b.proc.pid for b in bots if b.proc is not None]
    bots_before = sum(_cpu_seconds(pid) for pid in pids)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = await run_load(spec)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu_bots"] = sum(_cpu_seconds(pid) for pid in pids) - bots_before
    result["cpu_load"] = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return result


async def throughput(bots: list[BotProcess], size: Size) -> dict[str, Any]:
    base = {"kind": "commands", "secret": DEFAULT_SIGNING_SECRET, "team": TEAM}
    base |= {"concurrency": CONCURRENCY}
    await run_load(
        {**base, "urls": [f"{b.url}/slack/events" for b in bots], "commands": _commands(60, size)}
    )
    one = await _load_with_cpu(
        {
            **base,
            "urls": [f"{bots[0].url}/slack/events"],
            "commands": _commands(size.commands, size),
        },
        bots,
    )
    three = await _load_with_cpu(
        {
            **base,
            "urls": [f"{b.url}/slack/events" for b in bots],
            "commands": _commands(size.commands, size),
        },
        bots,
    )
    return {"one": one, "three": three}


async def chaos(
    app: BotApp, bots: list[BotProcess], fakes: dict[str, str], size: Size
) -> tuple[Tally, float, float, dict[str, Any]]:
    reminders_at = await seed_reminders(app, size)
    base = {"kind": "commands", "secret": DEFAULT_SIGNING_SECRET, "team": TEAM}
    load = await start_load(
        {
            **base,
            "concurrency": CONCURRENCY,
            "urls": [f"{b.url}/slack/events" for b in bots],
            "commands": _commands(size.commands, size),
        }
    )
    started = time.time()
    await confirm_broadcast(app)
    stop = asyncio.Event()
    killer = asyncio.create_task(_kill_at_random(bots, size, stop))
    deadline = started + size.timeout
    found = await tally(fakes["control"], size)
    while not found.complete and time.time() < deadline:
        await asyncio.sleep(0.5)
        found = await tally(fakes["control"], size)
    stop.set()
    await killer
    for bot in bots:
        if not bot.alive:
            await bot.start()
    commands = await load.result()
    # What a takeover could still send twice: the leases of the last killed process lapse.
    await asyncio.sleep(LEASE_SECONDS + 5)
    final = await tally(fakes["control"], size)
    return final, started, reminders_at, commands


async def _kill_at_random(bots: list[BotProcess], size: Size, stop: asyncio.Event) -> None:
    rng = random.Random(15)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.uniform(*size.kill_every))
        if stop.is_set():
            return
        victim = rng.choice([b for b in bots if b.alive])
        await victim.kill()
        await asyncio.sleep(0.5)
        await victim.start()


# --------------------------------------------------------------------------- the report


def _timeline(times: list[float], started: float, step: float = 5.0) -> str:
    """Messages that arrived in each `step` seconds from the chaos's start: a gap shows a
    stall (leases waiting to lapse after a kill), a steady count the platform's limit."""
    counts: dict[int, int] = {}
    for at in times:
        if at >= started:
            counts[int((at - started) // step)] = counts.get(int((at - started) // step), 0) + 1
    return " ".join(str(counts.get(i, 0)) for i in range(max(counts, default=-1) + 1))


def _p50_p99(latencies: list[float]) -> str:
    return f"{percentile(latencies, 50) * 1000:.1f} / {percentile(latencies, 99) * 1000:.1f} ms"


def _per_process(result: dict[str, Any], count: int) -> list[tuple[str, float, float]]:
    rows = []
    for index in range(count):
        latencies = [
            lat for lat, s in zip(result["latencies"], result["served"], strict=True) if s == index
        ]
        if latencies:
            rows.append(
                (f"process {index}", len(latencies) / result["seconds"], percentile(latencies, 99))
            )
    return rows


def print_report(
    size: Size,
    tput: dict[str, Any],
    found: Tally,
    times: tuple[float, float, float | None],  # the chaos's start, reminders due, digests due
    commands: dict[str, Any],
    kills: int,
) -> float:
    started = times[0]
    one, three = tput["one"], tput["three"]
    rate1 = len(one["latencies"]) / one["seconds"]
    rate3 = len(three["latencies"]) / three["seconds"]
    p99_3 = percentile(three["latencies"], 99) * 1000
    least = least_time(size, *times)
    elapsed = found.last_message_at - started
    ratio = elapsed / least if least else 0.0
    rows: list[tuple[str, str, str, bool]] = [
        ("slash commands, 1 process", f"{rate1:,.0f}/s", "", True),
        (
            "  p50 / p99",
            _p50_p99(one["latencies"]),
            "",
            True,
        ),
        ("slash commands, 3 processes", f"{rate3:,.0f}/s", "", True),
        (
            "  p50 / p99",
            f"{percentile(three['latencies'], 50) * 1000:.1f} / {p99_3:.1f} ms",
            "p99 < 100 ms",
            p99_3 < 100,
        ),
        ("  3 processes / 1", f"{rate3 / rate1:.2f}×", "≥ 1.3×", rate3 / rate1 >= 1.3),
    ]
    for label, run in (("1 process", one), ("3 processes", three)):
        busy = (run["cpu_bots"] + run["cpu_load"]) / run["seconds"]
        rows.append(
            (
                f"  CPU, {label}: bots / load generator",
                f"{run['cpu_bots']:.1f} s / {run['cpu_load']:.1f} s ({busy:.1f} cores)",
                "",
                True,
            )
        )
    for name, rate, p99 in _per_process(three, PROCESSES):
        rows.append((f"  {name}", f"{rate:,.0f}/s, p99 {p99 * 1000:.0f} ms", "", True))
    rows.append(("chaos: processes killed (SIGKILL)", f"{kills}", "", True))
    for kind in found.lost:
        lost, dup = found.lost[kind], found.duplicates[kind]
        rows.append(
            (f"chaos: {kind} lost / duplicates", f"{lost} / {dup}", "0 / 0", lost == dup == 0)
        )
    rows += [
        ("chaos: last message after", f"{elapsed:.1f} s", "", True),
        ("chaos: least time the limits allow", f"{least:.1f} s", "", True),
        ("chaos: ratio", f"{ratio:.2f}", "≤ 1.3", ratio <= 1.3),
        (
            "chaos: 429s (Slack, Discord)",
            f"{found.rejected['slack']}, {found.rejected['discord']}",
            "",
            True,
        ),
    ]
    for platform, times in found.sent_at.items():
        rows.append((f"chaos: {platform} messages per 5 s", _timeline(times, started), "", True))
    answered = len(commands["latencies"])
    rows.append(
        ("chaos: commands answered", f"{answered}/{size.commands}", "", answered == size.commands)
    )
    rows.append(("chaos: commands passed to another process", f"{commands['failovers']}", "", True))
    for name, rate, p99 in _per_process(commands, PROCESSES):
        rows.append((f"chaos: {name}", f"{rate:,.0f}/s, p99 {p99 * 1000:.0f} ms", "", True))
    if commands["latencies"]:
        rows.append(
            (
                "chaos: commands p99 (all)",
                f"{percentile(commands['latencies'], 99) * 1000:.0f} ms",
                "",
                True,
            )
        )
    report(rows)
    return ratio


async def main(db_url: str, quick: bool, keep: Path | None) -> None:
    size = QUICK if quick else FULL
    shards = _shardable()
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        async with fakes_process(size) as fakes, postgres_database(db_url) as url:
            ports = [_free_port() for _ in range(PROCESSES)]
            raws = [raw_config(url, fakes, port) for port in ports]
            config = parse_config({**raws[0], "http": {"enabled": False}}, ENV)
            now = datetime.now(UTC)
            digests_in_chaos = not quick
            # Digests due in one minute: the next one in a full run (the chaos is on by then),
            # the current one in a quick run (caught up as the processes start).
            minute = now.replace(second=0, microsecond=0)
            digest_at = minute + timedelta(minutes=1) if digests_in_chaos else minute
            if digests_in_chaos and (digest_at - now).total_seconds() < 30:
                digest_at += timedelta(minutes=1)
            async with make_app(config, start_scheduler=False) as app:
                await seed(app, size, digest_at)
                bots = [BotProcess(i, folder, raws[i], shards) for i in range(PROCESSES)]
                try:
                    for bot in bots:
                        await bot.start()
                    for bot in bots:
                        await bot.ready()
                    tput = await throughput(bots, size)
                    found, started, reminders_at, commands = await chaos(app, bots, fakes, size)
                finally:
                    for bot in bots:
                        await bot.stop()
            kills = sum(b.kills for b in bots)
            due = digest_at.timestamp() if digests_in_chaos else None
            times = (started, reminders_at, due)
            ratio = print_report(size, tput, found, times, commands, kills)
    lost, dup = sum(found.lost.values()), sum(found.duplicates.values())
    print(f"cluster: lost={lost} duplicates={dup} ratio={ratio:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default=os.environ.get("FEDBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--quick", action="store_true", help="a small version, under a minute")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="write the bots' configs and logs there, and keep them",
    )
    args = parser.parse_args()
    if not args.db:
        parser.error("PostgreSQL: give --db or set FEDBOT_TEST_POSTGRES_URL")
    asyncio.run(main(args.db, args.quick, args.keep))
