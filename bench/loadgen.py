"""The benches' HTTP load, played from a process of its own so that the bot's event loop only
does the bot's work (`run_load(spec)` starts it; `python bench/loadgen.py SPEC` is the child).

Kinds of load (the spec is JSON):

- `commands`: signed slash commands (exactly as Slack signs and form-encodes them) sent with
  `concurrency` in flight; latency of each, total time. With `urls` (several bot processes
  behind no load balancer), command i goes to url i mod n; a process that does not answer
  (killed) passes the command to the next one, as a load balancer's health check would. Each
  latency comes with the url that answered.
- `acks`: one signed slash command every `every` seconds, each in its own task, until a line
  arrives on stdin; prints `ready` once warmed up. Each ack's latency comes with the moment it
  was sent, so that the acks of a storm's window can be told from the others.
- `feeds`: `workers` clients each GETting `url` `rounds` times in a row (with `If-None-Match`
  when given); each worker is a distinct client behind a trusted proxy (`X-Forwarded-For`).
  Prints `ready` once started, and goes on the next line on stdin.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
import urllib.parse
from typing import Any

import aiohttp
from measure import ROOT

from tests.fakes.slack_server import sign_request, slash_command_payload


class Signed:
    """Signs slash commands for one bot URL over one pooled session."""

    def __init__(self, session: aiohttp.ClientSession, url: str, secret: str) -> None:
        self.session, self.url, self.secret = session, url, secret

    async def command(self, command: str, text: str, user: str, team: str) -> tuple[float, int]:
        body = urllib.parse.urlencode(
            slash_command_payload(command=command, text=text, user_id=user, team_id=team)
        )
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign_request(self.secret, ts, body),
        }
        start = time.perf_counter()
        async with self.session.post(self.url, data=body.encode(), headers=headers) as resp:
            await resp.read()
            return time.perf_counter() - start, resp.status


async def commands(spec: dict[str, Any]) -> dict[str, Any]:
    urls = spec.get("urls") or [spec["url"]]
    connector = aiohttp.TCPConnector(limit=spec["concurrency"])
    async with aiohttp.ClientSession(connector=connector) as session:
        signers = [Signed(session, url, spec["secret"]) for url in urls]
        queue = list(enumerate(spec["commands"]))
        latencies: list[float] = []
        served: list[int] = []  # which url answered each command
        statuses: dict[int, int] = {}
        failovers = 0

        async def one(i: int, command: str, text: str, user: str) -> None:
            nonlocal failovers
            for turn in range(len(signers) * 3):
                target = (i + turn) % len(signers)
                try:
                    latency, status = await signers[target].command(
                        command, text, user, spec["team"]
                    )
                except aiohttp.ClientConnectionError:
                    failovers += 1
                    await asyncio.sleep(0.05 if turn >= len(signers) else 0)
                    continue
                latencies.append(latency)
                served.append(target)
                statuses[status] = statuses.get(status, 0) + 1
                return
            statuses[0] = statuses.get(0, 0) + 1  # nobody answered

        async def worker() -> None:
            while queue:
                i, (command, text, user) = queue.pop()
                await one(i, command, text, user)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(spec["concurrency"])))
        return {
            "latencies": latencies,
            "served": served,
            "seconds": time.perf_counter() - start,
            "statuses": statuses,
            "failovers": failovers,
        }


async def acks(spec: dict[str, Any]) -> dict[str, Any]:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    threading.Thread(
        target=lambda: (sys.stdin.readline(), loop.call_soon_threadsafe(stop.set)), daemon=True
    ).start()
    async with aiohttp.ClientSession() as session:
        signed = Signed(session, spec["url"], spec["secret"])
        args = (spec["command"], spec.get("text", ""), spec["user"], spec["team"])
        for _ in range(10):  # connections open, the bot's caches warm
            await signed.command(*args)
        print("ready", flush=True)
        tasks, sent = [], []
        while not stop.is_set():
            sent.append(time.time())
            tasks.append(asyncio.create_task(signed.command(*args)))
            await asyncio.sleep(spec["every"])
        done = await asyncio.gather(*tasks)
    return {
        "acks": [[at, lat] for at, (lat, _) in zip(sent, done, strict=True)],
        "statuses": sorted({s for _, s in done}),
    }


async def feeds(spec: dict[str, Any]) -> dict[str, Any]:
    headers = {"If-None-Match": spec["etag"]} if spec.get("etag") else {}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sizes: set[int] = set()
    connector = aiohttp.TCPConnector(limit=spec["workers"])
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(i: int) -> None:
            client = {"X-Forwarded-For": f"10.0.{i // 250}.{i % 250 + 1}"}
            for _ in range(spec["rounds"]):
                start = time.perf_counter()
                async with session.get(spec["url"], headers=headers | client) as resp:
                    body = await resp.read()
                latencies.append(time.perf_counter() - start)
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
                sizes.add(len(body))

        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # go
        began, start = time.time(), time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(spec["workers"])))
        seconds = time.perf_counter() - start
    return {
        "latencies": latencies,
        "seconds": seconds,
        "window": [began, began + seconds],
        "statuses": statuses,
        "sizes": sorted(sizes),
    }


KINDS = {"commands": commands, "acks": acks, "feeds": feeds}


class Load:
    """A child process playing one load; `result()` waits for its JSON."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def ready(self) -> None:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        assert line.strip() == b"ready", line

    async def tell(self) -> None:
        """A line on its stdin: `go` for a storm, `stop` for the acks."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"\n")
        await self.proc.stdin.drain()

    async def result(self) -> dict[str, Any]:
        out, _ = await self.proc.communicate()
        if self.proc.returncode != 0:
            raise RuntimeError(f"load generator failed ({self.proc.returncode})")
        return json.loads(out.decode().strip().splitlines()[-1])


async def start_load(spec: dict[str, Any]) -> Load:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "loadgen.py"),
        json.dumps(spec),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    return Load(proc)


async def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    return await (await start_load(spec)).result()


if __name__ == "__main__":
    given = json.loads(sys.argv[1])
    print(json.dumps(asyncio.run(KINDS[given["kind"]](given))), flush=True)
