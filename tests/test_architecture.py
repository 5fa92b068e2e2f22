"""The structure shows the design, and stays that way:

- the core knows no platform and no feature: nothing under bot/ imports commands/, adapters/ or
  fedbot/ (not even inside a function), nor a chat SDK;
- a feature imports no adapter and no chat SDK;
- no import cycle among modules at import time (function-local and TYPE_CHECKING imports
  aside);
- no module of the product over about 400 lines.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("bot", "commands", "adapters", "fedbot")
SDK = ("slack_bolt", "slack_sdk", "slack", "discord")
MAX_LINES = 420  # "about 400"


def modules(*folders: str) -> Iterator[tuple[str, Path]]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def imports(path: Path, *, top_level_only: bool) -> set[str]:
    """Modules imported by `path`; with `top_level_only`, those run at import time."""
    tree = ast.parse(path.read_text("utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    nodes = _top_level(tree.body) if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Try | ast.If):
            yield from _top_level(node.body)
            yield from _top_level(getattr(node, "orelse", []))
            continue
        yield node


def test_core_imports_no_feature_no_adapter_no_sdk() -> None:
    offenders = {
        name: sorted(
            i
            for i in imports(path, top_level_only=False)
            if i.split(".")[0] in ("commands", "adapters", "fedbot", *SDK)
        )
        for name, path in modules("bot")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_features_import_no_adapter_and_no_sdk() -> None:
    offenders = {
        name: sorted(
            i
            for i in imports(path, top_level_only=False)
            if i.split(".")[0] in ("adapters", "fedbot", *SDK)
        )
        for name, path in modules("commands")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_import_cycles() -> None:
    known = dict(modules(*PRODUCT))
    graph = {
        name: {i for i in imports(path, top_level_only=True) if i in known and i != name}
        for name, path in known.items()
    }
    cycles = _cycles(graph)
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles[:5])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_is_too_long() -> None:
    long = {
        name: n
        for name, path in modules(*PRODUCT)
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_adapters_are_imported_by_full_name() -> None:
    """`import adapters.discord` style only: a bare `import discord` inside adapters/discord
    must mean the library, never our package."""
    for path in (ROOT / "adapters").rglob("*.py"):
        text = path.read_text("utf-8")
        assert not re.search(r"^\s*from\s+\.", text, re.M), f"relative import in {path}"
