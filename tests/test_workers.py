"""Heavy work in a worker process (bot.workers): another process, replaced if it dies, and a
thread where no process can be started."""

from __future__ import annotations

import os
import signal

import pytest

from bot import workers


def pid() -> int:
    return os.getpid()


def die() -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


async def test_work_runs_in_another_process_and_a_dead_worker_is_replaced() -> None:
    first = await workers.offload(pid)
    with pytest.raises(workers.BrokenProcessPool):
        await workers.offload(die)  # killed, then killed again in a new worker: it fails
    second = await workers.offload(pid)

    assert first != os.getpid() and second != os.getpid()
    assert second != first  # a new worker


async def test_without_processes_a_thread_does_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise OSError("no /dev/shm")

    monkeypatch.setattr(workers, "_pool", None)
    monkeypatch.setattr(workers, "_no_processes", False)
    monkeypatch.setattr(workers, "ProcessPoolExecutor", refused)
    assert await workers.offload(pid) == os.getpid()
