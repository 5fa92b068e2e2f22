"""Secrets the bot must store (Slack OAuth tokens), encrypted at rest.

The key comes from the environment, never from a file: `FEDBOT_SECRET_KEY`, one Fernet key
(`fedbot secrets generate` prints one) or several separated by commas for a rotation — the
first encrypts, every one decrypts. `fedbot secrets rotate` then re-encrypts every stored secret
with the first key, after which the old ones can be dropped. A copy of the database alone holds
no usable token.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SEALED = "fernet:"


class SecretKeyError(Exception):
    """No key, or a key that does not open what is stored: the message says what to do."""


class SecretBox:
    def __init__(self, keys: str | None) -> None:
        parts = [k.strip() for k in (keys or "").split(",") if k.strip()]
        try:
            self._fernet = MultiFernet([Fernet(k) for k in parts]) if parts else None
        except ValueError:
            raise SecretKeyError(
                "FEDBOT_SECRET_KEY: not a Fernet key (32 url-safe base64 bytes); "
                "`fedbot secrets generate` prints one"
            ) from None

    @property
    def enabled(self) -> bool:
        return self._fernet is not None

    @staticmethod
    def generate() -> str:
        return Fernet.generate_key().decode()

    @staticmethod
    def is_sealed(stored: str) -> bool:
        return stored.startswith(SEALED)

    def seal(self, secret: str) -> str:
        if self._fernet is None:
            raise SecretKeyError("FEDBOT_SECRET_KEY is not set: secrets cannot be stored")
        return SEALED + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret; a value stored before encryption existed is returned as it is."""
        if not self.is_sealed(stored):
            return stored
        if self._fernet is None:
            raise SecretKeyError("FEDBOT_SECRET_KEY is not set: the stored tokens are encrypted")
        try:
            return self._fernet.decrypt(stored[len(SEALED) :].encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                "FEDBOT_SECRET_KEY does not open the stored tokens: give the old key after the "
                "new one (FEDBOT_SECRET_KEY=new,old) and run `fedbot secrets rotate`"
            ) from None

    def reseal(self, stored: str) -> str:
        """The same secret encrypted with the first key (a plain value gets encrypted)."""
        return self.seal(self.open(stored))
