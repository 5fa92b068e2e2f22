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


class SendError(Exception):
    """An adapter could not deliver a message. `permanent` failures must not be retried."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
