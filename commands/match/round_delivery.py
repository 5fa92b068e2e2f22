"""Sending what rounds produced: each member's introduction, then "did you meet?".

Rows are claimed in batches under this process's lease (commands/match/store/delivery.py),
renewed while the batch is sent, and settled after the sends. Each message carries its row's
delivery key, so a batch taken over from a process that died is checked on the platform
before anything is sent again. A member who cannot receive direct messages gets the
introduction posted in the rounds channel instead; a temporary failure (rate limit, adapter
reconnecting) is retried at the next sweep, MAX_ATTEMPTS times at most.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.errors import SendError
from bot.i18n import Translator, normalise_lang, translator
from bot.messages import Message
from bot.outbound import delivery_key
from bot.services import Services
from commands.match import render
from commands.match.store.delivery import CHANNEL, DM, FAILED, LEASED, PENDING, SENT, Task
from commands.match.store.matching import MatchingRepo
from commands.profile.store.profiles import Card, ProfileRepo
from commands.profile.tags import TagVocabulary
from commands.profile.vocabulary import vocabulary

log = logging.getLogger(__name__)

BATCH = 100  # sends claimed at once
MAX_ATTEMPTS = 5


def _translator(services: Services, locale: str | None) -> Translator:
    lang = normalise_lang(locale or services.config.bot.default_locale)
    return translator(lang, services.config.bot.timezone)


async def _partners(services: Services, tasks: Sequence[Task]) -> dict[int, list[Card]]:
    """For each task (by row id): the cards of the other members of its group."""
    groups = await services.get(MatchingRepo).delivery.group_members([t.group_id for t in tasks])
    cards = await services.get(ProfileRepo).cards(m for members in groups.values() for m in members)
    return {
        task.row_id: [
            cards[m] for m in groups.get(task.group_id, ()) if m != task.member_id and m in cards
        ]
        for task in tasks
    }


async def deliver_introductions(services: Services) -> int:
    """Send every pending introduction; returns how many were delivered."""
    queue = services.get(MatchingRepo).delivery
    delivered = 0
    platforms = services.outbound.platforms
    while tasks := await queue.claim_intros(services.clock.now(), platforms, BATCH):
        with services.leases.holding(LEASED.name, [t.row_id for t in tasks]):
            partners = await _partners(services, tasks)
            vocab = await vocabulary(services)
            outcomes = {
                task.row_id: await _introduce(services, task, partners[task.row_id], vocab)
                for task in tasks
            }
            await queue.settle_intros(outcomes)
            services.home.changed(task.member_id for task in tasks)
        delivered += sum(state in (DM, CHANNEL) for state in outcomes.values())
        if PENDING in outcomes.values():
            break  # a temporary failure: the next sweep retries, rather than looping now
    return delivered


async def _introduce(
    services: Services, task: Task, others: list[Card], vocab: TagVocabulary
) -> str:
    if not others:
        return FAILED  # the others erased their data meanwhile: nobody to meet
    t = _translator(services, task.locale)
    message = render.round_message(others, task.shared, vocab, task.scheduled_for, t)
    key = delivery_key(task.intro_key)
    try:
        await services.outbound.send_dm(
            task.platform, task.workspace, task.user_id, message, key=key, in_doubt=task.in_doubt
        )
        return DM
    except SendError as err:
        if not err.permanent:
            return PENDING if task.attempts + 1 < MAX_ATTEMPTS else FAILED
        log.info("match: no DM to member %s (%s): posting in the channel", task.member_id, err)
    t = _translator(services, None)  # a channel has no language of its own
    post = render.round_message(
        others, task.shared, vocab, task.scheduled_for, t, for_name=task.display_name
    )
    return await _post(services, task, post)


async def _post(services: Services, task: Task, message: Message) -> str:
    key = delivery_key(task.intro_key)
    try:
        await services.outbound.send(task.channel, message, key=key, in_doubt=task.in_doubt)
    except SendError as err:
        log.warning("match: introduction for member %s not delivered: %s", task.member_id, err)
        return FAILED
    return CHANNEL


async def ask_if_met(services: Services, now: datetime) -> int:
    """Ask every member whose question is due "did you meet?"; returns how many were asked."""
    queue = services.get(MatchingRepo).delivery
    asked = 0
    while tasks := await queue.claim_questions(now, services.outbound.platforms, BATCH):
        with services.leases.holding(LEASED.name, [t.row_id for t in tasks]):
            partners = await _partners(services, tasks)
            outcomes = {
                task.row_id: await _ask(services, task, partners[task.row_id]) for task in tasks
            }
            await queue.settle_questions(outcomes)
            services.home.changed(task.member_id for task in tasks)
        asked += sum(state == SENT for state in outcomes.values())
        if None in outcomes.values():
            break
    return asked


async def _ask(services: Services, task: Task, others: list[Card]) -> str | None:
    if not others:
        return FAILED
    t = _translator(services, task.locale)
    message = render.question_message(task.group_id, others, task.scheduled_for, t)
    key = delivery_key(task.question_key)
    try:
        await services.outbound.send_dm(
            task.platform, task.workspace, task.user_id, message, key=key, in_doubt=task.in_doubt
        )
    except SendError as err:
        if err.permanent:
            return FAILED  # asked by DM only: a channel post would expose who met whom
        return None
    return SENT
