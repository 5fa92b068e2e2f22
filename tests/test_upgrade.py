"""A database created by main before the restructuring (features' tables and migrations in
bot/storage) upgrades to the new layout (each feature's branch in its own folder) with nothing
lost: same revisions found, every row kept, the new revisions applied on top."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from bot.clock import FixedClock
from bot.storage.database import Database
from commands.events.store.events import EventRepo
from commands.faq.store.entries import FaqRepo
from fedbot.assembly import make_app, migration_dirs
from tests.conftest import T0, make_config

FIXTURE = Path(__file__).parent / "fixtures" / "main-before-second-wave.sql"


def _old_database(path: Path) -> dict[str, int]:
    """Restore the dump; return its row count per table."""
    with sqlite3.connect(path) as conn:
        conn.executescript(FIXTURE.read_text("utf-8"))
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        return {t: conn.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


async def test_a_database_of_the_previous_layout_upgrades_with_nothing_lost(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    before = _old_database(path)
    assert before["events"] == 8 and before["faq_entries"] == 13 and before["profiles"] == 12
    db = Database.open(f"sqlite+aiosqlite:///{path}", migration_dirs())
    await db.migrate()
    async with db.read() as conn:
        after = {
            t: (await conn.execute(text(f'select count(*) from "{t}"'))).scalar_one()
            for t in before
        }
        askers = (await conn.execute(text("select count(*) from faq_unanswered_askers"))).scalar()
        opened = (
            await conn.execute(text("select count(*) from profiles where open_intros"))
        ).scalar()
    heads = await db.revision()
    await db.close()

    del before["alembic_version"], after["alembic_version"]
    assert after == before  # every row of every table is still there
    assert askers == before["faq_unanswered"]  # each question's first asker carried over
    assert opened == 0  # nobody is opened to introductions by an upgrade
    assert heads == _all_heads()  # the revisions of the old layout were found, then upgraded


def _all_heads() -> list[str]:
    from alembic.script import ScriptDirectory

    from bot.storage.database import _alembic_config

    return sorted(ScriptDirectory.from_config(_alembic_config(None, migration_dirs())).get_heads())


async def test_the_upgraded_database_serves_the_bot(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    config = make_config(tmp_path)
    config = config.__class__(**{**config.__dict__, "bot": config.bot.__class__(
        **{**config.bot.__dict__, "database_url": f"sqlite+aiosqlite:///{path}"}
    )})  # fmt: skip
    async with make_app(config, FixedClock(T0), start_scheduler=False) as app:
        events = await app.services.get(EventRepo).get(1)
        entry = await app.services.get(FaqRepo).get(1)
        found = app.services.get(FaqRepo).search("comment adhérer à la fédération ?")
    assert events is not None and entry is not None
    assert found.best is not None and found.best.doc_id == entry.id
