"""All command specs, looked up by path (canonical or French name) and by action id."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from bot.spec import CommandSpec, GroupSpec
from bot.textargs import split_path

if TYPE_CHECKING:
    from bot.roles import Access


class Registry:
    def __init__(self) -> None:
        self.groups: dict[str, GroupSpec] = {}
        self.commands: dict[tuple[str, ...], CommandSpec] = {}
        self._aliases: dict[tuple[str, ...], CommandSpec] = {}
        self._group_aliases: dict[str, str] = {}
        self._by_action: dict[str, CommandSpec] = {}

    def add_group(self, group: GroupSpec) -> None:
        for name in filter(None, (group.name, group.fr_name)):
            if name in self._group_aliases or (name,) in self._aliases:
                raise ValueError(f"duplicate group {name!r}")
            self._group_aliases[name] = group.name
        self.groups[group.name] = group

    def add(self, spec: CommandSpec) -> None:
        if len(spec.path) == 2 and spec.path[0] not in self.groups:
            raise ValueError(f"{spec.name}: declare group {spec.path[0]!r} first")
        if len(spec.path) == 1 and spec.path[0] in self._group_aliases:
            raise ValueError(f"{spec.name}: clashes with a group")
        for path in self._paths(spec):
            if path in self._aliases:
                raise ValueError(f"duplicate command {' '.join(path)!r}")
            self._aliases[path] = spec
        self.commands[spec.path] = spec
        self._by_action[spec.action_id] = spec

    def add_all(self, groups: Iterable[GroupSpec], specs: Iterable[CommandSpec]) -> None:
        for group in groups:
            self.add_group(group)
        for spec in specs:
            self.add(spec)

    def _paths(self, spec: CommandSpec) -> Iterator[tuple[str, ...]]:
        yield spec.path
        if spec.fr_name:
            yield (*spec.path[:-1], spec.fr_name)
        group = self.groups.get(spec.path[0]) if len(spec.path) == 2 else None
        if group and group.fr_name:
            yield (group.fr_name, spec.path[1])
            if spec.fr_name:
                yield (group.fr_name, spec.fr_name)

    def resolve(self, words: list[str]) -> tuple[CommandSpec | None, int]:
        """The command named by the first one or two words, and how many words it used."""
        if len(words) >= 2 and (spec := self._aliases.get((words[0], words[1]))):
            return spec, 2
        if words and (spec := self._aliases.get((words[0],))):
            return spec, 1
        return None, 0

    def is_group(self, word: str) -> bool:
        return word in self._group_aliases

    def group_commands(self, word: str) -> list[CommandSpec]:
        name = self._group_aliases.get(word, word)
        return [s for p, s in self.commands.items() if p[0] == name and len(p) == 2]

    def by_action(self, action_id: str) -> CommandSpec | None:
        return self._by_action.get(action_id)

    def message_actions(self) -> list[CommandSpec]:
        """The commands offered in a chat message's menu (adapters render them natively)."""
        return [s for s in self.commands.values() if s.message_action is not None]

    def visible(self, access: Access) -> list[CommandSpec]:
        return [s for s in self.commands.values() if not s.hidden and access.may(s.role)]

    def suggest(self, text: str, lang: str = "en") -> str | None:
        """The closest command to what was typed, named in `lang` (French or English names
        are both matched)."""
        names = {" ".join(p): s for p, s in self._aliases.items() if not s.hidden}
        close = difflib.get_close_matches(text.lower(), list(names), n=1, cutoff=0.6)
        return self.label(names[close[0]], lang) if close else None

    def group_label(self, name: str, lang: str) -> str:
        group = self.groups.get(name)
        return group.fr_name if lang == "fr" and group and group.fr_name else name

    def label(self, spec: CommandSpec, lang: str) -> str:
        """The command's name as a `lang` speaker types it: `evenement creer` in French."""
        if lang != "fr":
            return spec.name
        words = [*spec.path[:-1], spec.fr_name or spec.path[-1]]
        if len(spec.path) == 2:
            words[0] = self.group_label(spec.path[0], lang)
        return " ".join(words)

    def usage(self, spec: CommandSpec, lang: str) -> str:
        return spec.usage(lang, self.label(spec, lang))

    def localise(self, line: str, lang: str) -> str:
        """A command line (an example, a button's command) with the command and option names
        of `lang`; values are left as written. A line naming no command is returned as is."""
        words, tokens, source = split_path(line)
        spec, used = self.resolve(words)
        if spec is None:
            return line
        head = line[: len(line) - len(line.lstrip())] + ("/" if line.lstrip()[:1] == "/" else "")
        pieces = [head + self.label(spec, lang)]
        cursor = tokens[used - 1].end
        for token in tokens[used:]:
            opt = spec.option(token.key) if token.key else None
            pieces.append(source[cursor : token.start])
            if opt is None:
                pieces.append(source[token.start : token.end])
            else:
                name = opt.display_name(lang)
                pieces.append(name + source[token.start + len(token.key or "") : token.end])
            cursor = token.end
        return "".join(pieces) + source[cursor:]
