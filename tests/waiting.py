"""Waiting in tests for something to happen, rather than sleeping a fixed time that a busy
machine (CI on 2 cores, the whole suite at once) may not honour."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def until(probe: Callable[[], Awaitable[bool]], what: str, timeout: float = 5.0) -> None:
    """Return once `probe()` is true; fail naming `what` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await probe():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
