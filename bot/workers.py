"""CPU-heavy work off the event loop *and* off the GIL: a worker process.

A thread would free the event loop but not the interpreter: while it writes a calendar of 500
events it holds the GIL, handing it back to the loop only every few milliseconds, and the
garbage collections its allocations trigger stop every thread of the process. A Slack ack,
which crosses the loop a dozen times, would then wait tens of milliseconds more. So heavy,
pure functions (their arguments and result are pickled) run in one worker process, started
with `spawn` on first use and shared by the whole process. If it dies (killed, out of memory),
a new one takes the call over, once. Where processes cannot be started, a thread does the
work instead.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

_pool: ProcessPoolExecutor | None = None
_no_processes = False


def pool() -> ProcessPoolExecutor | None:
    """The shared worker process pool (one worker), None where processes cannot start."""
    global _pool, _no_processes
    if _pool is None and not _no_processes:
        try:
            _pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        except (OSError, NotImplementedError) as exc:  # e.g. no /dev/shm for its semaphores
            log.warning("no worker process (%s): heavy work runs in a thread", exc)
            _no_processes = True
    return _pool


def warm() -> None:
    """Start the worker process now, without waiting for it: the first heavy call (a feed
    asked for right after a restart) then finds it ready."""
    executor = pool()
    if executor is not None:
        executor.submit(int)


async def offload(fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` in the worker process; `fn` must be importable by name (module level).
    A worker dying meanwhile is replaced and the call made again, once."""
    global _pool
    loop = asyncio.get_running_loop()
    for attempt in range(2):
        executor = pool()
        if executor is None:
            return await asyncio.to_thread(fn, *args)
        try:
            return await loop.run_in_executor(executor, fn, *args)
        except BrokenProcessPool:
            if _pool is executor:  # the worker died (killed, out of memory): a new one next
                _pool = None
                executor.shutdown(wait=False, cancel_futures=True)
            if attempt:
                raise
    raise AssertionError("unreachable")
