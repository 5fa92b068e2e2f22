"""The one road every command takes: throttle -> resolve -> role -> options -> handler -> Reply.

Adapters hand over an invocation (free text, or a path with typed options, or a button's
action id) and get back a platform-neutral `Reply`, or None when nothing must be shown (a
throttled user who was already warned). This is the only place with a broad `except`:
a bug becomes a log line with a reference id and a polite message, never a traceback in chat.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.access import RoleBook, Throttle
from bot.context import CommandContext
from bot.errors import UserError
from bot.i18n import Translator, normalise_lang, translator
from bot.identity import Caller, Place
from bot.listeners import ChannelMessage, Listener
from bot.messages import Reply, parse_action_value
from bot.options import OptionConverter
from bot.services import Services
from bot.spec import CommandSpec, Role
from bot.textargs import bind_options, split_path

log = logging.getLogger(__name__)

UNTHROTTLED_PLATFORMS = frozenset({"console"})


def _parse_date(text: str, now: datetime, tz: ZoneInfo, lang: str) -> datetime:
    from bot.dates import parse_when  # imported lazily: only date options need it

    return parse_when(text, now=now, tz=tz, lang=lang)


class Dispatcher:
    def __init__(
        self,
        services: Services,
        throttle: Throttle | None = None,
        listeners: list[Listener] | None = None,
    ) -> None:
        self.services = services
        self.listeners = listeners or []
        self.registry = services.registry
        self.roles = RoleBook(services.config.roles)
        self.throttle = throttle
        self.tz_name = services.config.bot.timezone
        self.converter = OptionConverter(ZoneInfo(self.tz_name), services.clock.now, _parse_date)

    def translator_for(self, caller: Caller) -> Translator:
        return translator(normalise_lang(caller.locale), self.tz_name)

    async def handle_text(self, caller: Caller, place: Place, text: str) -> Reply | None:
        """A typed command line such as `faq ask comment adhérer ?` (slash optional)."""
        t = self.translator_for(caller)
        if (gate := self._gate(caller, t)) is not None:
            return gate or None
        try:
            words, tokens, source = split_path(text)
            spec, used = self.registry.resolve(words)
            if spec is None:
                return self._unknown(words, t)
            role = self._check_role(spec, caller, t)
        except UserError as err:
            return Reply.error(t(err.key, **err.kwargs))
        try:
            raw = bind_options(spec, tokens[used:], source)
        except UserError as err:
            return self._usage_error(spec, err, t)
        return await self._run(spec, caller, place, role, raw, t)

    async def handle(
        self, caller: Caller, place: Place, path: tuple[str, ...], options: Mapping[str, Any]
    ) -> Reply | None:
        """A structured invocation (Discord slash commands give typed options)."""
        t = self.translator_for(caller)
        if (gate := self._gate(caller, t)) is not None:
            return gate or None
        spec = self.registry.commands.get(tuple(path))
        if spec is None:
            return self._unknown(list(path), t)
        try:
            role = self._check_role(spec, caller, t)
        except UserError as err:
            return Reply.error(t(err.key, **err.kwargs))
        return await self._run(spec, caller, place, role, dict(options), t)

    async def handle_action(
        self, caller: Caller, place: Place, action_id: str, value: str
    ) -> Reply | None:
        """A button click: the button names a command and carries its options."""
        spec = self.registry.by_action(action_id)
        if spec is None:
            t = self.translator_for(caller)
            return Reply.error(t("core.stale_button"))
        return await self.handle(caller, place, spec.path, parse_action_value(value))

    async def handle_message(self, caller: Caller, place: Place, text: str) -> Reply | None:
        """An ordinary channel message: the first listener that answers wins. Bots are never
        answered (two bots must not talk to each other forever)."""
        if caller.is_bot or not text.strip():
            return None
        message = ChannelMessage(caller, place, text)
        t = self.translator_for(caller)
        for listener in self.listeners:
            try:
                reply = await listener(message, self.services, t)
            except Exception:
                log.exception("listener %s failed on %s", getattr(listener, "__name__", "?"), place)
                continue
            if reply is not None:
                return reply
        return None

    def _gate(self, caller: Caller, t: Translator) -> Reply | bool | None:
        """None to go on; a cooldown Reply once; False (nothing to show) after that."""
        if caller.is_bot:
            return False
        if self.throttle is None or caller.platform in UNTHROTTLED_PLATFORMS:
            return None
        verdict = self.throttle.check(caller.key)
        if verdict == "allow":
            return None
        if verdict == "warn":
            log.info("throttled %s", caller.key)
            return Reply.error(t("core.throttled", seconds=self.throttle.retry_in(caller.key)))
        return False

    def role_of(self, caller: Caller) -> Role:
        return self.roles.role_of(caller)

    def _check_role(self, spec: CommandSpec, caller: Caller, t: Translator) -> Role:
        role = self.roles.role_of(caller)
        if role < spec.role:
            raise UserError("core.forbidden", role=t(f"core.role.{spec.role.key}"))
        return role

    def _unknown(self, words: list[str], t: Translator) -> Reply:
        typed = " ".join(words[:2]) or "?"
        if words and self.registry.is_group(words[0]):
            names = ", ".join(s.path[-1] for s in self.registry.group_commands(words[0]))
            return Reply.error(t("core.unknown_subcommand", group=words[0], names=names))
        hint = self.registry.suggest(typed)
        if hint:
            return Reply.error(t("core.unknown_command_hint", command=typed[:40], hint=hint))
        return Reply.error(t("core.unknown_command", command=typed[:40]))

    @staticmethod
    def _usage_error(spec: CommandSpec, err: UserError, t: Translator) -> Reply:
        usage = t("core.usage", usage=spec.usage(t.lang))
        return Reply.error(f"{t(err.key, **err.kwargs)}\n{usage}")

    async def _run(
        self,
        spec: CommandSpec,
        caller: Caller,
        place: Place,
        role: Role,
        raw: dict[str, Any],
        t: Translator,
    ) -> Reply:
        try:
            options = self.converter.convert_all(spec, raw, caller, t.lang)
        except UserError as err:
            return self._usage_error(spec, err, t)
        ctx = CommandContext(caller, place, role, spec, options, self.services, t)
        try:
            return await spec.handler(ctx)
        except UserError as err:
            return Reply.error(t(err.key, **err.kwargs))
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("command %s failed (ref %s) for %s", spec.name, ref, caller.key)
            return Reply.error(t("core.internal_error", ref=ref))
