"""Two tiers of errors: `UserError` is shown to the user, localised; anything else is a bug.

A `UserError` carries a message key and its arguments rather than text, so the dispatcher can
render it in the caller's language.
"""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A mistake the user can fix (bad option, missing role, unknown id)."""

    def __init__(self, key: str, /, **kwargs: Any) -> None:
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs


class ConfigError(Exception):
    """Invalid configuration: the message names the offending key."""


class DatabaseUnavailable(Exception):
    """The database cannot be used at all: a URL no driver reads (`problem` "bad_url"), or a
    server or file that cannot be opened ("unreachable"). `detail` is the driver's own first
    line; the URL is never part of it, so no password reaches a terminal or a log."""

    def __init__(self, problem: str, detail: str) -> None:
        super().__init__(f"{problem}: {detail}")
        self.problem = problem
        self.detail = detail


class SendError(Exception):
    """An adapter could not deliver a message. `permanent` failures must not be retried."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
