"""Console adapter: type the same commands as on Slack (`/faq ask comment adhérer ?`).

Interactive on a terminal (`adapters.console.prompt`: completion, history, Ctrl-C); when stdin
is not a terminal it reads one command per line and exits at end of input, which makes it
scriptable (`--json`). Input that is not UTF-8 is read with replacement characters rather than
refused. A piped run waits for the sends a command queued (an announcement's copies) before
the next line, and for any left at the end, within a bound, so a script loses no work.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from adapters.console.files import DEFAULT_FOLDER, FileFolder
from adapters.console.render import render_text, reply_json
from adapters.console.sender import ConsoleSender
from bot.app import BotApp
from bot.errors import ConfigError
from bot.i18n import translator
from bot.identity import Caller, ChannelRef, Place
from bot.spec import Role
from bot.storage.database import redacted_url

WORKSPACE = "local"
COMMAND_SETTLE = 30.0  # s a piped command may wait for the sends it queued
FINAL_SETTLE = 120.0  # s the end of input may wait for the sends still queued
_QUIT = ("quit", "exit", "/quit", "/exit")


@dataclass(frozen=True)
class ConsoleOptions:
    user: str = "operator"
    role: Role = Role.ADMIN
    lang: str = "fr"
    channel: str = "general"
    json: bool = False
    agencies: tuple[str, ...] = ()  # with role moderator: the agencies moderated (none = all)
    files: Path = DEFAULT_FOLDER  # where attachments are written
    history: Path | None = None  # the interactive prompt's history file (none: not kept)


class ConsoleAdapter:
    def __init__(
        self,
        app: BotApp,
        options: ConsoleOptions,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.app = app
        self.options = options
        self.stdin = stdin or sys.stdin
        self._out = stdout
        self.err = stderr or sys.stderr
        self.caller = Caller(
            platform="console",
            workspace=WORKSPACE,
            user_id=options.user,
            display_name=options.user,
            locale=options.lang,
            assumed_role=options.role,
        )
        self.place = Place(ChannelRef("console", WORKSPACE, options.channel))
        files = FileFolder(options.files)
        self.sender = ConsoleSender(app, self.write, options.json, options.lang, files)

    @property
    def out(self) -> TextIO:
        """The terminal, looked up at each print: the interactive prompt swaps sys.stdout for
        a proxy that prints above the prompt and draws it again."""
        return self._out or sys.stdout

    def write(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def _moderate(self) -> None:
        """`--agency`: a moderator of these agencies only, as a platform grant would make them."""
        ids = []
        for name in self.options.agencies:
            agency = await self.app.services.agencies.find(name)
            if agency is None:
                t = translator(self.options.lang)
                raise ConfigError(t("console.no_agency", name=name))
            ids.append(agency.id)
        if ids:
            self.caller = replace(self.caller, assumed_agencies=frozenset(ids))

    async def run(self) -> None:
        await self._moderate()
        self.app.outbound.register(self.sender)
        try:
            if self.stdin.isatty() and self.out.isatty():
                from adapters.console.prompt import InteractiveConsole

                await InteractiveConsole(self).run()
            else:
                await self._run_piped()
        finally:
            self.app.outbound.unregister(self.sender.platform)

    async def _run_piped(self) -> None:
        read = _lenient_lines(self.stdin)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, read):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line in _QUIT:
                break
            await self.execute(line)
            await self.app.settle(COMMAND_SETTLE)
        await self.drain()

    async def drain(self) -> None:
        """End of input: the queued sends go out before the bot stops, with a progress line
        on stderr while they do (bounded: what is left is sent at the next start)."""
        t = translator(self.options.lang)
        shown: list[int] = []

        def progress(pending: int) -> None:
            if not shown or shown[-1] != pending:
                shown.append(pending)
                print(t("console.draining", n=pending), file=self.err, flush=True)

        left = await self.app.settle(FINAL_SETTLE, progress)
        if left:
            print(t("console.drain_left", n=left), file=self.err, flush=True)

    async def execute(self, line: str) -> None:
        reply = await self.app.dispatcher.handle_text(self.caller, self.place, line)
        if reply is None:
            return
        registry, lang = self.app.services.registry, self.options.lang
        saved = self.sender.save(reply.message)
        if self.options.json:
            self.write(reply_json(reply, registry, line, lang, saved))
        else:
            self.write(render_text(reply.message, registry, lang=lang, saved=saved) + "\n")

    def banner(self) -> str:
        t = translator(self.options.lang)
        return t(
            "console.banner",
            user=self.options.user,
            role=t(f"core.role_name.{self.options.role.key}"),
            db=redacted_url(self.app.config.bot.database_url),
        )


def _lenient_lines(stdin: TextIO) -> Callable[[], str]:
    """A readline over stdin's bytes decoded as UTF-8 with replacement characters: a line in
    Latin-1 (`caf\\xe9`) becomes `caf�`, never an error."""
    buffer = getattr(stdin, "buffer", None)
    if buffer is None:  # already text (a StringIO in tests)
        return stdin.readline
    return io.TextIOWrapper(buffer, encoding="utf-8", errors="replace").readline
