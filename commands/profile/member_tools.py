"""`fedbot members import FILE.csv`, `fedbot members purge FILE.csv` and `fedbot members erase
ID…` (operators' tools).

Import: every row is checked before anything is written, then all valid rows are written in
ONE transaction (a progress bar on stderr), so a malformed file or a failure writes nothing.
Rows with a wrong value are reported by line and skipped (`--strict`: nothing is written if
any row is wrong). Re-importing is idempotent; profiles members edited themselves are kept.

Purge: erases each listed member (who left a workspace) as `profile delete` would.
Erase: a person's every identity (a GDPR request received by mail, say), by platform user id:
`discord:<user id>` (every server and DM), `slack:<team id>:<user id>` (that workspace, and
the other workspaces of its Enterprise Grid org, and identities the person linked).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from bot.app import BotApp
from bot.feature import CliTool, CommonOptions
from bot.identity import DIRECT_MESSAGES, Caller
from bot.privacy import erase_member, erase_subject
from bot.services import Services
from bot.storage.agencies import name_key
from commands.profile.member_file import MalformedFile, Rejected, read_import, read_purge
from commands.profile.store.imports import import_members
from commands.profile.store.profiles import ProfileRepo

SHOWN_REJECTS = 50
OK, SOME_REJECTED, NOTHING_WRITTEN = 0, 1, 2


def configure(parser: argparse.ArgumentParser, common: CommonOptions) -> None:
    tools = parser.add_subparsers(dest="members_command", required=True)
    helps = {
        "import": "import members and profiles from a CSV file (platform, user_id, "
        "display_name, agency, interests separated by ';', opt_in[, workspace])",
        "purge": "erase the members listed in a CSV file (platform, user_id[, workspace])",
    }
    erase = "erase every identity of the people given: discord:<user id>, slack:<team>:<user>"
    tool = tools.add_parser("erase", help=erase, description=erase)
    common(tool)
    tool.add_argument("who", nargs="+", help="discord:<user id> or slack:<team id>:<user id>")
    tool.add_argument("--dry-run", action="store_true", help="show who would go, erase nothing")
    for name, help_text in helps.items():
        tool = tools.add_parser(name, help=help_text, description=help_text)
        common(tool)
        tool.add_argument("file", type=Path, help="the CSV file (UTF-8)")
        tool.add_argument(
            "--workspace", help="workspace of rows without one (Slack team id, Discord guild id)"
        )
        tool.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        if name == "import":
            tool.add_argument(
                "--strict", action="store_true", help="write nothing if any row is rejected"
            )


async def members_command(app: BotApp, args: argparse.Namespace) -> int:
    if args.members_command == "erase":
        return await erase_people(app.services, args.who, args.dry_run, sys.stdout)
    try:
        text = _read(args.file)
        if args.members_command == "import":
            return await import_file(app.services, text, args, sys.stdout)
        return await purge_file(app.services, text, args, sys.stdout)
    except MalformedFile as exc:
        print(f"fedbot: {args.file}: {exc}; nothing written", file=sys.stderr)
        return NOTHING_WRITTEN


MEMBERS_TOOL = CliTool(
    "members",
    "member lists: import profiles, erase who left",
    configure,
    members_command,
)


def _caller(text: str) -> Caller | None:
    """`discord:<user>` (or `discord:<guild>:<user>`) or `slack:<team>:<user>`."""
    parts = text.strip().split(":")
    if parts[0] == "discord" and len(parts) in (2, 3) and parts[-1].isdigit():
        return Caller("discord", DIRECT_MESSAGES, parts[-1])
    if parts[0] == "slack" and len(parts) == 3 and all(parts[1:]):
        return Caller("slack", parts[1], parts[2])
    return None


async def erase_people(services: Services, who: list[str], dry_run: bool, out: TextIO) -> int:
    callers = [(text, _caller(text)) for text in who]
    bad = [text for text, caller in callers if caller is None]
    if bad:
        print(f"fedbot: not an identity: {', '.join(bad)} (discord:<user id> or "
              "slack:<team id>:<user id>)", file=sys.stderr)  # fmt: skip
        return NOTHING_WRITTEN
    for text, caller in callers:
        assert caller is not None
        identities = await services.members.subject_of(caller)
        places = ", ".join(f"{m.platform}:{m.workspace}" for m in identities) or "nothing held"
        if not dry_run:
            await erase_subject(services, identities)
        verb = "would erase" if dry_run else "erased"
        print(f"{text}: {verb} {len(identities)} identit{'y' if len(identities) == 1 else 'ies'}"
              f" ({places})", file=out)  # fmt: skip
    return OK


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise MalformedFile("no such file") from None
    except UnicodeDecodeError as exc:
        raise MalformedFile(f"not UTF-8 text (byte {exc.start})") from None


async def import_file(services: Services, text: str, args: argparse.Namespace, out: TextIO) -> int:
    agencies = {name_key(a.name): a.id for a in await services.agencies.list()}
    parsed = read_import(text, agencies, args.workspace)
    _report_rejected(parsed.rejected, out)
    if parsed.rejected and args.strict:
        print(f"{len(parsed.rejected)} row(s) rejected (--strict): nothing written", file=out)
        return NOTHING_WRITTEN
    if args.dry_run:
        print(f"{len(parsed.rows)} row(s) valid (--dry-run): nothing written", file=out)
        return SOME_REJECTED if parsed.rejected else OK
    with tqdm(total=len(parsed.rows), unit="row", desc="import", file=sys.stderr) as bar:
        counts = await import_members(
            services.get(ProfileRepo), parsed.rows, services.clock.now(), progress=bar.update
        )
    print(
        f"{counts.created} created, {counts.updated} updated, {counts.kept} kept "
        f"(edited by the members themselves), {len(parsed.rejected)} rejected",
        file=out,
    )
    return SOME_REJECTED if parsed.rejected else OK


async def purge_file(services: Services, text: str, args: argparse.Namespace, out: TextIO) -> int:
    identities, rejected = read_purge(text, args.workspace)
    _report_rejected(rejected, out)
    erased = unknown = 0
    for who in tqdm(identities, unit="member", desc="purge", file=sys.stderr):
        member = await services.members.find(who.platform, who.workspace, who.user_id)
        if member is None:
            unknown += 1
        elif not args.dry_run:
            erased += await erase_member(services, member.id)
    if args.dry_run:
        print(f"{len(identities) - unknown} member(s) would be erased (--dry-run)", file=out)
    else:
        print(f"{erased} member(s) erased, {unknown} unknown, {len(rejected)} rejected", file=out)
    return SOME_REJECTED if rejected else OK


def _report_rejected(rejected: tuple[Rejected, ...] | list[Rejected], out: TextIO) -> None:
    for item in rejected[:SHOWN_REJECTS]:
        print(f"line {item.line}: {item.reason}", file=out)
    if len(rejected) > SHOWN_REJECTS:
        print(f"… and {len(rejected) - SHOWN_REJECTS} more rejected rows", file=out)
