"""Console adapter: type the same commands as on Slack (`/faq ask comment adhérer ?`).

Interactive on a terminal (with line editing); when stdin is not a terminal it reads one
command per line and exits at end of input, which makes it scriptable (`--json`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from dataclasses import dataclass, replace
from typing import TextIO

from adapters.console.render import message_json, render_text, reply_json
from bot.app import BotApp
from bot.errors import ConfigError
from bot.i18n import translator
from bot.identity import Caller, ChannelRef, Place
from bot.messages import Message
from bot.outbound import Posted
from bot.spec import Role
from bot.storage.database import redacted_url

WORKSPACE = "local"


@dataclass(frozen=True)
class ConsoleOptions:
    user: str = "operator"
    role: Role = Role.ADMIN
    lang: str = "fr"
    channel: str = "general"
    json: bool = False
    agencies: tuple[str, ...] = ()  # with role moderator: the agencies moderated (none = all)


class ConsoleSender:
    """Outbound messages (announcements, reminders) are printed, marked with their target."""

    platform = "console"
    buckets = ()  # the operator's terminal has no rate limit

    def __init__(self, app: BotApp, out: TextIO, as_json: bool) -> None:
        self.app = app
        self.out = out
        self.as_json = as_json
        self._ids = itertools.count(1)

    def _print(self, target: str, message: Message) -> str:
        message_id = str(next(self._ids))
        registry = self.app.services.registry
        if self.as_json:
            payload = {
                "sent_to": target,
                "message_id": message_id,
                **message_json(message, registry),
            }
            print(json.dumps(payload, ensure_ascii=False), file=self.out, flush=True)
        else:
            print(
                f"\n[→ {target}]\n" + render_text(message, registry, prefix="  "),
                file=self.out,
                flush=True,
            )
        return message_id

    async def send(
        self,
        channel: ChannelRef,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        return Posted(channel, self._print(f"#{channel.channel_id}", message))

    async def send_dm(
        self,
        workspace: str,
        user_id: str,
        message: Message,
        *,
        key: str | None = None,
        in_doubt: bool = False,
    ) -> Posted:
        channel = ChannelRef(self.platform, workspace, f"dm-{user_id}")
        return Posted(channel, self._print(f"@{user_id}", message))

    async def delete(self, posted: Posted) -> None:
        print(
            f"[✕ #{posted.channel.channel_id} message {posted.message_id}]",
            file=self.out,
            flush=True,
        )

    async def edit(self, posted: Posted, message: Message) -> None:
        target = f"#{posted.channel.channel_id} message {posted.message_id}"
        registry = self.app.services.registry
        if self.as_json:
            payload = {"edited": target, **message_json(message, registry)}
            print(json.dumps(payload, ensure_ascii=False), file=self.out, flush=True)
            return
        text = render_text(message, registry, prefix="  ")
        print(f"\n[edited {target}]\n{text}", file=self.out, flush=True)


class ConsoleAdapter:
    def __init__(
        self,
        app: BotApp,
        options: ConsoleOptions,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.app = app
        self.options = options
        self.stdin = stdin or sys.stdin
        self.out = stdout or sys.stdout
        self.caller = Caller(
            platform="console",
            workspace=WORKSPACE,
            user_id=options.user,
            display_name=options.user,
            locale=options.lang,
            assumed_role=options.role,
        )
        self.place = Place(ChannelRef("console", WORKSPACE, options.channel))
        self.sender = ConsoleSender(app, self.out, options.json)

    async def _moderate(self) -> None:
        """`--agency`: a moderator of these agencies only, as a platform grant would make them."""
        ids = []
        for name in self.options.agencies:
            agency = await self.app.services.agencies.find(name)
            if agency is None:
                raise ConfigError(f"--agency: no agency {name!r} (see /agency list)")
            ids.append(agency.id)
        if ids:
            self.caller = replace(self.caller, assumed_agencies=frozenset(ids))

    async def run(self) -> None:
        await self._moderate()
        self.app.outbound.register(self.sender)
        interactive = self.stdin.isatty()
        if interactive:
            self._banner()
        try:
            while (line := await self._read_line(interactive)) is not None:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line in ("quit", "exit", "/quit", "/exit"):
                    break
                await self.execute(line)
        finally:
            self.app.outbound.unregister(self.sender.platform)

    async def execute(self, line: str) -> None:
        reply = await self.app.dispatcher.handle_text(self.caller, self.place, line)
        if reply is None:
            return
        registry = self.app.services.registry
        if self.options.json:
            print(reply_json(reply, registry, line), file=self.out, flush=True)
        else:
            print(render_text(reply.message, registry) + "\n", file=self.out, flush=True)

    async def _read_line(self, interactive: bool) -> str | None:
        loop = asyncio.get_running_loop()
        if interactive:
            try:
                return await loop.run_in_executor(None, input, "fedbot> ")
            except EOFError:
                return None
        line = await loop.run_in_executor(None, self.stdin.readline)
        return line if line else None

    def _banner(self) -> None:
        import readline  # noqa: F401 - line editing and history for input()

        t = translator(self.options.lang)
        print(
            t(
                "console.banner",
                user=self.options.user,
                role=t(f"core.role_name.{self.options.role.key}"),
                db=redacted_url(self.app.config.bot.database_url),
            ),
            file=self.out,
            flush=True,
        )
