"""What the bot counts, for `/metrics` (Prometheus text format, `prometheus-client`).

One `Metrics` per app, each with its own registry (not the library's global one): tests that
run several apps in one process do not add up each other's figures. The places that count are
few on purpose: the dispatcher (every command, once, whatever the platform), the outbound
port (every send, and every copy found on the platform instead of sent again), the adapters'
retry paths (429 answers), the scheduler (how late jobs start), the leases (work taken over
from a process that died: bot/leases.py) and the features' outboxes (depth, read at each
scrape).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger(__name__)

# What `generate_latest` writes; every Prometheus version reads it.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

OUTCOMES = ("ok", "user_error", "internal_error", "refused", "throttled")
UNRESOLVED = "unknown"  # the command label before (or without) a command resolved

# Seconds. Commands: most answer in milliseconds, slow ones (a digest preview) in seconds.
COMMAND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
# Scheduler lag: a job on time starts within milliseconds; minutes late is a stalled loop or
# a process that was stopped.
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)

# Rows a feature's outbox still has to deliver, by platform (read at each scrape).
DepthReader = Callable[[], Awaitable[Mapping[str, int]]]


def job_kind(job_id: str) -> str:
    """A scheduler job id without its numbers (`digest.12` -> `digest`), so that the label
    has a handful of values, not one per digest."""
    return re.sub(r"[.:]\d+", "", job_id) or job_id


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.commands = Counter(
            "fedbot_commands",
            "Commands handled, by command and outcome "
            "(ok, user_error, internal_error, refused, throttled)",
            ["command", "outcome"],
            registry=registry,
        )
        self.command_seconds = Histogram(
            "fedbot_command_duration_seconds",
            "Time from an invocation reaching the core to its reply, by command",
            ["command"],
            buckets=COMMAND_BUCKETS,
            registry=registry,
        )
        self.sends = Counter(
            "fedbot_sends",
            "Messages posted or sent by direct message through the outbound port, by platform "
            "and result (ok, failed, adopted: found on the platform after a crash, not sent "
            "again)",
            ["platform", "result"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "fedbot_rate_limited",
            "429 answers received from a platform's API",
            ["platform"],
            registry=registry,
        )
        self.scheduler_lag = Histogram(
            "fedbot_scheduler_lag_seconds",
            "How late scheduled jobs start after their due time, by kind of job",
            ["job"],
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.scheduler_missed = Counter(
            "fedbot_scheduler_missed",
            "Scheduled runs dropped because they started later than their grace time",
            ["job"],
            registry=registry,
        )
        self.outbox_depth = Gauge(
            "fedbot_outbox_depth",
            "Deliveries not settled yet (queued or in flight), by outbox and platform",
            ["outbox", "platform"],
            registry=registry,
        )
        self.lease_takeovers = Counter(
            "fedbot_lease_takeovers",
            "Work whose owner stopped renewing its lease, taken over by this process, by kind",
            ["kind"],
            registry=registry,
        )
        self._depths: dict[str, DepthReader] = {}

    # -- counting

    def command_done(self, command: str, outcome: str, seconds: float) -> None:
        self.commands.labels(command, outcome).inc()
        self.command_seconds.labels(command).observe(seconds)

    def sent(self, platform: str, ok: bool, adopted: bool = False) -> None:
        result = "adopted" if adopted else "ok" if ok else "failed"
        self.sends.labels(platform, result).inc()

    def took_over(self, kind: str, count: int = 1) -> None:
        if count:
            self.lease_takeovers.labels(kind).inc(count)

    def throttled_by_platform(self, platform: str) -> None:
        self.rate_limited.labels(platform).inc()

    def job_started(self, job_id: str, late_by: float) -> None:
        self.scheduler_lag.labels(job_kind(job_id)).observe(max(0.0, late_by))

    def job_missed(self, job_id: str) -> None:
        self.scheduler_missed.labels(job_kind(job_id)).inc()

    def watch_outbox(self, name: str, read: DepthReader) -> None:
        """A feature's outbox, whose depth is read at each scrape."""
        self._depths[name] = read

    # -- exposing

    async def render(self) -> bytes:
        """The text exposition, with each outbox's depth read now."""
        for name, read in self._depths.items():
            try:
                depths = await read()
            except Exception:  # a scrape must not fail because one reading did
                log.exception("could not read the depth of outbox %s", name)
                continue
            for platform in {*depths, *self._platforms_seen(name)}:
                self.outbox_depth.labels(name, platform).set(depths.get(platform, 0))
        return generate_latest(self.registry)

    def _platforms_seen(self, outbox: str) -> set[str]:
        """Platforms with a depth shown before: they drop back to 0 rather than vanish."""
        return {
            sample.labels["platform"]
            for metric in self.outbox_depth.collect()
            for sample in metric.samples
            if sample.labels.get("outbox") == outbox
        }
