"""Reading member lists (CSV) for `fedbot members import` and `fedbot members purge`.

Pure: text in, checked rows and rejected lines out. A file is *malformed* (nothing is written)
when it cannot be read as a table: not UTF-8, no header, a required column missing, broken
quoting, no workspace for its rows. A *row* is rejected (and reported with its line number)
when one of its values is wrong; the caller decides whether the other rows are imported.

Columns: platform, user_id, display_name, agency, interests (separated by `;`), opt_in, and
optionally workspace (else `--workspace`; console rows default to `local`). The delimiter is
`,` or `;`, whichever the header uses (spreadsheets in French write `;`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.i18n import Translator
from bot.options import fold
from bot.storage.agencies import name_key
from commands.profile.store.imports import ImportedMember
from commands.profile.store.profiles import Tag
from commands.profile.tags import TagError, display_tag, normalise_tag, split_tags

PLATFORMS = ("slack", "discord", "console")
IMPORT_COLUMNS = ("platform", "user_id", "display_name", "agency", "interests", "opt_in")
PURGE_COLUMNS = ("platform", "user_id")
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_YES = {"yes", "oui", "true", "vrai", "1", "y", "o", "x"}
_NO = {"no", "non", "false", "faux", "0", "n", ""}
MAX_NAME = 120
_BAD = "\x00"  # the key of a record that could not be read (no column has this name)


class Problem(Exception):
    """What is wrong, as a message key of `profile.import` and its arguments: the tool says it
    in the operator's language."""

    def __init__(self, key: str, **kwargs: Any) -> None:
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs

    def describe(self, t: Translator) -> str:
        return t(f"profile.import.{self.key}", **self.kwargs)


class MalformedFile(Problem):
    """The file cannot be read as a member list."""


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    problem: Problem

    def describe(self, t: Translator) -> str:
        return t("profile.import.at_line", line=self.line, problem=self.problem.describe(t))


@dataclass(frozen=True, slots=True)
class Identity:
    platform: str
    workspace: str
    user_id: str


@dataclass(frozen=True, slots=True)
class MemberFile:
    rows: tuple[ImportedMember, ...]
    rejected: tuple[Rejected, ...]


class _RowError(Problem):
    """One row is wrong; the others may still be imported."""


def _records(
    text: str, required: tuple[str, ...], workspace: str | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) for each record; raises MalformedFile."""
    text = text.removeprefix("\ufeff")
    header = text.split("\n", 1)[0]
    if not header.strip():
        raise MalformedFile("empty")
    delimiter = "," if header.count(",") >= header.count(";") else ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        columns = [c.strip().lower() for c in next(reader)]
        twice = sorted({c for c in columns if columns.count(c) > 1})
        if twice:
            raise MalformedFile("columns_twice", n=len(twice), columns=", ".join(twice))
        missing = [c for c in required if c not in columns]
        if missing:
            raise MalformedFile("columns_missing", n=len(missing), columns=", ".join(missing))
        if "workspace" not in columns and workspace is None:
            _need_workspace_for(text, columns, delimiter)
        for values in reader:
            if not any(v.strip() for v in values):
                continue  # a blank line
            if len(values) != len(columns):
                yield reader.line_num, {_BAD: f"{len(values)}/{len(columns)}"}
                continue
            yield reader.line_num, dict(zip(columns, (v.strip() for v in values), strict=True))
    except csv.Error as exc:
        raise MalformedFile("unreadable", line=reader.line_num, detail=str(exc)) from None


def _need_workspace_for(text: str, columns: list[str], delimiter: str) -> None:
    """Without a workspace column or --workspace, only console rows can be placed."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)
    index = columns.index("platform")
    for values in reader:
        if len(values) > index and values[index].strip().lower() in ("slack", "discord"):
            raise MalformedFile("no_workspace")


def read_import(text: str, agencies: Mapping[str, int], workspace: str | None = None) -> MemberFile:
    """Rows of an import file. `agencies` maps `name_key(name)` to agency ids."""
    rows: list[ImportedMember] = []
    rejected: list[Rejected] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, record in _records(text, IMPORT_COLUMNS, workspace):
        try:
            row = _member(record, agencies, workspace)
            first = seen.setdefault(row.identity, line)
            if first != line:
                raise _RowError("same_member", line=first)
        except _RowError as err:
            rejected.append(Rejected(line, err))
            continue
        rows.append(row)
    return MemberFile(tuple(rows), tuple(rejected))


def read_purge(text: str, workspace: str | None = None) -> tuple[list[Identity], list[Rejected]]:
    found: dict[Identity, None] = {}
    rejected: list[Rejected] = []
    for line, record in _records(text, PURGE_COLUMNS, workspace):
        try:
            found.setdefault(_identity(record, workspace), None)
        except _RowError as err:
            rejected.append(Rejected(line, err))
    return list(found), rejected


def _identity(record: Mapping[str, str], default_workspace: str | None) -> Identity:
    if _BAD in record:
        got, expected = record[_BAD].split("/")
        raise _RowError("field_count", n=int(expected), got=int(got))
    for column, value in record.items():
        if any(unicodedata.category(c) == "Cc" for c in value):
            raise _RowError("control_character", column=column)
    platform = record["platform"].lower()
    if platform not in PLATFORMS:
        known = ", ".join(PLATFORMS)
        raise _RowError("unknown_platform", value=record["platform"][:20], known=known)
    user_id = record["user_id"]
    if not _ID.match(user_id):
        raise _RowError("bad_user_id", value=user_id[:40])
    workspace = record.get("workspace") or default_workspace
    if not workspace and platform == "console":
        workspace = "local"
    if not workspace or not _ID.match(workspace):
        raise _RowError("bad_workspace", value=(workspace or "")[:40])
    return Identity(platform, workspace, user_id)


def _member(
    record: Mapping[str, str], agencies: Mapping[str, int], workspace: str | None
) -> ImportedMember:
    who = _identity(record, workspace)
    name = record["display_name"]
    if len(name) > MAX_NAME:
        raise _RowError("name_too_long", n=MAX_NAME)
    agency_id = None
    if record["agency"]:
        agency_id = agencies.get(name_key(record["agency"]))
        if agency_id is None:
            raise _RowError("unknown_agency", value=record["agency"][:60])
    return ImportedMember(
        who.platform,
        who.workspace,
        who.user_id,
        name,
        agency_id,
        _opt_in(record["opt_in"]),
        _tags(record["interests"]),
    )


def _opt_in(value: str) -> bool:
    word = fold(value)
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise _RowError("bad_opt_in", value=value[:20])


def _tags(text: str) -> tuple[Tag, ...]:
    try:
        return tuple(Tag(normalise_tag(s), display_tag(s)[:40]) for s in split_tags(text))
    except TagError as err:
        raise _RowError(f"tag_{err.reason}", value=err.tag[:50]) from None
