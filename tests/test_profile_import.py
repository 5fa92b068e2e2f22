"""`fedbot members import FILE.csv`: rows checked first, one transaction, rejected rows
reported by line, nothing written for a malformed file, idempotent re-import that never
overrides what members chose themselves."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import BotApp
from bot.clock import FixedClock
from commands.profile.member_file import MalformedFile, read_import
from commands.profile.store.profiles import ProfileRepo
from fedbot.assembly import make_app
from fedbot.cli import main
from tests.conftest import make_config
from tests.match_support import profile, setup_agencies, type_in

HEADER = "platform,user_id,display_name,agency,interests,opt_in\n"
GOOD = (
    "slack,U01,Ana Silva,Nantes Métropole Développement,Tiers lieux;Hackathons,oui\n"
    "slack,U02,Ben Martin,rennes atalante,numérique;TPE,no\n"
)


def _run(tmp_path: Path, clock: FixedClock, coro) -> object:
    async def inside():
        async with make_app(make_config(tmp_path), clock=clock, start_scheduler=False) as app:
            return await coro(app)

    return asyncio.run(inside())


def _import(tmp_path: Path, text: str, *args: str, name: str = "members.csv") -> int:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    db = f"sqlite+aiosqlite:///{tmp_path / 'fedbot.db'}"
    return main(["members", "import", str(path), "--db", db, *args])


async def _profiles(app: BotApp) -> dict[str, tuple]:
    found = {}
    for user in ("U01", "U02", "U03", "alice"):
        for workspace in ("T1", "local"):
            member = await app.services.members.find(
                "slack" if user != "alice" else "console", workspace, user
            )
            if member is None:
                continue
            p = await app.services.get(ProfileRepo).get(member.id)
            found[user] = (
                member.display_name,
                p.agency_name if p else None,
                [t.slug for t in p.tags] if p else None,
                p.opt_in if p else None,
            )
    return found


@pytest.fixture
def seeded(tmp_path: Path, clock: FixedClock) -> Path:
    _run(tmp_path, clock, setup_agencies)
    return tmp_path


def test_import_creates_profiles_and_reports_rejected_rows(
    seeded: Path, clock: FixedClock, capsys
) -> None:
    bad = (
        "slack,U03,Cleo,Agence inconnue,,yes\n"
        "slack,U 4,Dan,,,yes\n"
        "slack,U05,Eve,,x;hackathon,yes\n"
        "slack,U06,Fay,,,peut-être\n"
        "slack,U01,Ana again,,,yes\n"
        "irc,U07,Gus,,,yes\n"
        "slack,U08\n"
        "slack,U09,Nul\0,,,yes\n"
    )
    assert _import(seeded, HEADER + GOOD + bad, "--workspace", "T1") == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        "line 4: unknown agency 'Agence inconnue'",
        "line 5: bad user_id 'U 4'",
        "line 6: interest 'x': too short",
        "line 7: opt_in must be yes or no, not 'peut-être'",
        "line 8: same member as line 2",
        "line 9: unknown platform 'irc' (slack, discord, console)",
        "line 10: 2 fields, expected 6",
        "line 11: control character in display_name",
        "2 created, 0 updated, 0 kept (edited by the members themselves), 8 rejected",
    ]
    assert "import: 100%" in out.err  # the progress bar, on stderr
    found = _run(seeded, clock, _profiles)
    assert found == {
        "U01": ("Ana Silva", "Nantes Métropole Développement", ["hackathon", "tiers-lieux"], True),
        "U02": ("Ben Martin", "Rennes Atalante", ["numerique", "tpe-pme"], False),
    }


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "the file is empty or has no header line"),
        ("platform,user_id,display_name\nslack,U01,Ana\n", "missing column(s): agency"),
        (HEADER + GOOD + 'slack,U09,"Ana,,,yes\n', "line 4: unexpected end of data"),
        (HEADER.encode() + "slack,U01,Zoé,,,yes\n".encode("latin-1"), "not UTF-8 text"),
        ("platform,user_id,user_id\nslack,U01,U02\n", "column(s) given twice: user_id"),
    ],
)
def test_a_malformed_file_writes_nothing(
    seeded: Path, clock: FixedClock, capsys, content, reason
) -> None:
    assert _import(seeded, content, "--workspace", "T1") == 2
    err = capsys.readouterr().err
    assert reason in err and err.rstrip().endswith("nothing written")
    assert _run(seeded, clock, _profiles) == {}


def test_rows_of_slack_or_discord_need_a_workspace(seeded: Path, clock: FixedClock, capsys) -> None:
    assert _import(seeded, HEADER + GOOD) == 2
    err = capsys.readouterr().err
    assert "no workspace column: pass --workspace" in err
    assert _run(seeded, clock, _profiles) == {}


def test_strict_and_dry_run_write_nothing(seeded: Path, clock: FixedClock, capsys) -> None:
    bad = HEADER + GOOD + "slack,U03,Cleo,,,maybe\n"
    assert _import(seeded, bad, "--workspace", "T1", "--strict") == 2
    assert "1 row(s) rejected (--strict): nothing written" in capsys.readouterr().out
    assert _import(seeded, bad, "--workspace", "T1", "--dry-run") == 1
    assert "2 row(s) valid (--dry-run): nothing written" in capsys.readouterr().out
    assert _run(seeded, clock, _profiles) == {}


def test_reimport_is_idempotent_and_keeps_what_members_chose(
    seeded: Path, clock: FixedClock, capsys
) -> None:
    text = "workspace;" + HEADER.replace(",", ";")  # a French spreadsheet's export
    rows = [
        'T1;slack;U01;Ana Silva;Nantes Métropole Développement;"Tiers lieux;Hackathons";oui',
        "local;console;alice;Alice;;hackathon;oui",
    ]
    text += "\n".join(rows) + "\n"
    assert _import(seeded, text) == 0
    assert "2 created, 0 updated, 0 kept" in capsys.readouterr().out
    assert _import(seeded, text) == 0
    assert "0 created, 2 updated, 0 kept" in capsys.readouterr().out
    first = _run(seeded, clock, _profiles)

    async def alice_opts_out(app: BotApp) -> None:
        await type_in(app, "/profile set match:non", user="alice")

    _run(seeded, clock, alice_opts_out)
    assert _import(seeded, text) == 0
    assert "0 created, 1 updated, 1 kept" in capsys.readouterr().out
    after = _run(seeded, clock, _profiles)
    assert after["U01"] == first["U01"]
    assert after["alice"][3] is False  # an import never opts anyone back in


def test_reading_rows_is_pure_and_takes_both_delimiters() -> None:
    agencies = {"rennes atalante": 7}
    parsed = read_import(
        "\ufeffplatform;user_id;display_name;agency;interests;opt_in\n"
        'discord;123;Zoé;Rennes Atalante;"third places, fablab";1\n',
        agencies,
        "G1",
    )
    (row,) = parsed.rows
    assert (row.platform, row.workspace, row.user_id, row.agency_id) == ("discord", "G1", "123", 7)
    assert [t.slug for t in row.tags] == ["tiers-lieux", "fablab"]
    with pytest.raises(MalformedFile):
        read_import("platform,user_id\n", agencies)


async def test_imported_members_can_be_matched_at_once(app: BotApp, tmp_path: Path) -> None:
    from commands.profile.store.imports import ImportedMember, import_members
    from commands.profile.store.profiles import Tag

    rows = [
        ImportedMember(
            "console",
            "local",
            f"amb{i}",
            f"Ambassadeur {i}",
            None,
            True,
            (Tag("reseau-ambassadeurs", "réseau d'ambassadeurs"),),
        )
        for i in range(3)
    ]
    counts = await import_members(app.services.get(ProfileRepo), rows, app.clock.now())
    assert (counts.created, counts.updated, counts.kept) == (3, 0, 0)
    await profile(app, "alice", "réseau d'ambassadeurs")
    reply = await type_in(app, "/match find")
    assert len(reply.message.fields) == 3
