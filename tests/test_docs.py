"""The README stays short and keeps the two commands CI and newcomers rely on; the MkDocs site's
nav and the README's links into docs/ point at pages that exist; the configuration reference
lists every key with its default. (`mkdocs build --strict` itself runs in .ci/run.)"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import AgencySeed, Config

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"

RUN_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[semantic]'"
    " && .venv/bin/fedbot run --demo"
)
TEST_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/pytest"
# Inline links and images: [text](target) — the target up to a space or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def _readme_lines() -> list[str]:
    return README.read_text("utf-8").splitlines()


def test_readme_is_short() -> None:
    assert len(_readme_lines()) <= 220


@pytest.mark.parametrize(
    ("marker", "command"),
    [("<!-- run-command -->", RUN_COMMAND), ("<!-- test-command -->", TEST_COMMAND)],
)
def test_readme_keeps_each_command_right_after_its_marker(marker: str, command: str) -> None:
    """.ci/run takes the second line after the marker (awk: getline; getline), inside a sh
    fence: the marker, the fence, the command, the closing fence."""
    lines = _readme_lines()
    assert lines.count(marker) == 1, f"{marker} must appear exactly once"
    at = lines.index(marker)
    assert lines[at + 1 : at + 4] == ["```sh", command, "```"]


class _NavLoader(yaml.SafeLoader):
    """mkdocs.yml may hold `!!python/name:` or `!ENV` tags: read them as plain values."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_NavLoader.add_multi_constructor("!", _any_tag)
_NavLoader.add_multi_constructor("tag:yaml.org,2002:python/", _any_tag)


def _nav_pages(nav: Any) -> list[str]:
    if isinstance(nav, str):
        return [] if "://" in nav else [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in _nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in _nav_pages(value)]
    return []


def _mkdocs() -> dict[str, Any]:
    return yaml.load((ROOT / "mkdocs.yml").read_text("utf-8"), Loader=_NavLoader)


def test_every_page_in_the_nav_exists() -> None:
    config = _mkdocs()
    docs_dir = ROOT / config.get("docs_dir", "docs")
    pages = _nav_pages(config["nav"])
    assert pages, "mkdocs.yml has an empty nav"
    missing = [page for page in pages if not (docs_dir / page).is_file()]
    assert missing == []
    assert len(pages) == len(set(pages)), "a page is listed twice in the nav"


def test_every_page_is_in_the_nav() -> None:
    pages = set(_nav_pages(_mkdocs()["nav"]))
    on_disk = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert sorted(on_disk - pages) == []


def test_readme_links_into_docs_resolve() -> None:
    targets = LINK.findall(README.read_text("utf-8"))
    into_docs = [t for t in targets if t.split("#", 1)[0].startswith(("docs/", "./docs/"))]
    assert into_docs, "the README links to no page of docs/"
    broken = [t for t in into_docs if not (ROOT / t.split("#", 1)[0]).is_file()]
    assert broken == []


def _toml(value: Any) -> str:
    if value is None:  # a key TOML cannot set to "nothing": left out of the file
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return repr(value)


def _section(text: str, anchor: str) -> str:
    """The body of the configuration page's heading with this explicit id, up to the next."""
    match = re.search(rf"^## .*\{{#{re.escape(anchor)}\}}\s*$", text, re.M)
    assert match, f"docs/configuration.md has no section {{#{anchor}}}"
    rest = text[match.end() :]
    following = re.search(r"^## ", rest, re.M)
    return rest[: following.start()] if following else rest


def test_the_configuration_reference_lists_every_key_with_its_default() -> None:
    text = (DOCS / "configuration.md").read_text("utf-8")
    wrong = []
    for section in fields(Config):
        if section.name in ("secrets", "agencies"):
            continue
        body = _section(text, section.name)
        settings = section.default_factory()  # type: ignore[misc]
        for key in fields(settings):
            expected = f"| `{key.name}` | `{_toml(getattr(settings, key.name))}` |"
            if expected not in body:
                wrong.append(f"{section.name}.{key.name}: expected a row {expected}")
    agencies = _section(text, "agencies")
    for key in fields(AgencySeed):
        if f"| `{key.name}` |" not in agencies:
            wrong.append(f"agencies.{key.name}")
    assert wrong == []
