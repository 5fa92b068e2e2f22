"""The app's Home tab: a member's home (bot/home.py) as a Block Kit `home` view.

Rendering (`home_view`, pure): each message of the home becomes the blocks any message
becomes (adapters/slack/render.py), a divider before each section's title; at most 100 blocks,
Slack's limit for a view: sections that do not fit are left out and a last line says where to
find the rest. The reply to a click in the Home (which has no response_url) shows at the top.

Publishing (`HomePublisher`): when a member opens the tab (`app_home_opened`), after their own
commands and clicks, and when a feature says something changed for them (`services.home`).
At most one publish per member every `home_debounce` seconds: requests in between are gathered
into the next one; and `home_rate` publishes per second per workspace (`views.publish` is
tier 4). Changes refresh only the members who opened their Home since the bot started: opening
it always publishes, so the others see it fresh when they do.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import OrderedDict
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from adapters.slack.identity import IdentityResolver
from adapters.slack.inbound import PLATFORM
from adapters.slack.render import Block, escape, fit, message_blocks
from adapters.slack.sender import SlackSender
from bot.errors import SendError
from bot.i18n import Translator, translator
from bot.identity import Caller, Place
from bot.messages import Message, Reply
from bot.pacing import Limiter, Rate

if TYPE_CHECKING:
    from bot.app import BotApp

log = logging.getLogger(__name__)

MAX_VIEW_BLOCKS = 100
MAX_NOTICE = 3000
VIEWERS_KEPT = 10_000  # members whose open Home is kept fresh (the oldest are forgotten)
CALLBACK_ID = "fedbot_home"
DIVIDER: Block = {"type": "divider"}
Key = tuple[str, str]  # (team id, user id)


def home_view(messages: Sequence[Message], t: Translator, notice: Reply | None = None) -> dict:
    """The `home` view of a member's home; `notice`: the reply to their last click, on top."""
    blocks: list[Block] = [_notice(notice)] if notice is not None else []
    for index, message in enumerate(messages):
        part = message_blocks(message)
        if index and message.title:
            part = [DIVIDER, *part]
        room = MAX_VIEW_BLOCKS - len(blocks) - (0 if index == len(messages) - 1 else 1)
        if len(part) > room:
            blocks.append(_context(t("slack.home.truncated")))
            break
        blocks += part
    return {"type": "home", "callback_id": CALLBACK_ID, "blocks": blocks}


def _notice(reply: Reply) -> Block:
    mark = ":warning: " if reply.is_error else ":white_check_mark: "
    text = fit(escape(reply.message.plain_text()), MAX_NOTICE - len(mark))
    return {"type": "section", "text": {"type": "mrkdwn", "text": mark + text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(text)}]}


def is_rich(reply: Reply) -> bool:
    """A reply with more than a short text: a Home cannot show it, a message can."""
    message = reply.message
    parts = (message.title, message.fields, message.links, message.buttons, message.attachments)
    return any(parts) or len(message.text) > 500


@dataclass
class _Request:
    notice: Reply | None = None


class HomePublisher:
    def __init__(
        self,
        app: BotApp,
        sender: SlackSender,
        identity: IdentityResolver,
        debounce: float,
        rate: float,
    ) -> None:
        self.app = app
        self.sender = sender
        self.identity = identity
        self.debounce = debounce
        self.rate = Rate(rate)
        self.limiter = Limiter()
        self.viewers: OrderedDict[Key, str | None] = OrderedDict()  # -> Enterprise Grid org
        self._pending: dict[Key, _Request] = {}
        self._last: dict[Key, float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        self.app.services.home.subscribe(self.changed)

    async def stop(self) -> None:
        self.app.services.home.unsubscribe(self.changed)
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=5)
            for task in late:
                task.cancel()

    def opened(self, team: str, user: str, enterprise: str | None = None) -> None:
        """The member opened their Home tab: publish it (and keep it fresh from now on)."""
        self._remember((team, user), enterprise)
        self.request(team, user)

    def _remember(self, key: Key, enterprise: str | None) -> None:
        self.viewers[key] = enterprise
        self.viewers.move_to_end(key)
        while len(self.viewers) > VIEWERS_KEPT:
            gone, _ = self.viewers.popitem(last=False)
            self._last.pop(gone, None)

    def refresh(self, team: str, user: str) -> None:
        """The member did something: their Home shows it, if they opened it."""
        if (team, user) in self.viewers:
            self.request(team, user)

    async def click(self, caller: Caller, place: Place, action: str, value: str) -> None:
        """A click in the Home, which has no response_url: the Home is published again with
        the reply on top; a reply richer than a line goes to the member's Messages tab."""
        team, user = caller.workspace, caller.user_id
        reply = await self.app.dispatcher.handle_action(caller, place, action, value)
        if reply is not None and is_rich(reply):
            try:
                await self.sender.send_dm(team, user, reply.message)
                reply = Reply.text(translator(caller.locale)("slack.home.reply_in_messages"))
            except SendError as err:
                log.warning("reply to a Home click lost: %s", err.reason)
        self._remember((team, user), caller.organisation)
        self.request(team, user, reply)

    def request(self, team: str, user: str, notice: Reply | None = None) -> None:
        key = (team, user)
        pending = self._pending.get(key)
        if pending is not None:  # gathered into the publish already waiting
            pending.notice = notice or pending.notice
            return
        self._pending[key] = _Request(notice)
        self._spawn(self._run(key))

    def changed(self, member_ids: frozenset[int] | None) -> None:
        if self.viewers:
            self._spawn(self._changed(member_ids))

    async def _changed(self, member_ids: frozenset[int] | None) -> None:
        if member_ids is None:
            keys = list(self.viewers)
        else:
            keys = []
            for member_id in sorted(member_ids):
                member = await self.app.services.members.get(member_id)
                if member is not None and member.platform == PLATFORM:
                    keys.append((member.workspace, member.user_id))
        for team, user in keys:
            if (team, user) in self.viewers:
                self.request(team, user)

    async def _run(self, key: Key) -> None:
        loop = asyncio.get_running_loop()
        try:
            wait = self._last.get(key, -math.inf) + self.debounce - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            slot = self.limiter.reserve([(f"home:{key[0]}", self.rate)], loop.time())
            if slot > loop.time():
                await asyncio.sleep(slot - loop.time())
        finally:
            request = self._pending.pop(key)
        self._last[key] = loop.time()
        await self._publish(key, request)

    async def _publish(self, key: Key, request: _Request) -> None:
        team, user = key
        try:
            client = await self.sender.client_for(team)
            enterprise = self.viewers.get(key)
            caller = await self.identity.caller(client, team, user, "", enterprise)
            messages = await self.app.dispatcher.home(caller)
            if messages is None:
                return  # a bot, or someone outside the federation: no Home
            t = translator(caller.locale, self.app.config.bot.timezone)
            view = home_view(messages, t, request.notice)
            call = partial(client.views_publish, user_id=user, view=view)
            await self.sender.api.call("views.publish", call)
        except SendError as err:
            log.warning("Home of %s:%s not published: %s", team, user, err.reason)

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("Home publishing failed", exc_info=error)
