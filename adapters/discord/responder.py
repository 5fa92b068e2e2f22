"""Answering interactions within Discord's 3-second deadline.

Discord forgets an interaction that is neither answered nor deferred within 3 s. A command
declared `slow` is deferred at once; any other gets `ack_deadline` seconds (2 by default) to
produce its reply, after which it is deferred and its reply follows when ready (the work is
shielded, never restarted). A deferred command shows an ephemeral "thinking…" note: the
reply's visibility is only known at the end, and a private answer must never have been
announced in the channel. Its ephemerality is fixed by the defer, so a public reply is posted
as a follow-up and the note removed. A click is deferred silently (deferred update), which
allows both editing the clicked message and sending a new one afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from adapters.discord.inbound import caller_of, place_of
from adapters.discord.render import NO_MENTIONS, Outgoing, render_reply
from bot.dispatch import Dispatcher
from bot.identity import Caller, Place
from bot.logs import request_context
from bot.messages import Reply
from bot.spec import CommandSpec

log = logging.getLogger(__name__)


# The servers a user is a member of, asked for callers in direct messages.
Homes = Callable[[int], Awaitable[frozenset[str]]]
# A command's options, gathered once the interaction is being answered.
Gather = Callable[[], Awaitable[dict[str, Any]]]


async def _no_homes(user_id: int) -> frozenset[str]:
    return frozenset()


class Responder:
    def __init__(
        self, dispatcher: Dispatcher, ack_deadline: float, homes: Homes = _no_homes
    ) -> None:
        self.dispatcher = dispatcher
        self.ack_deadline = ack_deadline
        self.homes = homes

    async def caller(self, interaction: discord.Interaction) -> Caller:
        """Who is calling; in a direct message, with the servers they are a member of."""
        caller = caller_of(interaction)
        if interaction.guild_id is None:
            homes = await self.homes(interaction.user.id)
            caller = dataclasses.replace(caller, home_workspaces=homes)
        return caller

    async def command(
        self, interaction: discord.Interaction, spec: CommandSpec, options: dict[str, Any]
    ) -> None:
        async def given() -> dict[str, Any]:
            return options

        await self.gathered(interaction, spec, given)

    async def gathered(
        self, interaction: discord.Interaction, spec: CommandSpec, options: Gather
    ) -> None:
        """A command whose options are read from Discord first (a message action's answered
        message): that reading counts against the acknowledgement deadline, as the work does."""
        with request_context(f"discord:{interaction.id}"):
            caller = await self.caller(interaction)
            work = self._handle(caller, place_of(interaction), spec, options)
            await self._answer(interaction, caller, work, slow=spec.slow, click=False)

    async def _handle(
        self, caller: Caller, place: Place, spec: CommandSpec, options: Gather
    ) -> Reply | None:
        return await self.dispatcher.handle(caller, place, spec.path, await options())

    async def click(self, interaction: discord.Interaction, action: str, value: str) -> None:
        with request_context(f"discord:{interaction.id}"):
            caller = await self.caller(interaction)
            spec = self.dispatcher.registry.by_action(action)
            work = self.dispatcher.handle_action(caller, place_of(interaction), action, value)
            slow = bool(spec and spec.slow)
            await self._answer(interaction, caller, work, slow=slow, click=True)

    async def fail(self, interaction: discord.Interaction, key: str, **kwargs: Any) -> None:
        """Tell the user something went wrong on our side, if the interaction is still open."""
        if interaction.response.is_done() or interaction.is_expired():
            return
        if interaction.type is discord.InteractionType.autocomplete:
            return  # suggestions cannot carry a message
        t = self.dispatcher.translator_for(caller_of(interaction))
        with contextlib.suppress(discord.HTTPException):
            await interaction.response.send_message(
                t(key, **kwargs), ephemeral=True, allowed_mentions=NO_MENTIONS
            )

    async def fail_internal(self, interaction: discord.Interaction, error: BaseException) -> None:
        ref = secrets.token_hex(4)
        log.error("interaction failed (ref %s)", ref, exc_info=error)
        await self.fail(interaction, "core.internal_error", ref=ref)

    async def _answer(
        self,
        interaction: discord.Interaction,
        caller: Caller,
        work: Awaitable[Reply | None],
        *,
        slow: bool,
        click: bool,
    ) -> None:
        task = asyncio.ensure_future(work)
        if not slow:
            await asyncio.wait({task}, timeout=self.ack_deadline)
        try:
            if task.done():
                await self._respond(interaction, task.result(), click=click)
                return
            await self._defer(interaction, click=click)
            reply = await asyncio.shield(task)
            await self._follow_up(interaction, caller, reply, click=click)
        except discord.HTTPException as exc:
            # Too late (10062 unknown interaction) or refused: nothing more can be shown.
            log.warning("could not answer interaction %s: %s", interaction.id, exc)

    async def _defer(self, interaction: discord.Interaction, *, click: bool) -> None:
        if click:
            await interaction.response.defer()  # deferred update: no visible note
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)

    async def _respond(
        self, interaction: discord.Interaction, reply: Reply | None, *, click: bool
    ) -> None:
        """The reply is ready within the deadline: it is the interaction's response."""
        if reply is None:  # e.g. a throttled user already warned: acknowledge, show nothing
            await self._defer(interaction, click=click)
            if not click:
                await interaction.delete_original_response()
            return
        first, *rest = render_reply(reply)
        if click and reply.replace_original:
            await interaction.response.edit_message(**first.edit_kwargs())
        else:
            await interaction.response.send_message(
                **first.send_kwargs(), ephemeral=reply.ephemeral
            )
        await self._send_more(interaction, rest, reply.ephemeral)

    async def _follow_up(
        self, interaction: discord.Interaction, caller: Caller, reply: Reply | None, *, click: bool
    ) -> None:
        """The interaction was deferred: the reply comes through its webhook."""
        if reply is None:
            if not click:
                await interaction.delete_original_response()
            return
        first, *rest = render_reply(reply)
        if click and reply.replace_original:
            await interaction.edit_original_response(**first.edit_kwargs())
        elif click or reply.ephemeral:
            # After a deferred update follow-ups are new messages; after an ephemeral defer
            # the first one turns the "thinking" note into the reply.
            await self._send_more(interaction, [first], reply.ephemeral)
        else:
            t = self.dispatcher.translator_for(caller)
            await interaction.edit_original_response(
                content=t("discord.posted"), embeds=[], view=None, allowed_mentions=NO_MENTIONS
            )
            await self._send_more(interaction, [first, *rest], ephemeral=False)
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
            return
        await self._send_more(interaction, rest, reply.ephemeral)

    @staticmethod
    async def _send_more(
        interaction: discord.Interaction, parts: list[Outgoing], ephemeral: bool
    ) -> None:
        for part in parts:
            await interaction.followup.send(**part.send_kwargs(), ephemeral=ephemeral, wait=True)
