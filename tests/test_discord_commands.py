"""The slash-command tree generated from the specs, as Discord receives it (golden file).

The golden file pins the payload of a test group that uses every option type, plus the real
`help` and `agency` commands: names, option types and bounds, choices, and the French and
English localisations. Regenerate after an intended change with
`FEDBOT_UPDATE_GOLDEN=1 pytest tests/test_discord_commands.py`, and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bot.context import CommandContext
from bot.messages import Reply
from bot.registry import Registry
from bot.spec import Choice, CommandSpec, GroupSpec, L10n, OptionSpec, OptionType, Role
from fedbot.assembly import full_registry
from tests.discord_harness import (
    ALICE,
    GENERAL,
    GUILD,
    NEWS,
    fake_discord,
    menu_entries,
    running_bot,
)

GOLDEN = Path(__file__).parent / "golden" / "discord_commands.json"
LOCALISED = {"fr", "en-US", "en-GB"}


async def echo_options(ctx: CommandContext) -> Reply:
    shown = ", ".join(f"{k}={v!r}" for k, v in sorted(ctx.options.items()))
    return Reply.text(shown)


def declare_sample(registry: Registry) -> None:
    registry.add_group(
        GroupSpec("sample", L10n("Exemple de chaque option", "One of each option"), "exemple")
    )
    registry.add(
        CommandSpec(
            ("sample", "everything"),
            L10n(
                "Une commande qui prend une option de chaque type, avec une description bien "
                "trop longue pour que Discord l'affiche en entier",
                "A command taking one option of each type, with a description far too long "
                "for Discord to show it whole",
            ),
            echo_options,
            fr_name="tout",
            role=Role.MEMBER,
            options=(
                OptionSpec(
                    "title",
                    OptionType.TEXT,
                    L10n("Titre", "Title"),
                    required=True,
                    fr_name="titre",
                    min_length=3,
                    max_length=80,
                ),
                OptionSpec(
                    "max-seats",
                    OptionType.INTEGER,
                    L10n("Places", "Seats"),
                    required=True,
                    fr_name="places",
                    min_value=1,
                    max_value=500,
                ),
                OptionSpec("public", OptionType.BOOLEAN, L10n("Public ?", "Public?")),
                OptionSpec(
                    "format",
                    OptionType.CHOICE,
                    L10n("Format", "Format"),
                    choices=(
                        Choice("online", L10n("En ligne", "Online")),
                        Choice("onsite", L10n("Sur place", "On site")),
                    ),
                ),
                OptionSpec("host", OptionType.USER, L10n("Hôte", "Host"), fr_name="hote"),
                OptionSpec("where", OptionType.CHANNEL, L10n("Salon", "Channel"), fr_name="salon"),
                OptionSpec("when", OptionType.DATETIME, L10n("Quand", "When"), fr_name="quand"),
                OptionSpec(
                    "agency", OptionType.TEXT, L10n("Agence", "Agency"), autocomplete="agency"
                ),
                OptionSpec(
                    "tag", OptionType.TEXT, L10n("Thème", "Topic"), autocomplete="not-yet-there"
                ),
            ),
        )
    )
    registry.add(
        CommandSpec(
            ("sample", "target"),
            L10n("Cible d'un bouton", "A button's target"),
            echo_options,
            hidden=True,
        )
    )


def golden_subset(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    return {c["name"]: c for c in payloads if c["name"] in ("help", "agency", "sample")}


async def test_sync_payload_matches_the_golden_file(tmp_path: Path) -> None:
    async with fake_discord() as fake:
        async with running_bot(tmp_path, fake, declare=declare_sample) as (_, adapter):
            await adapter.sync()
    payload = golden_subset(fake.command_payloads[None])
    if os.environ.get("FEDBOT_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", "utf-8")
    assert payload == json.loads(GOLDEN.read_text("utf-8"))
    assert fake.protocol_errors == []  # the fake validates names, lengths, option order


def _walk(payload: dict[str, Any]) -> list[dict[str, Any]]:
    found = [payload]
    for option in payload.get("options", []):
        found += _walk(option) if option["type"] in (1, 2) else [option]
    return found


async def test_every_visible_command_is_registered_in_both_languages(tmp_path: Path) -> None:
    registry = full_registry()
    async with fake_discord() as fake:
        async with running_bot(tmp_path, fake, guild_ids=[str(GUILD)]) as (_, adapter):
            await adapter.sync()
    assert None not in fake.command_payloads  # configured guilds: no global commands
    # Slash commands are type 1; message actions are entries of a message's menu, type 3.
    payloads = [c for c in fake.command_payloads[GUILD] if c["type"] == 1]
    menus = [c for c in fake.command_payloads[GUILD] if c["type"] == 3]
    assert [c["name"] for c in menus] == menu_entries(registry)
    assert all(set(c["name_localizations"]) == LOCALISED for c in menus)
    registered = {
        (root["name"],) if sub is root else (root["name"], sub["name"])
        for root in payloads
        for sub in (
            [root] if not root["options"] or root["options"][0]["type"] != 1 else root["options"]
        )
    }
    visible = {path for path, spec in registry.commands.items() if not spec.hidden}
    assert registered == visible
    for root in payloads:
        for node in _walk(root):
            assert set(node["name_localizations"]) == LOCALISED, node["name"]
            assert set(node["description_localizations"]) == LOCALISED, node["name"]
            assert 1 <= len(node["description"]) <= 100


async def test_typed_options_reach_the_core_as_it_expects(tmp_path: Path) -> None:
    async with fake_discord() as fake:
        async with running_bot(tmp_path, fake, declare=declare_sample, sync_on_start=True) as (
            app,
            _,
        ):
            await app.services.agencies.add("Nantes Métropole", "Pays de la Loire", app.clock.now())
            options = {
                "title": "Forum",
                "max-seats": 40,
                "public": True,
                "format": "onsite",
                "host": ALICE.id,
                "where": NEWS,
                "when": "demain 18h",
                "agency": "Nantes Métropole",
            }
            sent = await fake.dispatch_interaction(
                fake.slash_interaction("sample everything", options, channel_id=GENERAL)
            )
            body = await fake.wait_for_callback(sent)
    assert body["data"]["content"] == (
        "agency='Nantes Métropole', format='onsite', host='3000000000000000010', "
        "max-seats=40, public=True, tag=None, title='Forum', "
        "when=datetime.datetime(2026, 11, 27, 18, 0, tzinfo=zoneinfo.ZoneInfo(key='Europe/Paris'))"
        f", where=ChannelRef(platform='discord', workspace='{GUILD}', channel_id='{NEWS}')"
    )
    assert fake.protocol_errors == []
