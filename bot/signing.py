"""Short signatures for values the bot hands out and takes back.

A button carries its command's options in the clear, and anyone can type the hidden command a
button stands for with other values. Where a value must be one the bot offered (the member a
caller was suggested), the feature adds a tag over it: `Signer.tag("intro", me, partner)`
when it builds the button, `Signer.check(...)` when the click comes back. The key is the
database's own (`bot.storage.keys`), so every process agrees and a restart keeps old buttons
valid.
"""

from __future__ import annotations

import hashlib
import hmac

TAG_CHARS = 20  # 80 bits: Discord's custom_id (100 characters) holds the rest of the button


class Signer:
    def __init__(self) -> None:
        self._key: bytes | None = None

    def load(self, key: bytes) -> None:
        self._key = key

    def tag(self, *parts: object) -> str:
        if self._key is None:
            raise RuntimeError("the signing key is loaded at start")
        message = "\x1f".join(str(p) for p in parts).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:TAG_CHARS]

    def check(self, tag: str | None, *parts: object) -> bool:
        return bool(tag) and hmac.compare_digest(self.tag(*parts), tag or "")
