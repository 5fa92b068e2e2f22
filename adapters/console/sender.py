"""What the bot sends without being asked (announcements, reminders, progress, DMs), printed
in the console, marked with its target: `[→ #rennes]`, `[→ @alice]`, `[modifié : …]`."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable

from adapters.console.files import FileFolder
from adapters.console.render import message_json, render_text
from bot.app import BotApp
from bot.i18n import translator
from bot.identity import ChannelRef
from bot.messages import Message
from bot.outbound import Posted

log = logging.getLogger(__name__)

Print = Callable[[str], None]


class ConsoleSender:
    platform = "console"
    buckets = ()  # the operator's terminal has no rate limit

    def __init__(
        self, app: BotApp, write: Print, as_json: bool, lang: str, files: FileFolder
    ) -> None:
        self.app = app
        self.write = write
        self.as_json = as_json
        self.lang = lang
        self.files = files
        self._ids = itertools.count(1)

    def save(self, message: Message) -> dict[str, str]:
        """The message's attachments written to the files folder (paths by filename); a
        folder that cannot be written is said once per message, the reply still shows."""
        try:
            return self.files.save(message)
        except OSError as exc:
            t = translator(self.lang)
            self.write(t("console.files_error", folder=self.files.folder, error=exc.strerror))
            return {}

    def _print(self, target: str, message: Message) -> str:
        message_id = str(next(self._ids))
        registry = self.app.services.registry
        saved = self.save(message)
        if self.as_json:
            payload = {
                "sent_to": target,
                "message_id": message_id,
                **message_json(message, registry, self.lang, saved),
            }
            self.write(json.dumps(payload, ensure_ascii=False))
        else:
            text = render_text(message, registry, prefix="  ", lang=self.lang, saved=saved)
            self.write(f"\n[→ {target}]\n{text}")
        return message_id

    # A terminal keeps no history to look in: a key is accepted and a send in doubt printed.
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

    def _target(self, posted: Posted) -> str:
        t = translator(self.lang)
        return t(
            "console.message_ref", channel=f"#{posted.channel.channel_id}", id=posted.message_id
        )

    async def delete(self, posted: Posted) -> None:
        t = translator(self.lang)
        if self.as_json:
            self.write(json.dumps({"deleted": self._target(posted)}, ensure_ascii=False))
            return
        self.write(t("console.deleted", target=self._target(posted)))

    async def edit(self, posted: Posted, message: Message) -> None:
        registry = self.app.services.registry
        target = self._target(posted)
        if self.as_json:
            payload = {"edited": target, **message_json(message, registry, self.lang)}
            self.write(json.dumps(payload, ensure_ascii=False))
            return
        text = render_text(message, registry, prefix="  ", lang=self.lang)
        t = translator(self.lang)
        self.write(f"\n{t('console.edited', target=target)}\n{text}")
