"""`fedbot faq import FILE` / `fedbot faq export FILE`: the knowledge base as YAML; and
`fedbot faq reindex`: every entry's sentence vectors encoded again and stored.

The file is a list of mappings:

    - id: 1                      # optional: re-importing updates entry 1 instead of adding
      lang: fr                   # optional, fr (default) or en
      question: Comment adhérer à la fédération ?
      answer: Remplissez le formulaire d'adhésion…
      tags: [adhésion, membre]   # optional (a list, or one comma-separated string)
      variants: [Comment devenir membre ?]      # optional
      translations:              # optional: the entry in the other language
        en: {question: How do we join?, answer: Fill in the membership form…}

A file is checked whole before anything is written, then imported in one transaction: a
mistake anywhere refuses the file with the line of the mistake and changes nothing. Parsing is
YAML's safe subset (`yaml.SafeLoader`: no Python objects), walked node by node so that every
problem knows its line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml

from bot.app import BotApp
from bot.clock import SystemClock
from bot.errors import UserError
from bot.feature import CliTool, CommonOptions
from bot.i18n import Translator, translator
from commands.faq.drafts import (
    check_answer,
    check_lang,
    check_question,
    check_tags,
    check_variants,
    make_draft,
    split_list,
)
from commands.faq.encoder import encoder_key
from commands.faq.store.entries import EntryDraft, FaqEntry, FaqRepo, ImportCounts

FIELDS = ("id", "lang", "question", "answer", "tags", "variants", "translations")
REQUIRED = ("question", "answer")
ID_MAX = 2**31 - 1
T = TypeVar("T")


class ImportProblem(Exception):
    """Why a file was refused, and where (1-based line)."""

    def __init__(self, line: int, message: str, /, **kwargs: Any) -> None:
        super().__init__(f"line {line}: {message}")
        self.line, self.message, self.kwargs = line, message, kwargs

    def describe(self, t: Translator) -> str:
        return t("faq.import.at_line", line=self.line, problem=t(self.message, **self.kwargs))


def parse_entries(text: str) -> list[tuple[int | None, EntryDraft]]:
    """Every entry of the file, checked; `ImportProblem` at the first mistake."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return []
        if not isinstance(root, yaml.SequenceNode):
            raise _problem(root, "faq.import.not_a_list")
        entries = [_entry(node, loader) for node in root.value]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ImportProblem(line, "faq.import.syntax", detail=exc.problem or "") from None
    finally:
        loader.dispose()
    _check_unique_ids(entries, root.value)
    return [(entry_id, draft) for entry_id, draft in entries]


def _problem(node: yaml.Node, message: str, /, **kwargs: Any) -> ImportProblem:
    return ImportProblem(node.start_mark.line + 1, message, **kwargs)


