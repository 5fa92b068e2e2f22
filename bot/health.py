"""`/healthz`, `/readyz` and `/metrics`: served by the bot's web server whenever it runs
(`[http] enabled`, Slack HTTP mode or OAuth), whatever the adapters, the console included.

- `/healthz`: the process is alive and its event loop answers (200, always).
- `/readyz`: it can do its work: the database answers within `timeout`, its migrations are at
  the heads this code knows, and every adapter started is connected (200, or 503 naming what
  is not ready).
- `/metrics`: `bot.metrics` in Prometheus text format.

Adapters report their state through `watch(name, check)`, an async predicate: the core does
not know what "connected" means on a platform.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping

from bot.metrics import CONTENT_TYPE, Metrics
from bot.storage.database import Database
from bot.web import WebResponse, WebRoute

log = logging.getLogger(__name__)

ReadyCheck = Callable[[], Awaitable[bool]]
OK = "ok"
JSON = "application/json"


class Health:
    def __init__(self, db: Database, metrics: Metrics, timeout: float = 2.0) -> None:
        self.db = db
        self.metrics = metrics
        self.timeout = timeout
        self._adapters: dict[str, ReadyCheck] = {}

    def watch(self, name: str, check: ReadyCheck) -> None:
        """An adapter about to start: not ready until `check()` says it is connected."""
        self._adapters[name] = check

    def forget(self, name: str) -> None:
        self._adapters.pop(name, None)

    async def checks(self) -> dict[str, str]:
        """Each check's state: "ok", or what is wrong."""
        results = {"database": await self._database()}
        if results["database"] == OK:
            results["migrations"] = await self._migrations()
        else:
            results["migrations"] = "unknown: database unreachable"
        for name, check in sorted(self._adapters.items()):
            results[name] = await self._adapter(check)
        return results

    async def _database(self) -> str:
        try:
            await asyncio.wait_for(self.db.ping(), self.timeout)
        except TimeoutError:
            return f"no answer within {self.timeout:g} s"
        except Exception as exc:  # any driver error means "not reachable"
            return f"unreachable: {type(exc).__name__}"
        return OK

    async def _migrations(self) -> str:
        try:
            current = await asyncio.wait_for(self.db.revision(), self.timeout)
        except Exception as exc:  # reported, not raised
            return f"unknown: {type(exc).__name__}"
        expected = self.db.script_heads()
        if sorted(current) == expected:
            return OK
        return f"not at head: {', '.join(current) or 'none'} (expected {', '.join(expected)})"

    async def _adapter(self, check: ReadyCheck) -> str:
        try:
            connected = await asyncio.wait_for(check(), self.timeout)
        except Exception as exc:  # reported, not raised
            return f"unknown: {type(exc).__name__}"
        return OK if connected else "not connected"

    # -- routes

    def routes(self) -> list[WebRoute]:
        return [
            WebRoute("/healthz", self._healthz),
            WebRoute("/readyz", self._readyz),
            WebRoute("/metrics", self._metrics),
        ]

    async def _healthz(self, _: Mapping[str, str]) -> WebResponse:
        return WebResponse(b'{"status": "ok"}', JSON)

    async def _readyz(self, _: Mapping[str, str]) -> WebResponse:
        checks = await self.checks()
        failing = sorted(name for name, state in checks.items() if state != OK)
        body = {"status": "ready" if not failing else "not ready", "checks": checks}
        if failing:
            body["failing"] = failing
            log.debug("not ready: %s", ", ".join(f"{n} ({checks[n]})" for n in failing))
        return WebResponse(json.dumps(body).encode(), JSON, status=503 if failing else 200)

    async def _metrics(self, _: Mapping[str, str]) -> WebResponse:
        return WebResponse(await self.metrics.render(), CONTENT_TYPE.rsplit(";", 1)[0])
