"""The console adapter driven end to end as a user would: a subprocess fed through stdin."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
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
    assert json.loads(accepted.stdout)["text"] == (
        "Agence «\u00a0Agence Test\u00a0» ajoutée (région Corse)."
    )


def test_demo_is_idempotent_and_migrate_shares_the_database(tmp_path: Path) -> None:
    run_bot(["run", "--demo"], "", tmp_path)
    run_bot(["run", "--demo"], "", tmp_path)
    migrated = run_bot(["migrate"], "", tmp_path)
    assert migrated.returncode == 0 and "Base de données à jour" in migrated.stdout
    listed = run_bot(["run", "--json"], "/agency list\n", tmp_path)
    assert json.loads(listed.stdout)["title"] == "5 agences"


def test_an_answered_question_reaches_its_asker_from_another_session(tmp_path: Path) -> None:
    # docs/faq.md, "Seeing it in the console": two sessions share the database.
    asked = run_bot(
        ["run", "--demo", "--user", "ann", "--as", "member"],
        "/faq ask où garer mon vélo cargo ?\n",
        tmp_path,
    )
    assert "je vous enverrai leur réponse en message privé" in asked.stdout, asked.stderr
    line = '/faq promote 1 answer:"Au local vélos de la cour."\n'
    done = run_bot(["run", "--as", "staff"], line, tmp_path)
    assert done.returncode == 0, done.stderr
    dm = done.stdout.split("[→ @ann]\n", 1)[1]
    assert "Vous aviez demandé le " in dm and "Au local vélos de la cour." in dm
    assert "La personne qui avait posé cette question a reçu la réponse en message privé." in (
        done.stdout
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_input_that_is_not_utf8_is_read_with_replacement_characters(tmp_path: Path) -> None:
    env = {**os.environ, "FEDBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    env.pop("FEDBOT_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "fedbot", "run", "--json", "--demo"],
        input=b"/faq ask caf\xe9 ?\n"
        b'/event create "caf\xe9" "demain 18h" agency:"Rennes Atalante"\n',
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    replies = [json.loads(line) for line in done.stdout.decode().splitlines()]
    answers = [r for r in replies if "command" in r]
    assert [a["command"] for a in answers] == [
        "/faq ask caf\ufffd ?",
        '/event create "caf\ufffd" "demain 18h" agency:"Rennes Atalante"',
    ]
    assert answers[1]["title"] == "caf\ufffd" and not answers[1]["error"]


def test_attachments_are_written_to_a_folder(tmp_path: Path) -> None:
    done = run_bot(["run", "--demo", "--json", "--files", "out"], "/event ics\n", tmp_path)
    (reply,) = [json.loads(line) for line in done.stdout.splitlines()]
    (attachment,) = reply["attachments"]
    assert attachment["path"] == "out/all.ics"
    written = (tmp_path / "out" / "all.ics").read_bytes()
    assert written.startswith(b"BEGIN:VCALENDAR\r\n")
    assert attachment["content"] == written.decode("utf-8")
    text = run_bot(["run", "--lang", "en"], "/profile export\n", tmp_path).stdout
    size = (tmp_path / "fedbot-files" / "fedbot-data.json").stat().st_size
    assert f"📎 fedbot-data.json ({size:,} bytes) → fedbot-files/fedbot-data.json" in text


def test_a_piped_run_sends_what_it_queued_before_leaving(tmp_path: Path) -> None:
    """The announcement sequence of the docs, piped: the copies go out before `status` and the
    acknowledgement, and nothing is left queued at the end."""
    preview = run_bot(
        ["run", "--demo", "--json"],
        '/announce send agencies target:"Rennes Atalante" titre:Test Bonjour\n',
        tmp_path,
    )
    confirm = json.loads(preview.stdout)["buttons"][0]["command"]
    lines = f"{confirm}\n/announce status 2\n"
    done = run_bot(["run", "--json"], lines, tmp_path)
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    sent = [r for r in replies if r.get("sent_to") == "#rennes"]
    assert len(sent) == 1
    status = [r for r in replies if r.get("command") == "/announce status 2"][0]
    assert status["fields"][0]["value"] == "1/1 remise"
    ack = run_bot(["run", "--json", "--channel", "rennes"], "/announce ack id:2\n", tmp_path)
    assert json.loads(ack.stdout)["error"] is False


def test_the_calendar_url_answers_in_the_console(tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "fedbot.toml"
    config.write_text(f'[http]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\n')
    env = {**os.environ, "FEDBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    for secret in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "SLACK_CLIENT_ID", "FEDBOT_CONFIG"):
        env.pop(secret, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fedbot", "run", "--demo", "--json", "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("/event ics\n")
        proc.stdin.flush()
        reply = json.loads(proc.stdout.readline())
        (link,) = reply["links"]
        assert link["url"] == f"http://127.0.0.1:{port}/calendar/all.ics"
        with urllib.request.urlopen(link["url"], timeout=10) as response:
            assert response.read().startswith(b"BEGIN:VCALENDAR")
    finally:
        proc.communicate(timeout=60)
    assert proc.returncode == 0