def _mapping(node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise _problem(node, "faq.import.not_a_mapping", what=what)
    found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            raise _problem(key_node, "faq.import.bad_key")
        if key in found:
            raise _problem(key_node, "faq.import.duplicate_key", key=key)
        found[key] = (key_node, value_node)
    return found


def _entry(node: yaml.Node, loader: yaml.SafeLoader) -> tuple[int | None, EntryDraft]:
    fields = _mapping(node, "entry")
    for key, (key_node, _) in fields.items():
        if key not in FIELDS:
            raise _problem(key_node, "faq.import.unknown_field", key=key, known=", ".join(FIELDS))
    for key in REQUIRED:
        if key not in fields:
            raise _problem(node, "faq.import.missing_field", key=key)
    values = {key: _value(value_node, key, loader) for key, (_, value_node) in fields.items()}
    at = {key: value_node for key, (_, value_node) in fields.items()}
    # Each field checked where it is written, so that a problem points at its own line.
    lang = _checked(at.get("lang", node), check_lang, values.get("lang") or "fr")
    question = _checked(at["question"], check_question, values["question"])
    answer = _checked(at["answer"], check_answer, values["answer"])
    variants = _checked(
        at.get("variants", node), check_variants, _strings(values.get("variants"), "|;"), question
    )
    tags = _checked(at.get("tags", node), check_tags, _strings(values.get("tags"), ",;"))
    translations = _translations(at["translations"], loader) if "translations" in at else {}
    entry_id = _id(at["id"], values["id"]) if "id" in at else None
    return entry_id, _checked(
        at.get("translations", node),
        make_draft,
        lang,
        question,
        answer,
        variants,
        tags,
        translations,
    )


def _checked(node: yaml.Node, check: Callable[..., T], *args: Any) -> T:
    try:
        return check(*args)
    except UserError as err:
        raise _problem(node, err.key, **err.kwargs) from None


def _value(node: yaml.Node, key: str, loader: yaml.SafeLoader) -> Any:
    """Plain values only: a scalar (id, texts) or a list of scalars (tags, variants)."""
    if key == "translations":
        return None  # read by _translations
    if isinstance(node, yaml.SequenceNode) and key in ("tags", "variants"):
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                raise _problem(item, "faq.import.not_text", key=key)
        return [str(loader.construct_object(item)) for item in node.value]
    if not isinstance(node, yaml.ScalarNode):
        raise _problem(node, "faq.import.not_text", key=key)
    value = loader.construct_object(node)
    if key != "id" and not isinstance(value, str):
        if value is None or isinstance(value, bool):
            raise _problem(node, "faq.import.not_text", key=key)
        value = str(value)  # `question: 2026` is text that looks like a number
    return value


def _id(node: yaml.Node, value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
        raise _problem(node, "faq.import.bad_id")
    return value


def _strings(value: Any, seps: str) -> list[str]:
    if value is None:
        return []
    return value if isinstance(value, list) else split_list(value, seps)


def _translations(node: yaml.Node, loader: yaml.SafeLoader) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for lang, (key_node, value_node) in _mapping(node, "translations").items():
        fields = _mapping(value_node, "translation")
        for key, (inner_key, _) in fields.items():
            if key not in REQUIRED:
                raise _problem(
                    inner_key, "faq.import.unknown_field", key=key, known="question, answer"
                )
        for key in REQUIRED:
            if key not in fields:
                raise _problem(value_node, "faq.import.missing_field", key=key)
        question, answer = (_value(fields[k][1], k, loader) for k in REQUIRED)
        _checked(key_node, check_lang, lang)
        found[lang] = (
            _checked(fields["question"][1], check_question, question),
            _checked(fields["answer"][1], check_answer, answer),
        )
    return found


def _check_unique_ids(entries: list[tuple[int | None, EntryDraft]], nodes: list[yaml.Node]) -> None:
    seen: set[int] = set()
    for (entry_id, _), node in zip(entries, nodes, strict=True):
        if entry_id is not None and entry_id in seen:
            raise _problem(node, "faq.import.duplicate_id", id=entry_id)
        if entry_id is not None:
            seen.add(entry_id)


async def import_text(repo: FaqRepo, text: str, now: datetime) -> ImportCounts:
    """Check the whole text, then write it in one transaction (ImportProblem: nothing written)."""
    return await repo.import_drafts(parse_entries(text), now)


# --- export ----------------------------------------------------------------------------


def export_text(entries: list[FaqEntry]) -> str:
    """The file `import_text` reads back unchanged (ids included)."""
    return yaml.safe_dump(list(_exported(entries)), allow_unicode=True, sort_keys=False, width=100)


def _exported(entries: list[FaqEntry]) -> Iterator[dict[str, Any]]:
    for entry in entries:
        d = entry.draft
        item: dict[str, Any] = {
            "id": entry.id,
            "lang": d.lang,
            "question": d.question,
            "answer": d.answer,
        }
        if d.tags:
            item["tags"] = list(d.tags)
        if d.variants:
            item["variants"] = list(d.variants)
        if d.translations:
            item["translations"] = {
                lang: {"question": q, "answer": a}
                for lang, (q, a) in sorted(d.translations.items())
            }
        yield item


# --- the CLI ---------------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser, common: CommonOptions) -> None:
    tools = parser.add_subparsers(dest="faq_command", required=True)
    helps = {
        "import": "add or update FAQ entries from a YAML file (by id); a file with a mistake "
        "is refused whole",
        "export": "write every FAQ entry to a YAML file (- for standard output)",
    }
    for name, help_text in helps.items():
        tool = tools.add_parser(name, help=help_text, description=help_text)
        common(tool)
        tool.add_argument("file", type=Path, help="the YAML file (UTF-8)")
    reindex = "encode every entry again with the configured sentence encoder and store the vectors"
    common(tools.add_parser("reindex", help=reindex, description=reindex))


async def faq_command(app: BotApp, args: argparse.Namespace) -> int:
    """`fedbot faq import|export FILE`; the exit code (1: file refused, 2: unreadable)."""
    t = translator(app.config.bot.default_locale)
    repo = app.services.get(FaqRepo)
    if args.faq_command == "reindex":
        written = await repo.reindex()
        print(t("faq.import.reindexed", n=written, encoder=encoder_key(repo.encoder)))
        return 0
    if args.faq_command == "export":
        return await _export(repo, args.file, t)
    return await _import(repo, args.file, t)


FAQ_TOOL = CliTool(
    "faq",
    "FAQ tools: import or export the entries as YAML, re-encode their vectors",
    configure,
    faq_command,
)


async def _export(repo: FaqRepo, path: Path, t: Translator) -> int:
    entries = await repo.all()
    text = export_text(entries)
    if str(path) == "-":
        sys.stdout.write(text)
        return 0
    try:
        path.write_text(text, "utf-8")
    except OSError as exc:  # no such folder, a folder given as the file, no permission
        print(t("cli.file_write", path=path, error=exc.strerror or exc), file=sys.stderr)
        return 2
    print(t("faq.import.exported", n=len(entries), path=path))
    return 0


async def _import(repo: FaqRepo, path: Path, t: Translator) -> int:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        print(t("cli.file_read", path=path, error=exc.strerror or exc), file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        print(t("cli.file_read", path=path, error=exc.reason), file=sys.stderr)
        return 2
    try:
        counts = await import_text(repo, text, SystemClock().now())
    except ImportProblem as problem:
        print(t("faq.import.refused", path=path, problem=problem.describe(t)), file=sys.stderr)
        return 1
    print(
        t(
            "faq.import.done",
            path=path,
            created=t("faq.import.created", n=counts.created),
            updated=t("faq.import.updated", n=counts.updated),
            unchanged=t("faq.import.unchanged", n=counts.unchanged),
        )
    )
    return 0
