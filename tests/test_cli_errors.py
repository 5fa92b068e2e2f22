"""The command line's mistakes and outages: one line in the operator's language and an exit
code, never a traceback; a typo in a path creates no folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fedbot.cli import build_parser, feature_tools

NBSP = "\u00a0"


def fedbot(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "FEDBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    for name in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "SLACK_CLIENT_ID", "FEDBOT_CONFIG"):
        environ.pop(name, None)
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "fedbot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
        timeout=90,
        check=False,
    )


def one_line_refusal(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_faq_export_to_a_missing_folder_or_a_folder(tmp_path: Path) -> None:
    missing = one_line_refusal(fedbot(tmp_path, "faq", "export", str(tmp_path / "no" / "x.yaml")))
    assert missing == (
        f"fedbot{NBSP}: impossible d'écrire {tmp_path / 'no' / 'x.yaml'} "
        "(No such file or directory)."
    )
    folder = one_line_refusal(fedbot(tmp_path, "faq", "export", str(tmp_path)))
    assert folder == f"fedbot{NBSP}: impossible d'écrire {tmp_path} (Is a directory)."


def test_a_plain_path_is_a_sqlite_file(tmp_path: Path) -> None:
    done = fedbot(tmp_path, "migrate", "--db", str(tmp_path / "plain.db"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Base de données à jour{NBSP}: ")
    assert done.stderr == ""  # quiet by default: no migration chatter
    assert (tmp_path / "plain.db").is_file()


@pytest.mark.parametrize(
    ("db", "expected"),
    [
        ("garbage://", "fedbot\u00a0: adresse de base de données illisible"),
        (
            "postgresql+asyncpg://fedbot:s3cret-pw@127.0.0.1:9/test",
            "fedbot\u00a0: impossible de joindre la base de données 127.0.0.1:9/test",
        ),
        ("sqlite+aiosqlite:////proc/fedbot.db", "fedbot\u00a0: impossible d'ouvrir la base SQLite"),
    ],
)
def test_a_database_that_cannot_be_used(tmp_path: Path, db: str, expected: str) -> None:
    line = one_line_refusal(fedbot(tmp_path, "migrate", "--db", db))
    assert line.startswith(expected)
    assert "s3cret-pw" not in line


def test_a_missing_folder_is_not_created(tmp_path: Path) -> None:
    target = tmp_path / "typo" / "dir" / "x.db"
    line = one_line_refusal(fedbot(tmp_path, "run", "--db", f"sqlite+aiosqlite:///{target}"))
    assert line == (
        f"fedbot{NBSP}: le dossier {target.parent} n'existe pas{NBSP}: créez-le pour y mettre la "
        f"base {target}, ou choisissez un autre chemin."
    )
    assert not (tmp_path / "typo").exists()


def test_discord_unreachable(tmp_path: Path) -> None:
    config = tmp_path / "fedbot.toml"
    config.write_text(
        '[discord]\napi_base_url = "http://127.0.0.1:9/api/v10"\n'
        'gateway_url = "ws://127.0.0.1:9/"\n'
    )
    done = fedbot(tmp_path, "run", "--config", str(config), DISCORD_TOKEN="abc")
    line = one_line_refusal(done)
    assert line.startswith(f"fedbot{NBSP}: Discord injoignable (")
    assert line.endswith(f"){NBSP}; rien n'a démarré.")


def test_discord_sync_checks_its_token_first(tmp_path: Path) -> None:
    line = one_line_refusal(fedbot(tmp_path, "discord", "sync"))
    assert line.startswith(f"fedbot{NBSP}: DISCORD_TOKEN n'est pas défini")
    assert not (tmp_path / "c.db").exists()  # nothing was opened


def test_an_empty_user_is_refused(tmp_path: Path) -> None:
    done = fedbot(tmp_path, "run", "--user", "")
    assert done.returncode == 2
    assert "--user: expected an id of 1 to 64 letters" in done.stderr
    assert "Traceback" not in done.stderr


def test_version_and_descriptions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert fedbot(tmp_path, "--version").stdout.startswith("fedbot 0.")
    # The help texts are argparse's, the same in this process as behind the `fedbot` command
    # (one process each would take a second apiece).
    parser = build_parser(list(feature_tools().values()))
    for command in (
        [],
        ["run"],
        ["migrate"],
        ["slack", "manifest"],
        ["discord", "sync"],
        ["faq", "import"],
        ["members", "import"],
        ["workspaces"],
        ["workspaces", "list"],
        ["workspaces", "invite"],
        ["members", "purge"],
        ["faq", "export"],
        ["slack", "groups"],
        ["discord", "roles"],
    ):
        with pytest.raises(SystemExit) as done:
            parser.parse_args([*command, "--help"])
        assert done.value.code == 0, command
        usage, _, rest = capsys.readouterr().out.partition("\n\n")
        assert usage.startswith("usage: fedbot"), command
        assert rest.split("\n\n")[0].strip(), f"no description for {command}"
        assert not rest.startswith(("positional", "options")), command
