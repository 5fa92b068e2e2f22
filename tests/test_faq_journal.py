"""A crash loses no `faq ask`: asks not yet in the database are journaled, and written by the
next start (commands/faq/store/askjournal.py).

The crash is real: a bot process answers asks, writes one batch, answers more, and is
SIGKILLed before its writer runs again. The bot started again on the same database shows every
ask once, in `faq stats` and `faq unanswered`.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

import pytest

from bot.app import BotApp
from bot.clock import FixedClock
from bot.spec import Role
from commands.faq.store.askjournal import AskJournal, journal_dir
from commands.faq.store.asklog import AskRecord
from commands.faq.store.entries import FaqRepo
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.faq_support import type_in

ROOT = Path(__file__).resolve().parent.parent
BEFORE = ["combien coûte la cotisation ?", "recette de la pâte à crêpes"]  # written, then...
AFTER = ["quel temps fera-t-il demain à Lyon ?", "comment adhérer à la fédération ?"]  # ...not

CHILD = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from pathlib import Path

    import commands.faq.store.asklog as asklog
    from bot.clock import FixedClock
    from commands.faq.store.entries import FaqRepo
    from fedbot.assembly import make_app
    from tests.conftest import T0, make_config
    from tests.faq_support import load_eval_faq, type_in

    asklog.INTERVAL = 3600  # the writer never runs again before the kill: only the journal


    async def main(tmp: Path, before: list[str], after: list[str]) -> None:
        config = make_config(tmp, {"faq": {"encoder": "none"}})
        async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
            await load_eval_faq(app)
            for n, question in enumerate(before):
                await type_in(app, f"/faq ask {question}", user=f"b{n}")
            assert await app.services.get(FaqRepo).activity.asks.flush() == len(before)
            for n, question in enumerate(after):
                await type_in(app, f"/faq ask {question}", user=f"a{n}")
            print("answered", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)


    asyncio.run(main(Path(sys.argv[1]), sys.argv[2].split("|"), sys.argv[3].split("|")))
    """
)


def _crash(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", CHILD, str(tmp_path), "|".join(BEFORE), "|".join(AFTER)]
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _field(reply, prefix: str) -> str:
    return next(f.value for f in reply.message.fields if f.name.startswith(prefix))


async def test_asks_answered_before_a_kill_are_all_recorded_once_after_a_restart(
    tmp_path: Path,
) -> None:
    done = _crash(tmp_path)
    assert done.returncode == -9 and "answered" in done.stdout, done.stderr
    journal = tmp_path / "fedbot.db-asks"
    assert [p.suffix for p in journal.iterdir()].count(".jsonl") >= 1  # the unwritten asks

    config = make_config(tmp_path, {"faq": {"encoder": "none"}})
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        stats = await type_in(app, "/faq stats", role=Role.FAQ_EDITOR)
        assert _field(stats, "Questions posées") == str(len(BEFORE) + len(AFTER))  # once each
        listed = (await type_in(app, "/faq unanswered", role=Role.FAQ_EDITOR)).message
        text = listed.plain_text()
        assert "recette de la pâte à crêpes" in text  # written before the kill
        assert "quel temps fera-t-il demain à Lyon ?" in text  # only in the journal
        dead = [p for p in journal.iterdir() if not p.name.startswith(f"{os.getpid()}-")]
        assert dead == []  # the dead process's files are gone once written
    assert list(journal.iterdir()) == []  # and this one's, once it stopped cleanly


def _record(token: str, text: str) -> AskRecord:
    return AskRecord(token, T0, "unknown", None, text, text, "fr", None, None, True)


async def test_a_journal_replayed_after_its_batch_was_written_counts_each_ask_once(
    app: BotApp,
) -> None:
    asks = app.services.get(FaqRepo).activity.asks
    directory = journal_dir(app.db.engine.url)
    assert directory is not None
    dead = AskJournal(directory)  # a process that wrote its batch and died before dropping it
    for n in range(3):
        record = _record(f"tok{n}", "où se garer ?")
        dead.append(asdict(record))
        asks.note(record)
    assert await asks.flush() == 3
    os.close(dead._fd)
    os.close(dead._lock)  # dies: the kernel releases its lock
    assert await asks._recover() == 0  # every token is in the database already
    assert not list(directory.glob(f"{dead.owner}*"))


async def test_a_live_process_journal_is_never_taken(tmp_path: Path) -> None:
    alive = AskJournal(tmp_path)
    alive.append(asdict(_record("t1", "question")))
    starting = AskJournal(tmp_path)
    assert list(starting.orphans()) == []  # its lock is held: alive
    with pytest.raises(BlockingIOError):
        fd = os.open(tmp_path / f"{alive.owner}.lock", os.O_WRONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    alive.close()  # a clean stop with an ask unwritten keeps it for the next start
    found = list(starting.orphans())
    assert [[f["token"] for f in fields] for fields, _ in found] == [["t1"]]
    starting.close()


async def test_without_a_writable_journal_the_bot_still_answers_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "fedbot.db-asks").write_text("not a folder")  # the journal cannot be made
    config = make_config(tmp_path, {"faq": {"encoder": "none"}})
    async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as app:
        reply = await type_in(app, "/faq ask recette de la pâte à crêpes")
        assert reply.message.text.startswith("Je ne connais pas encore la réponse")
        stats = await type_in(app, "/faq stats", role=Role.FAQ_EDITOR)
        assert _field(stats, "Questions posées") == "1"  # recorded all the same
    assert "no ask journal" in caplog.text and "a crash may lose recent asks" in caplog.text
