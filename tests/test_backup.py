"""`fedbot backup`: a consistent copy of the SQLite database while another connection keeps
writing, readable by its owner only; for PostgreSQL, the pg_dump command, password hidden."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from fedbot.cli import main
from fedbot.operations import sqlite_backup


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("FEDBOT_CONFIG", "FEDBOT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _bot_database(path: Path) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    assert main(["migrate", "--db", url]) == 0
    return url


def test_a_copy_taken_while_another_connection_writes_is_consistent(tmp_path: Path) -> None:
    source = tmp_path / "fedbot.db"
    _bot_database(source)
    with sqlite3.connect(source) as conn:
        conn.execute("create table ledger (id integer primary key, a int, b int)")
    stop, written = threading.Event(), []

    def writer() -> None:
        """Each transaction inserts two rows whose `a` and `b` must always add up to 0."""
        conn = sqlite3.connect(source, timeout=30, isolation_level=None)
        n = 0
        while not stop.is_set():
            conn.execute("begin immediate")
            conn.execute("insert into ledger (a, b) values (?, ?)", (n, -n))
            conn.execute("insert into ledger (a, b) values (?, ?)", (-n, n))
            conn.execute("commit")
            n += 1
            written.append(n)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 200:  # the writer is well under way
            stop.wait(0.01)
        copies = [tmp_path / f"copy-{i}.db" for i in range(3)]
        for copy in copies:
            sqlite_backup(source, copy)
    finally:
        stop.set()
        thread.join()
    counts = []
    for copy in copies:
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        assert not Path(f"{copy}-wal").exists()  # one self-contained file
        with sqlite3.connect(copy) as conn:
            rows, total = conn.execute("select count(*), sum(a + b) from ledger").fetchone()
            tables = {r[0] for r in conn.execute("select name from sqlite_master")}
        assert rows % 2 == 0 and total == 0  # whole transactions only
        assert {"agencies", "alembic_version"} <= tables  # the bot's own tables came along
        counts.append(rows)
    assert counts == sorted(counts) and counts[0] >= 400  # later copies, more rows


def test_the_cli_refuses_to_overwrite_and_reports_what_it_copied(tmp_path: Path, capsys) -> None:
    url = _bot_database(tmp_path / "fedbot.db")
    capsys.readouterr()
    assert main(["backup", "saved.db", "--db", url]) == 0
    assert capsys.readouterr().out.startswith(f"{tmp_path / 'fedbot.db'} copied to saved.db (")
    before = (tmp_path / "saved.db").read_bytes()
    assert main(["backup", "saved.db", "--db", url]) == 2
    assert "saved.db exists already" in capsys.readouterr().err
    assert (tmp_path / "saved.db").read_bytes() == before


def test_a_missing_database_is_said_plainly(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere" / "fedbot.db"
    assert main(["backup", "--db", f"sqlite+aiosqlite:///{missing}"]) == 2
    assert capsys.readouterr().err == f"fedbot backup: no database at {missing}\n"
    assert not missing.parent.exists()


def test_postgresql_gets_the_pg_dump_command_and_nothing_is_done(tmp_path: Path, capsys) -> None:
    url = "postgresql+asyncpg://fedbot:hunter2@db.internal:5433/federation"
    assert main(["backup", "nightly.dump", "--db", url]) == 0
    out = capsys.readouterr().out
    assert (
        "PGPASSWORD='***' pg_dump --format=custom --file=nightly.dump --host=db.internal "
        "--port=5433 --username=fedbot federation"
    ) in out
    assert "pg_restore --clean --if-exists --no-owner --dbname=federation nightly.dump" in out
    assert "hunter2" not in out
    assert list(tmp_path.iterdir()) == []
