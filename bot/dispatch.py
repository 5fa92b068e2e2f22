"""The one road every command takes: federation -> throttle -> resolve -> rights -> options ->
handler -> Reply.

Adapters hand over an invocation (free text, or a path with typed options, or a button's
action id) and get back a platform-neutral `Reply`, or None when nothing must be shown (a
throttled user who was already warned). A caller from outside the federation gets one polite
refusal and nothing runs: no handler, so no row is written.

This is the only place with a broad `except`: a bug becomes a log line with a reference id and
a polite message, never a traceback in chat.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

from bot.completion import Completer, Suggestion
from bot.context import CommandContext
from bot.errors import UserError
from bot.home import HomeContext, HomeSection
from bot.i18n import Translator, normalise_lang, translator
from bot.identity import Caller, Place
from bot.listeners import ChannelMessage, Listener
from bot.logs import command_context
from bot.messages import Message, Reply, parse_action_value
from bot.metrics import UNRESOLVED
from bot.options import OptionConverter, clean
from bot.roles import Access, RoleBook
from bot.services import Services
from bot.spec import CommandSpec
from bot.textargs import bind_options, split_path
from bot.throttle import Throttle

log = logging.getLogger(__name__)

UNTHROTTLED_PLATFORMS = frozenset({"console"})


def reference() -> str:
    """A short id to find a command in the logs. Not a secret: `random` rather than the
    system's entropy, whose call gives up the GIL on every command."""
    return f"{random.getrandbits(32):08x}"


@dataclass(slots=True)
class Invocation:
    """One command on its way through: its id (in the logs, and the reference a member sees
    after an internal error), the command once resolved, and how it ended when that is not
    read from the reply (refused, throttled, internal error)."""

    id: str = field(default_factory=lambda: reference())
    command: str = UNRESOLVED
    outcome: str | None = None

    def outcome_of(self, reply: Reply | None) -> str:
        if self.outcome is not None:
            return self.outcome
        return "user_error" if reply is not None and reply.is_error else "ok"


def _parse_date(text: str, now: datetime, tz: ZoneInfo, lang: str) -> datetime:
    """A date option is always something to plan (an event, a send, a pause): the past and
    the far future are refused here, with what was typed (filters are text options)."""
    from bot.dates import parse_when  # imported lazily: only date options need it

    return parse_when(text, now=now, tz=tz, lang=lang, future=True)


