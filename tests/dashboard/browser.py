"""Headless Chromium (Debian's `chromium` package) driven by Playwright, for the dashboard's
browser tests; screenshots of every page land in tests/artifacts/ (ignored by git).

Without /usr/bin/chromium (a developer machine) the browser tests are skipped, saying why; CI
installs it (`.ci/run`) and sets FEDBOT_REQUIRE_BROWSER=1, which turns the skip into a failure.
`FEDBOT_UPDATE_SCREENSHOTS=1` also copies the documentation's screenshots to docs/img/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS_IMG = ROOT / "docs" / "img"
CHROMIUM = Path(os.environ.get("FEDBOT_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def need_browser() -> None:
    """Skip (or, in CI, fail) when the browser or Playwright is missing."""
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
    else:
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed: pip install -e '.[test]'"
    if missing is None:
        return
    if os.environ.get("FEDBOT_REQUIRE_BROWSER"):
        pytest.fail(f"browser tests required (FEDBOT_REQUIRE_BROWSER): {missing}")
    pytest.skip(f"browser tests skipped: {missing}")


@asynccontextmanager
async def chromium(
    width: int = 1280, height: int = 900, locale: str = "fr-FR"
) -> AsyncIterator[Any]:
    """A fresh browser and page (no state shared between tests)."""
    need_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        language = [f"--lang={locale}"]  # the browser's own words (date fields) in that language
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*ARGS, *language]
        )
        try:
            context = await browser.new_context(
                viewport={"width": width, "height": height}, locale=locale
            )
            page = await context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            await browser.close()


async def shot(page: Any, name: str, *, docs: bool = False, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    if docs and os.environ.get("FEDBOT_UPDATE_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / f"{name}.png")
    return path
