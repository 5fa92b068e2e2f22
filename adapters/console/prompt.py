"""The interactive console (a terminal): line editing, Tab completion of command and option
names, a history kept between sessions, and messages arriving later (DMs, a broadcast's
progress) printed above the prompt, which is then drawn again.

Ctrl-C clears the line; a second Ctrl-C on an empty line, or Ctrl-D, leaves on a new line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout

from bot.registry import Registry
from bot.roles import Access
from bot.textargs import split_path

if TYPE_CHECKING:
    from adapters.console.adapter import ConsoleAdapter

PROMPT = "fedbot> "


class CommandCompleter(Completer):
    """Commands, then sub-commands, then `option:` names, in the caller's language (the
    other language's names are offered too: both are typed)."""

    def __init__(self, registry: Registry, access: Access, lang: str) -> None:
        self.registry = registry
        self.specs = registry.visible(access)
        self.lang = lang

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        text = document.text_before_cursor
        word = text.split(" ")[-1]
        before = text[: len(text) - len(word)]
        try:
            words, tokens, _ = split_path(before)
        except Exception:  # an open quote: nothing sensible to offer
            return
        for candidate in self._candidates(before, words, len(tokens)):
            if candidate.startswith(word.lstrip("/") if not before.strip() else word):
                prefix = "/" if not before.strip() and word.startswith("/") else ""
                yield Completion(prefix + candidate, start_position=-len(word))

    def _candidates(self, before: str, words: list[str], typed: int) -> list[str]:
        if not before.strip():
            return sorted({self.registry.label(s, self.lang).split()[0] for s in self.specs})
        if typed == 1 and self.registry.is_group(words[0]):
            subs = self.registry.group_commands(words[0])
            return sorted(
                self.registry.label(s, self.lang).split()[-1] for s in subs if s in self.specs
            )
        spec, _ = self.registry.resolve(words)
        if spec is None:
            return []
        names = [o.display_name(self.lang) for o in spec.options]
        return [f"{name}:" for name in names]


class InteractiveConsole:
    def __init__(self, console: ConsoleAdapter, history: History | None = None) -> None:
        self.console = console
        options = console.options
        if history is None:
            history = FileHistory(str(options.history)) if options.history else InMemoryHistory()
        access = console.app.dispatcher.access_for(console.caller)
        self.session: PromptSession[str] = PromptSession(
            history=history,
            completer=CommandCompleter(console.app.services.registry, access, options.lang),
            complete_while_typing=False,
        )

    async def run(self) -> None:
        console = self.console
        if console.options.history is not None:
            console.options.history.parent.mkdir(parents=True, exist_ok=True)
        with patch_stdout(raw=True):
            console.write(console.banner())
            interrupted = False
            while True:
                try:
                    line = await self.session.prompt_async(PROMPT)
                except KeyboardInterrupt:
                    if interrupted:  # twice in a row on an empty prompt: leave
                        break
                    interrupted = True
                    continue
                except EOFError:
                    break
                interrupted = False
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line in ("quit", "exit", "/quit", "/exit"):
                    break
                await console.execute(line)
        console.write("")  # leave on a new line, never after the prompt
