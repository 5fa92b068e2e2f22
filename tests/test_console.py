"""The console adapter driven end to end as a user would: a subprocess fed through stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bot(args: list[str], stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FEDBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    for secret in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "SLACK_CLIENT_ID", "FEDBOT_CONFIG"):
        env.pop(secret, None)
    return subprocess.run(
        [sys.executable, "-m", "fedbot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )


def test_demo_session_in_json(tmp_path: Path) -> None:
    lines = "/help\n# a comment\n\n/agency list\n/nope\n"
    done = run_bot(["run", "--demo", "--json", "--as", "member"], lines, tmp_path)
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["command"] for r in replies] == ["/help", "/agency list", "/nope"]
    assert replies[0]["title"] == "Commandes de fedbot"
    assert "/agency add" not in json.dumps(replies[0], ensure_ascii=False)
    regions = [f["name"] for f in replies[1]["fields"]]
    assert "Pays de la Loire" in regions and "Bretagne" in regions
    assert replies[2]["error"] is True


def test_text_mode_in_english_and_exit_at_end_of_input(tmp_path: Path) -> None:
    done = run_bot(["run", "--lang", "en"], "/agency list\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "No agency registered yet." in done.stdout  # no --demo: the database stays empty


def test_roles_chosen_on_the_command_line(tmp_path: Path) -> None:
    line = '/agency add name:"Agence Test" region:"Corse"\n'
    refused = run_bot(["run", "--as", "moderator", "--json"], line, tmp_path)
    assert json.loads(refused.stdout)["error"] is True
    accepted = run_bot(["run", "--as", "staff", "--json", "--user", "claire"], line, tmp_path)
    assert json.loads(accepted.stdout)["text"] == "Agence « Agence Test » ajoutée (région Corse)."


def test_demo_is_idempotent_and_migrate_shares_the_database(tmp_path: Path) -> None:
    run_bot(["run", "--demo"], "", tmp_path)
    run_bot(["run", "--demo"], "", tmp_path)
    migrated = run_bot(["migrate"], "", tmp_path)
    assert migrated.returncode == 0 and "database up to date" in migrated.stdout
    listed = run_bot(["run", "--json"], "/agency list\n", tmp_path)
    assert json.loads(listed.stdout)["title"] == "5 agences"
