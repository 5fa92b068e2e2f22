"""The core knows no platform: nothing under bot/ or commands/ imports a chat SDK."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SDK_IMPORT = re.compile(r"^\s*(from|import)\s+(slack_bolt|slack_sdk|slack|discord)\b", re.M)


def test_core_and_features_import_no_platform_sdk() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "commands")
        for path in (ROOT / folder).rglob("*.py")
        if SDK_IMPORT.search(path.read_text("utf-8"))
    ]
    assert offenders == []


def test_adapters_are_imported_by_full_name() -> None:
    """`import adapters.discord` style only: a bare `import discord` inside adapters/discord
    must mean the library, never our package."""
    for path in (ROOT / "adapters").rglob("*.py"):
        text = path.read_text("utf-8")
        assert not re.search(r"^\s*from\s+\.", text, re.M), f"relative import in {path}"
