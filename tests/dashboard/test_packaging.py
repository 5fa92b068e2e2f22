"""Every page template and asset ships in the wheel (no CDN: the dashboard needs nothing
else), as package data declared in pyproject.toml."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "commands" / "dashboard"


def test_templates_and_static_files_are_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["commands.dashboard"]
    files = [p.relative_to(PACKAGE).as_posix() for d in ("templates", "static")
             for p in (PACKAGE / d).iterdir()]  # fmt: skip
    assert files
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []


def test_pages_load_nothing_from_elsewhere() -> None:
    for page in (PACKAGE / "templates").glob("*.html"):
        text = page.read_text("utf-8")
        for attribute in ('src="http', 'href="http', "@import", "//cdn", "<script>"):
            assert attribute not in text, f"{page.name}: {attribute}"
    css = (PACKAGE / "static" / "dashboard.css").read_text("utf-8")
    assert "url(" not in css and "@import" not in css
