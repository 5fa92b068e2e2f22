"""Passive mode: in channels where a moderator turned it on, the FAQ answers questions nobody
addressed to it, in the message's thread.

It speaks only when sure: the message must look like a question, the engine must answer (not
merely suggest) and with at least `[faq] passive_min_confidence`. A message is answered once at
most: its (channel, message id) is claimed in the database before answering, so a redelivered
event, a restart or a second bot process cannot answer it again. Bots are never answered (the
dispatcher drops their messages before any listener).

Also here: the start hook, which builds the index, starts the ask log's writer and schedules
the index's refresh; and the stop hook, which writes the asks still queued.
"""

from __future__ import annotations

import logging

from bot.context import CommandContext
from bot.errors import UserError
from bot.i18n import Translator
from bot.listeners import ChannelMessage
from bot.messages import Reply
from bot.services import Services
from commands.faq.analysis import looks_like_question
from commands.faq.answers import answer_message, reader_translator
from commands.faq.store.entries import FaqRepo

log = logging.getLogger(__name__)

REFRESH_JOB = "faq.refresh"


async def answer_in_thread(
    message: ChannelMessage, services: Services, t: Translator
) -> Reply | None:
    faq, place = services.get(FaqRepo), message.place
    if place.message_id is None or not faq.passive_in(place.channel):
        return None
    if not looks_like_question(message.text):
        return None
    result = await faq.search(message.text, lang=t.lang)
    best = result.best
    if result.verdict != "answer" or best is None:
        return None
    if best.score < services.config.faq.passive_min_confidence:
        return None
    doc = faq.index.doc(best.doc_id)  # before any await: the entry may be removed meanwhile
    reply = answer_message(doc, best.lang, reader_translator(t, result), passive=True)
    now = services.clock.now()
    if not await faq.activity.claim_message(str(place.channel), place.message_id, best.doc_id, now):
        log.info("FAQ: message %s in %s already answered", place.message_id, place.channel)
        return None
    return Reply(reply, ephemeral=False)


async def passive(ctx: CommandContext) -> Reply:
    """`faq passive on|off` for the channel it is typed in, by a moderator of the agency
    behind that channel (staff anywhere)."""
    state = ctx.options["state"]
    faq, channel = ctx.services.get(FaqRepo), ctx.place.channel
    agency = await ctx.services.agencies.agency_of(channel)
    if not ctx.access.moderates_agency(agency.id if agency else None):
        key = "faq.passive.not_your_agency" if agency else "faq.passive.no_agency"
        raise UserError(key, agency=agency.name if agency else "")
    member = await ctx.services.members.ensure(ctx.caller, ctx.now())
    await faq.set_passive(channel, state == "on", member.id, ctx.now())
    key = "faq.passive.turned_on" if state == "on" else "faq.passive.turned_off"
    return Reply.text(ctx.t(key), ephemeral=False)


async def start_faq(services: Services) -> None:
    """Build the index from the database; then look every `refresh_seconds` for changes made
    by another process (an import, a second bot) and rebuild when there are."""
    faq = services.get(FaqRepo)
    encoded = await faq.load()
    log.info(
        "FAQ index: %d entries (%d encoded, the others' vectors read), encoder %s",
        len(faq.index),
        encoded,
        faq.encoder.name,
    )
    if not faq.encoder.dim:
        # Said once at start: without vectors, paraphrases are found far less often.
        log.warning("FAQ: lexical ranking only; pip install 'fedbot[semantic]' for the encoder")
    await faq.activity.asks.start()  # after writing what a crashed process journaled

    async def refresh() -> None:
        if await services.get(FaqRepo).refresh():
            log.info(
                "FAQ changed in another process: index rebuilt (%d)",
                len(services.get(FaqRepo).index),
            )

    services.scheduler.every(REFRESH_JOB, services.config.faq.refresh_seconds, refresh)


async def stop_faq(services: Services) -> None:
    """Write the asks still queued (store/asklog.py) before the database closes; if that
    fails, their journal keeps them for the next start."""
    await services.get(FaqRepo).activity.asks.stop()