class Dispatcher:
    def __init__(
        self,
        services: Services,
        throttle: Throttle | None = None,
        listeners: list[Listener] | None = None,
        *,
        completer: Completer | None = None,
        completion_throttle: Throttle | None = None,
        home: list[HomeSection] | None = None,
    ) -> None:
        self.services = services
        self.metrics = services.metrics
        self.listeners = listeners or []
        self.registry = services.registry
        self.roles = RoleBook(services.config.roles, services.config.agencies)
        self.federation = services.federation
        self.throttle = throttle
        self.completer = completer or Completer()
        self.completion_throttle = completion_throttle
        self.home_sections = sorted(home or [], key=lambda section: section.rank)
        self.tz_name = services.config.bot.timezone
        self.converter = OptionConverter(ZoneInfo(self.tz_name), services.clock.now, _parse_date)

    def translator_for(self, caller: Caller) -> Translator:
        return translator(normalise_lang(caller.locale), self.tz_name)

    async def handle_text(self, caller: Caller, place: Place, text: str) -> Reply | None:
        """A typed command line such as `faq ask comment adhérer ?` (slash optional)."""
        inv = Invocation()
        return await self._measured(inv, self._text(inv, caller, place, text))

    async def handle(
        self, caller: Caller, place: Place, path: tuple[str, ...], options: Mapping[str, Any]
    ) -> Reply | None:
        """A structured invocation (Discord slash commands give typed options)."""
        inv = Invocation()
        return await self._measured(inv, self._structured(inv, caller, place, path, options))

    async def handle_action(
        self, caller: Caller, place: Place, action_id: str, value: str
    ) -> Reply | None:
        """A button click: the button names a command and carries its options."""
        inv = Invocation()
        spec = self.registry.by_action(action_id)
        if spec is None:
            t = self.translator_for(caller)
            return await self._measured(inv, _ready(Reply.error(t("core.stale_button"))))
        options = parse_action_value(value)
        return await self._measured(inv, self._structured(inv, caller, place, spec.path, options))

    async def _measured(self, inv: Invocation, work: Awaitable[Reply | None]) -> Reply | None:
        """Every invocation once: its id in the logs, its outcome and time in the metrics (one
        cancelled because the bot stops has no outcome: it is not counted)."""
        started = perf_counter()
        with command_context(inv.id):
            try:
                reply = await work
            except Exception:
                inv.outcome = inv.outcome or "internal_error"
                self.metrics.command_done(inv.command, inv.outcome, perf_counter() - started)
                raise
        self.metrics.command_done(inv.command, inv.outcome_of(reply), perf_counter() - started)
        return reply

    async def _text(self, inv: Invocation, caller: Caller, place: Place, text: str) -> Reply | None:
        t = self.translator_for(caller)
        if (gate := await self._gate(inv, caller, t)) is not None:
            return gate or None
        try:
            words, tokens, source = split_path(text)
            spec, used = self.registry.resolve(words)
            if spec is None:
                return self._unknown(words, t)
            inv.command = spec.name
            access = self._check_access(spec, caller, t)
        except UserError as err:
            return Reply.error(t(err.key, **err.kwargs))
        try:
            raw = bind_options(spec, tokens[used:], source)
        except UserError as err:
            return self._usage_error(spec, err, t)
        return await self._run(inv, spec, caller, place, access, raw, t)

    async def _structured(
        self,
        inv: Invocation,
        caller: Caller,
        place: Place,
        path: tuple[str, ...],
        options: Mapping[str, Any],
    ) -> Reply | None:
        t = self.translator_for(caller)
        spec = self.registry.commands.get(tuple(path))
        if spec is not None:
            inv.command = spec.name
        if (gate := await self._gate(inv, caller, t)) is not None:
            return gate or None
        if spec is None:
            return self._unknown(list(path), t)
        try:
            access = self._check_access(spec, caller, t)
        except UserError as err:
            return Reply.error(t(err.key, **err.kwargs))
        return await self._run(inv, spec, caller, place, access, dict(options), t)

    async def handle_message(self, caller: Caller, place: Place, text: str) -> Reply | None:
        """An ordinary channel message: the first listener that answers wins. Bots are never
        answered (two bots must not talk to each other forever)."""
        text = clean(text)
        if caller.is_bot or not text.strip() or not await self.federation.belongs(caller):
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

    async def complete(self, caller: Caller, source: str, prefix: str) -> list[Suggestion]:
        """Autocomplete: the same boundary and a throttle of its own (one request per key
        typed), but never a message: a refused caller simply gets no suggestions."""
        if caller.is_bot or not await self.federation.belongs(caller):
            return []
        throttle = self.completion_throttle
        if throttle is not None and caller.platform not in UNTHROTTLED_PLATFORMS:
            if throttle.check(caller.key) != "allow":
                return []
        return await self.completer.complete(source, self.services, prefix, caller)

    async def home(self, caller: Caller) -> list[Message] | None:
        """The caller's home (bot/home.py): a greeting, then every feature's sections, in
        the caller's language and with their rights. None for a bot or a caller outside the
        federation (nothing is shown to them). A failing section is replaced by a line with a
        reference, like a failing command: the rest of the home still shows."""
        if caller.is_bot or not await self.federation.belongs(caller):
            return None
        t = self.translator_for(caller)
        services = self.services
        member = await services.members.find(caller.platform, caller.workspace, caller.user_id)
        access = self.roles.access_for(caller)
        ctx = HomeContext(caller, member, access, services, t, services.clock.now())
        name = (member.display_name if member else "") or caller.display_name
        greeting = t("core.home.hello", name=name) if name else t("core.home.hello_anonymous")
        messages = [Message(title=greeting, text=t("core.home.intro"))]
        for section in self.home_sections:
            try:
                messages += await section.build(ctx)
            except Exception:
                ref = reference()
                log.exception("home section %s failed (ref %s)", section.build.__name__, ref)
                messages.append(Message(text=t("core.home.section_failed", ref=ref)))
        return messages

    async def _gate(self, inv: Invocation, caller: Caller, t: Translator) -> Reply | bool | None:
        """None to go on; a refusal or a cooldown Reply once; False (nothing to show)."""
        if caller.is_bot:
            inv.outcome = "refused"
            return False
        if not await self.federation.belongs(caller):
            inv.outcome = "refused"
            return self._stranger(caller, t)
        verdict = self._throttled(caller, t)
        if verdict is not None:
            inv.outcome = "throttled"
        return verdict

    def _stranger(self, caller: Caller, t: Translator) -> Reply | bool:
        """Outside the federation: a polite refusal, silence once the throttle drops them."""
        log.info("refused %s: workspace not in the federation", caller.key)
        if self.throttle is not None and self.throttle.check(caller.key) == "drop":
            return False
        return Reply.error(t("core.not_federation"))

    def _throttled(self, caller: Caller, t: Translator) -> Reply | bool | None:
        if self.throttle is None or caller.platform in UNTHROTTLED_PLATFORMS:
            return None
        verdict = self.throttle.check(caller.key)
        if verdict == "allow":
            return None
        if verdict == "warn":
            log.info("throttled %s", caller.key)
            return Reply.error(t("core.throttled", seconds=self.throttle.retry_in(caller.key)))
        return False

    def access_for(self, caller: Caller) -> Access:
        return self.roles.access_for(caller)

    def _check_access(self, spec: CommandSpec, caller: Caller, t: Translator) -> Access:
        access = self.roles.access_for(caller)
        if not access.may(spec.role):
            raise UserError("core.forbidden", role=t(f"core.role.{spec.role.key}"))
        return access

    def _unknown(self, words: list[str], t: Translator) -> Reply:
        typed = " ".join(words[:2]) or "?"
        if words and self.registry.is_group(words[0]):
            names = ", ".join(
                self.registry.label(s, t.lang).split()[-1]
                for s in self.registry.group_commands(words[0])
                if not s.hidden
            )
            return Reply.error(t("core.unknown_subcommand", group=words[0], names=names))
        hint = self.registry.suggest(typed, t.lang)
        if hint:
            return Reply.error(t("core.unknown_command_hint", command=typed[:40], hint=hint))
        return Reply.error(t("core.unknown_command", command=typed[:40]))

    def _usage_error(self, spec: CommandSpec, err: UserError, t: Translator) -> Reply:
        usage = t("core.usage", usage=self.registry.usage(spec, t.lang))
        return Reply.error(f"{t(err.key, **err.kwargs)}\n{usage}")

    async def _run(
        self,
        inv: Invocation,
        spec: CommandSpec,
        caller: Caller,
        place: Place,
        access: Access,
        raw: dict[str, Any],
        t: Translator,
    ) -> Reply:
        try:
            options = self.converter.convert_all(spec, raw, caller, t.lang)
        except UserError as err:
            return self._usage_error(spec, err, t)
        ctx = CommandContext(caller, place, access, spec, options, self.services, t)
        try:
            return await spec.handler(ctx)
        except UserError as err:
            return Reply.error(t(err.key, **err.kwargs))
        except Exception:
            inv.outcome = "internal_error"
            log.exception("command %s failed (ref %s) for %s", spec.name, inv.id, caller.key)
            return Reply.error(t("core.internal_error", ref=inv.id))


async def _ready(reply: Reply | None) -> Reply | None:
    return reply
