"""Web API calls under the adapter's own retry policy.

Why our own: slack_sdk's default async client retries neither 429 nor 5xx, and its
`AsyncRateLimitErrorRetryHandler` reads only the first character of `Retry-After` (`"30"`
waits 3 s, and Slack then answers 429 again). Here a 429 waits the whole Retry-After, a 5xx or
a network error backs off exponentially, and what cannot succeed (`channel_not_found`,
`not_in_channel`, a missing scope, a revoked token…) fails at once as a permanent `SendError`.
A Retry-After longer than `max_wait` is not slept through: the caller gets a transient
`SendError` carrying `retry_after`, and its scheduler decides.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SendError
from bot.metrics import Metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[Any]]

# Slack-level errors (HTTP 200, ok: false) worth another try; every other one is permanent.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 3
    max_wait: float = 120.0
    backoff: float = 1.0  # first wait after a 5xx or a network error; doubles each time

    def backoff_for(self, attempt: int) -> float:
        return self.backoff * (2**attempt)


@dataclass(frozen=True, slots=True)
class Failure:
    reason: str
    permanent: bool
    retry_after: float | None = None


def parse_retry_after(value: str | None, default: float = 1.0) -> float:
    """Seconds from a Retry-After header: all its digits (`"30"` is 30 s), or an HTTP date."""
    if not value:
        return default
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return default


def classify(exc: BaseException) -> Failure:
    """What a failed call means for the next attempt."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = response.status_code
        error = response.get("error") if isinstance(response.data, dict) else None
        if status == 429 or error == "ratelimited":
            retry_after = parse_retry_after((response.headers or {}).get("Retry-After"))
            return Failure("ratelimited", False, retry_after)
        if status >= 500:
            return Failure(f"HTTP {status}", False)
        reason = str(error or f"HTTP {status}")
        return Failure(reason, reason not in TRANSIENT_ERRORS)
    if isinstance(exc, SlackRequestError):  # refused before sending (or a failed file upload)
        return Failure(str(exc)[:200], True)
    return Failure(type(exc).__name__, False)  # network errors and timeouts


class WebApi:
    """One `AsyncWebClient` per token (clients are cheap; they share nothing but config)."""

    def __init__(
        self,
        base_url: str,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        metrics: Metrics | None = None,
    ) -> None:
        self.base_url = base_url
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.metrics = metrics or Metrics()
        self._clients: dict[str, AsyncWebClient] = {}

    def client(self, token: str) -> AsyncWebClient:
        client = self._clients.get(token)
        if client is None:
            client = self._clients[token] = AsyncWebClient(token=token, base_url=self.base_url)
        return client

    def forget(self, token: str) -> None:
        self._clients.pop(token, None)

    async def call(self, what: str, request: Callable[[], Awaitable[T]]) -> T:
        """Run `request` until it succeeds, fails for good, or the retries are spent."""
        policy = self.policy
        for attempt in range(policy.max_retries + 1):
            try:
                return await request()
            except (SlackApiError, SlackRequestError, aiohttp.ClientError, TimeoutError) as exc:
                failure = classify(exc)
            if failure.reason == "ratelimited":
                self.metrics.throttled_by_platform("slack")
            if failure.permanent:
                raise SendError(f"{what}: {failure.reason}", permanent=True)
            wait = failure.retry_after
            if wait is None:
                wait = policy.backoff_for(attempt)
            if attempt == policy.max_retries or wait > policy.max_wait:
                raise SendError(
                    f"{what}: {failure.reason}", permanent=False, retry_after=failure.retry_after
                )
            log.warning("%s: %s, retrying in %.1f s", what, failure.reason, wait)
            await self.sleep(wait)
        raise AssertionError("unreachable")
