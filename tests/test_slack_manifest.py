"""`fedbot slack manifest`: generated from the command specs, pinned by golden files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from adapters.slack.inbound import root_words
from adapters.slack.manifest import build_manifest
from bot.config import parse_config
from bot.registry import Registry
from commands import agency, help
from fedbot.assembly import full_registry
from fedbot.cli import main
from tests.slack_harness import golden


def core_registry() -> Registry:
    """The core's own commands only, so the golden files do not move with every feature."""
    registry = Registry()
    for feature in (help.FEATURE, agency.FEATURE):
        registry.add_all(feature.groups, feature.commands)
    return registry


def test_manifest_for_http_mode_with_prefixed_group_commands() -> None:
    config = parse_config(
        {
            "slack": {"mode": "http", "command_prefix": "fb-", "message_events": True},
            "http": {"enabled": True, "public_url": "https://bot.example.org/"},
        },
        {},
    )
    golden("slack_manifest_http_groups", build_manifest(core_registry(), config))


def test_manifest_for_socket_mode_with_an_umbrella_command_in_english() -> None:
    config = parse_config({"slack": {"commands": "umbrella"}, "bot": {"default_locale": "en"}}, {})
    manifest = build_manifest(core_registry(), config)
    golden("slack_manifest_socket_umbrella", manifest)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]


def test_cli_prints_the_manifest_of_every_registered_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "fedbot.toml"
    config.write_text('[slack]\ncommand_prefix = "fb-"\n', "utf-8")
    assert main(["slack", "manifest", "--config", str(config)]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert main(["slack", "manifest", "--config", str(config), "--format", "yaml"]) == 0
    as_yaml = yaml.safe_load(capsys.readouterr().out)

    assert as_json == as_yaml
    registry = full_registry()
    names = [c["command"] for c in as_json["features"]["slash_commands"]]
    assert names == [f"/fb-{root}" for root in root_words(registry)]
    for spec in registry.commands.values():  # every visible command is reachable
        assert spec.hidden or f"/fb-{spec.path[0]}" in names
    assert all(c["should_escape"] for c in as_json["features"]["slash_commands"])
