"""Concurrent asks share one encoding batch (commands/faq/batching.py), through the FAQ's store:
the same answers as one at a time, one call to the model for a burst, and a failing model fails
the asks of its batch only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.clock import FixedClock
from commands.faq.encoder import available
from commands.faq.store.entries import FaqRepo
from commands.faq.transfer import import_text
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.faq_support import EVAL_ENTRIES
from tests.test_faq_encoder import CountingEncoder

pytestmark = pytest.mark.skipif(not available("numpy"), reason="vectors need numpy")

QUESTIONS = [
    "combien coûte la cotisation ?",
    "how do we join the federation?",
    "Bonjour à tous ! Je suis nouvelle à l'agence. Où peut-on se garer pour le forum ?",
    "quelle est la date limite pour payer ?",
    "recette de la pâte à crêpes",
]


class Calls(CountingEncoder):
    """Counts the model's calls too, and fails the calls it is told to."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []
        self.fail_next = False

    def encode(self, texts: Sequence[str]):
        self.calls.append(len(texts))
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("model failed")
        return super().encode(texts)


@pytest.fixture
def encoder() -> Calls:
    return Calls()


@pytest.fixture
async def faq(tmp_path: Path, encoder: Calls) -> AsyncIterator[FaqRepo]:
    config = make_config(tmp_path, {"faq": {"encoder": "none"}})
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        repo = FaqRepo(app.db, encoder=encoder)
        await repo.load()
        await import_text(repo, EVAL_ENTRIES.read_text("utf-8"), T0)
        yield repo


async def test_a_burst_of_asks_is_one_batch_with_the_answers_of_one_at_a_time(
    faq: FaqRepo, encoder: Calls
) -> None:
    alone = [faq.index.search(q) for q in QUESTIONS]  # encoded one by one, in this thread
    encoder.calls.clear()
    together = await asyncio.gather(*(faq.search(q) for q in QUESTIONS * 4))
    assert together == alone * 4
    # 20 asks, 5 distinct questions, one of them read two ways (whole and question part)
    assert encoder.calls == [6]


async def test_a_failing_model_fails_its_batch_only(faq: FaqRepo, encoder: Calls) -> None:
    encoder.fail_next = True
    failed = await asyncio.gather(*(faq.search(q) for q in QUESTIONS[:2]), return_exceptions=True)
    assert [str(e) for e in failed] == ["model failed", "model failed"]
    assert (await faq.search(QUESTIONS[0])).hits[0].doc_id == 2
