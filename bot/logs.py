"""Logging setup. Secrets are scrubbed from every record, whatever logged them (our code, bolt,
discord.py, aiohttp), at every level including DEBUG.

Two formats: `text` (one line: time, level, logger, message) and `json` (one JSON object per
line, for a log collector). Records carry the ids of what they belong to: the platform
request (set by the adapters as a request arrives) and the command (set by the dispatcher for
each invocation; the reference a member sees after an internal error is that id).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["text", "json"]

# Token shapes of Slack and Discord, in case one reaches a log before we know its value.
_TOKEN_SHAPES = re.compile(
    r"xox[abposr]-[A-Za-z0-9-]{8,}|xapp-[A-Za-z0-9-]{8,}"
    r"|[MN][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}"
    r"|(?<=://)([^:/@\s]+):([^@\s]+)@"
)

# Context variables: asyncio copies them into every task a request or command starts, so
# whatever runs for it (a listener, a send, a database retry) logs the same ids.
REQUEST_ID: ContextVar[str | None] = ContextVar("fedbot_request_id", default=None)
COMMAND_ID: ContextVar[str | None] = ContextVar("fedbot_command_id", default=None)


@contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Records logged inside carry this platform request id (an adapter sets it)."""
    token = REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


@contextmanager
def command_context(command_id: str) -> Iterator[None]:
    """Records logged inside carry this command id (the dispatcher sets it)."""
    token = COMMAND_ID.set(command_id)
    try:
        yield
    finally:
        COMMAND_ID.reset(token)


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return _TOKEN_SHAPES.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


class ContextFilter(logging.Filter):
    """Copies the request and command ids onto the record (as `request_id`, `command_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.command_id = COMMAND_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, ISO 8601), level, logger, message,
    the request and command ids when there are some, and the traceback as `exception`. The
    message and traceback are those the redacting filter left."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "command_id"):
            value = getattr(record, key, None)
            if value:
                event[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            event["exception"] = record.exc_text
        return json.dumps(event, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, with the ids in brackets when there are some."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        line = super().formatMessage(record)
        ids = [
            f"{key}={value}"
            for key in ("request_id", "command_id")
            if (value := getattr(record, key, None))
        ]
        return f"{line} [{' '.join(ids)}]" if ids else line


def log_handler(
    secrets: Iterable[str], stream: object = None, fmt: LogFormat = "text"
) -> logging.Handler:
    """A handler that redacts, adds the ids and writes in `fmt` (standard error by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter(secrets))
    handler.addFilter(ContextFilter())
    return handler


def setup_logging(
    level: str, secrets: Iterable[str], stream: object = None, fmt: LogFormat = "text"
) -> None:
    handler = log_handler(secrets, stream, fmt)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
