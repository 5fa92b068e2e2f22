"""A file journal of the asks not yet in the database, so that a crash loses none.

`faq ask` replies before its bookkeeping reaches the database (`asklog`). To lose nothing
when the process dies before the next batch is written (SIGKILL, an out-of-memory kill, a
crash), each ask is first appended to a journal file: one `write()` of one JSON line, no
`fsync`. Once `write()` returns the line is the kernel's, so it survives the process (not a
power cut: an `fsync` per ask would cost a disk flush on the reply path, and the bot's
database makes the same trade with SQLite's WAL and `synchronous=NORMAL`).

Files: a folder per database (beside a SQLite file, `<file>-asks/`; for PostgreSQL
`$XDG_DATA_HOME/fedbot/faq-asks-<hash of the database URL>/`). Each process writes its own
segments, `<process>-<n>.jsonl`, and holds an exclusive `flock` on `<process>.lock` while it
lives. A batch written to the database drops the segments it came from. A process that starts
takes the lock of every process that died (the kernel released it), writes their asks to the
database (each ask's token is unique there: an ask written before the crash counts once) and
removes their files. The files hold members' questions: the folder is 0700, the files 0600.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from bot.settings import data_home

log = logging.getLogger(__name__)


def journal_dir(url: URL) -> Path | None:
    """Where the journal of the database at `url` lives; None for an in-memory database (it
    does not outlive the process either)."""
    if url.get_backend_name() == "sqlite":
        path = url.database
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        db = Path(path)
        return db.with_name(f"{db.name}-asks")
    key = url.render_as_string(hide_password=True).encode()
    return data_home() / f"faq-asks-{hashlib.sha256(key).hexdigest()[:12]}"


class AskJournal:
    """This process's journal; see the module doc."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)  # made by hand, or under another umask: private all the same
        self.dir = directory
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        # Locked under a name no one looks at, then renamed: another process never sees this
        # lock free (which would make this live process look dead).
        hidden = directory / f".{self.owner}.new"
        self._lock = _open(hidden)
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        hidden.rename(directory / f"{self.owner}.lock")
        self._number = 0
        self._fd = _open(self._segment(0))

    def _segment(self, number: int) -> Path:
        return self.dir / f"{self.owner}-{number}.jsonl"

    def append(self, fields: dict[str, Any]) -> None:
        """One line, one `write()`: the ask is the kernel's when this returns."""
        line = json.dumps(fields, default=_iso, ensure_ascii=False) + "\n"
        os.write(self._fd, line.encode())

    def rotate(self) -> Path:
        """Close the segment being written (its asks are about to be written to the database)
        and start the next one; the closed segment's path, to `drop` once they are."""
        done = self._segment(self._number)
        self._number += 1
        fd, self._fd = self._fd, _open(self._segment(self._number))
        os.close(fd)
        return done

    @staticmethod
    def drop(segments: list[Path]) -> None:
        for path in segments:
            with suppress(FileNotFoundError):
                path.unlink()

    def close(self) -> None:
        """Leave no file behind once every ask is in the database (else keep the segments:
        the next start writes them)."""
        os.close(self._fd)
        with suppress(FileNotFoundError):  # the folder removed by hand: nothing to keep
            current = self._segment(self._number)
            if current.stat().st_size == 0:
                current.unlink()
            if not any(self.dir.glob(f"{self.owner}-*.jsonl")):
                (self.dir / f"{self.owner}.lock").unlink()
        os.close(self._lock)  # releases the flock

    def orphans(self) -> Iterator[tuple[list[dict[str, Any]], list[Path]]]:
        """The asks of every process that died with asks unwritten, one process at a time,
        with the files to `drop` once they are in the database. The lock of each is held
        until the next is looked at, so that two starting processes never take the same."""
        for lock_path in sorted(self.dir.glob("*.lock")):
            owner = lock_path.stem
            if owner == self.owner:
                continue
            try:
                fd = os.open(lock_path, os.O_WRONLY)
            except FileNotFoundError:  # its owner closed cleanly meanwhile
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # alive
                os.close(fd)
                continue
            try:
                segments = sorted(self.dir.glob(f"{owner}-*.jsonl"))
                yield [r for path in segments for r in _read(path)], [*segments, lock_path]
            finally:
                os.close(fd)


def _open(path: Path) -> int:
    return os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _read(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                fields = json.loads(line)
            except ValueError:  # a line cut short by the crash
                log.warning("FAQ: unreadable line %d of %s skipped", number, path.name)
                continue
            if isinstance(fields, dict):
                yield fields
