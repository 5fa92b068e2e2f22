"""What `fedbot doctor` finds: one line per check, and the checks that need no platform (the
database, its migrations, the federation's allow-lists). The platforms' checks live with their
adapters; `fedbot.doctor` runs them all.

The doctor changes nothing: it does not create a missing SQLite file, migrate, or re-encrypt
a token; it reads, and says what to do.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Config
from bot.storage.database import Database, redacted_url
from bot.storage.workspaces import WorkspaceRepo

DB_TIMEOUT = 5.0  # seconds the database gets to answer


@dataclass(frozen=True)
class Finding:
    """One check's verdict: `ok` True (✓), False (✗, the doctor exits non-zero), or None (–,
    not applicable: a platform not configured)."""

    ok: bool | None
    name: str
    text: str

    def line(self) -> str:
        mark = {True: "✓", False: "✗", None: "–"}[self.ok]
        return f"{mark} {self.name}: {self.text}"


@dataclass
class Situation:
    """What the checks share: the config, and the database once it answered (None before,
    or when it cannot be used), with the workspaces admins approved in it."""

    config: Config
    db: Database | None = None
    approved: set[tuple[str, str]] = field(default_factory=set)

    def admitted(self, platform: str) -> list[str]:
        """The platform's workspaces in the federation: listed in the config or approved."""
        settings = self.config.federation
        listed = {
            "slack": (*settings.slack_teams, *settings.slack_enterprises),
            "discord": settings.discord_guilds,
        }[platform]
        return sorted({*listed, *(w for p, w in self.approved if p == platform)})


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another engine, or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


async def check_database(situation: Situation, db: Database) -> list[Finding]:
    """Reachable, and its migrations at the heads of this code. Sets `situation.db` when the
    database can be read further."""
    url = redacted_url(situation.config.bot.database_url)
    try:
        await asyncio.wait_for(db.ping(), DB_TIMEOUT)
    except TimeoutError:
        return [Finding(False, "database", f"{url}: no answer within {DB_TIMEOUT:g} s")]
    except Exception as exc:  # any driver error: say which, no traceback
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return [Finding(False, "database", f"{url}: cannot connect ({reason})")]
    found = [Finding(True, "database", f"{url}: reachable")]
    current, expected = sorted(await db.revision()), db.script_heads()
    if current == expected:
        found.append(Finding(True, "migrations", f"at head ({len(expected)} branches)"))
        situation.db = db
        situation.approved = await WorkspaceRepo(db).approved()
        return found
    unknown = sorted(set(current) - set(expected))
    if unknown:
        text = f"the database is newer than this code ({', '.join(unknown)}): upgrade fedbot"
    else:
        behind = len(set(expected) - set(current))
        text = (
            f"{behind} branch(es) behind ({', '.join(current) or 'nothing applied'}): "
            "run `fedbot migrate` (or start the bot, which migrates first)"
        )
    found.append(Finding(False, "migrations", text))
    return found


def check_allow_lists(situation: Situation) -> list[Finding]:
    """A platform with a token needs workspaces in the federation, or it refuses everyone."""
    secrets = situation.config.secrets
    wanted = {
        "slack": bool(
            secrets.slack_bot_token or (secrets.slack_client_id and secrets.slack_client_secret)
        ),
        "discord": bool(secrets.discord_token),
    }
    keys = {"slack": "slack_teams (or slack_enterprises)", "discord": "discord_guilds"}
    found = []
    for platform, configured in wanted.items():
        admitted = situation.admitted(platform)
        name = f"federation ({platform})"
        if admitted:
            found.append(Finding(True, name, ", ".join(admitted)))
        elif configured:
            found.append(
                Finding(
                    False,
                    name,
                    f"federation.{keys[platform]} is empty and no workspace is approved: "
                    f"every {platform.title()} command would be refused",
                )
            )
        else:
            found.append(Finding(None, name, "no workspace listed (platform not configured)"))
    return found
