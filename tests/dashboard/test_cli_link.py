"""`fedbot web link`: a single-use sign-in link printed for the operator, used by the bot that
shares the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fedbot.cli import main
from tests.dashboard.support import client, web_bot


def link(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> tuple[int, str, str]:
    code = main(["web", "link", *args, "--db", db])
    out = capsys.readouterr()
    return code, out.out, out.err


async def link_beside(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> tuple[int, str]:
    """The command in its own process's loop, while this test's bot runs."""
    code, out, _ = await asyncio.to_thread(link, capsys, db, *args)
    return code, out


async def test_the_printed_link_signs_the_console_operator_in_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with web_bot(tmp_path) as app:
        db = app.config.bot.database_url
        code, out = await link_beside(capsys, db, "console:local:operator", "--as", "staff")
        assert code == 0
        url, note, *_ = out.splitlines()
        assert url.startswith("http://127.0.0.1:8080/admin/link/")  # [http] as configured
        assert "single use, valid 10 minutes" in note
        token = url.rsplit("/", 1)[1]
        async with client(app) as browser:
            used = await browser.post(f"/admin/link/{token}", {})
            assert used.status == 200 and used.has("Vue d'ensemble")
            assert (await browser.get("/admin/announcements")).status == 200
            assert (await browser.post(f"/admin/link/{token}", {})).status == 400


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("slack:T1",), "expected platform:workspace:user"),
        (("teams:T1:U1",), "expected platform:workspace:user"),
        (("slack:T1:U1", "--as", "staff"), "--as and --agency are for console links"),
        (
            ("console:local:op", "--as", "moderator", "--agency", "Atlantide"),
            "no agency 'Atlantide'",
        ),
    ],
)
def test_a_wrong_link_request_says_what_to_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = link(capsys, f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", *args)
    assert code == 2 and out == "" and message in err
