"""Which features and adapters make up the bot: the one place the core, `commands.FEATURES`
and the adapters' own storage meet."""

from __future__ import annotations

from pathlib import Path

from adapters.slack.installations import MIGRATIONS as SLACK_MIGRATIONS
from bot.app import BotApp, build_registry
from bot.clock import Clock
from bot.config import Config
from bot.registry import Registry
from commands import all_features

# Tables adapters keep for themselves (Slack's OAuth installations), migrated with the rest
# whether or not the adapter runs: `fedbot migrate` leaves no branch behind.
ADAPTER_MIGRATIONS: tuple[Path, ...] = (SLACK_MIGRATIONS,)


def make_app(config: Config, clock: Clock | None = None, *, start_scheduler: bool = True) -> BotApp:
    """The full bot: every feature, every adapter's tables."""
    return BotApp(
        config,
        all_features(),
        clock,
        start_scheduler=start_scheduler,
        extra_migrations=ADAPTER_MIGRATIONS,
    )


def migration_dirs() -> list[Path]:
    """Every Alembic branch folder beside the core's: features', then adapters'."""
    features = [f.migrations for f in all_features() if f.migrations is not None]
    return [*features, *ADAPTER_MIGRATIONS]


def full_registry() -> Registry:
    """Every feature's commands, without opening anything (manifests, command trees)."""
    return build_registry(all_features())
