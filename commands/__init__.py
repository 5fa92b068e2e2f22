"""Features: each module declares its groups and commands (specs + handlers) once.

`FEATURES` is the ordered list the app registers; adding a feature means adding it here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.spec import CommandSpec, GroupSpec


@dataclass(frozen=True)
class Feature:
    name: str
    groups: Sequence[GroupSpec]
    commands: Sequence[CommandSpec]


def all_features() -> list[Feature]:
    from commands import agency, help

    return [help.FEATURE, agency.FEATURE]
