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
        "ligne 4 : agence inconnue « Agence inconnue »",
        "ligne 5 : user_id invalide « U 4 »",
        "ligne 6 : thème « x » : trop court",
        "ligne 7 : opt_in vaut oui ou non, pas « peut-être »",
        "ligne 8 : même membre qu'à la ligne 2",
        "ligne 9 : plateforme inconnue « irc » (slack, discord, console)",
        "ligne 10 : 2 champs au lieu de 6",
        "ligne 11 : caractère de contrôle dans display_name",
        "2 profils créés, 0 mis à jour, 0 inchangé, 0 gardé tel que son membre l'a modifié, "
        "8 lignes refusées",
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
        ("", "le fichier est vide ou n'a pas de ligne d'en-tête"),
        (
            "platform,user_id,display_name\nslack,U01,Ana\n",
            "colonnes manquantes : agency, interests, opt_in",
        ),
        (HEADER + GOOD + 'slack,U09,"Ana,,,yes\n', "ligne 4 : unexpected end of data"),
        (HEADER.encode() + "slack,U01,Zoé,,,yes\n".encode("latin-1"), "pas du texte UTF-8"),
        ("platform,user_id,user_id\nslack,U01,U02\n", "colonne en double : user_id"),
    ],
)
def test_a_malformed_file_writes_nothing(
    seeded: Path, clock: FixedClock, capsys, content, reason
) -> None:
    assert _import(seeded, content, "--workspace", "T1") == 2
    err = capsys.readouterr().err
    assert reason in err and err.rstrip().endswith("rien n'a été écrit")
    assert _run(seeded, clock, _profiles) == {}


def test_rows_of_slack_or_discord_need_a_workspace(seeded: Path, clock: FixedClock, capsys) -> None:
    assert _import(seeded, HEADER + GOOD) == 2
    err = capsys.readouterr().err
    assert "pas de colonne workspace : indiquez --workspace" in err
    assert _run(seeded, clock, _profiles) == {}


def test_strict_and_dry_run_write_nothing(seeded: Path, clock: FixedClock, capsys) -> None:
    bad = HEADER + GOOD + "slack,U03,Cleo,,,maybe\n"
    assert _import(seeded, bad, "--workspace", "T1", "--strict") == 2
    assert "1 ligne refusée (--strict) : rien n'a été écrit" in capsys.readouterr().out
    assert _import(seeded, bad, "--workspace", "T1", "--dry-run") == 1
    assert "2 lignes valides (--dry-run) : rien n'a été écrit" in capsys.readouterr().out
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
    assert "2 profils créés, 0 mis à jour, 0 inchangé, 0 gardé" in capsys.readouterr().out
    assert _import(seeded, text) == 0  # the same file again: nothing to write, and it says so
    assert "0 profil créé, 0 mis à jour, 2 inchangés, 0 gardé" in capsys.readouterr().out
    renamed = text.replace("Ana Silva", "Ana Silva-Costa")
    assert _import(seeded, renamed) == 0
    assert "0 profil créé, 1 mis à jour, 1 inchangé, 0 gardé" in capsys.readouterr().out
    assert _import(seeded, text) == 0
    first = _run(seeded, clock, _profiles)

    async def alice_opts_out(app: BotApp) -> None:
        await type_in(app, "/profile set match:non", user="alice")

    _run(seeded, clock, alice_opts_out)
    assert _import(seeded, text) == 0
    assert "0 profil créé, 0 mis à jour, 1 inchangé, 1 gardé" in capsys.readouterr().out
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
