"""How long the FAQ keeps what people asked: questions nobody answered (`unanswered_days` after
they were last asked: long enough for moderators to turn them into entries), and the activity
logs (asks, feedback, messages answered in passive mode: `activity_months`)."""

from __future__ import annotations

from datetime import datetime

from bot.processing import Processing, register_processing
from bot.retention import RetentionRule, purge_older, register_retention
from bot.services import Services
from bot.spec import L10n
from commands.faq.store.entries import FaqRepo
from commands.faq.store.tables import (
    faq_answered_messages,
    faq_asks,
    faq_feedback,
    faq_phrasings,
    faq_unanswered,
)


async def _unanswered(services: Services, cutoff: datetime, dry_run: bool) -> int:
    await services.get(FaqRepo).activity.asks.flush()  # asks still queued count too
    return await purge_older(
        services, faq_unanswered, "last_asked_at", cutoff, dry_run
    ) + await purge_older(services, faq_phrasings, "last_at", cutoff, dry_run)


async def _activity(services: Services, cutoff: datetime, dry_run: bool) -> int:
    await services.get(FaqRepo).activity.asks.flush()
    return (
        await purge_older(services, faq_asks, "asked_at", cutoff, dry_run)
        + await purge_older(services, faq_feedback, "given_at", cutoff, dry_run)
        + await purge_older(services, faq_answered_messages, "answered_at", cutoff, dry_run)
    )


register_retention(
    RetentionRule(
        "faq.unanswered",
        L10n(
            "les questions restées sans réponse et les formulations proposées, plus posées depuis",
            "questions nobody answered and proposed phrasings, not asked again since",
        ),
        "unanswered_days",
        _unanswered,
    )
)
register_retention(
    RetentionRule(
        "faq.activity",
        L10n(
            "le journal des questions posées, les avis « utile ? » et les messages déjà traités",
            'the log of questions asked, "helpful?" votes and messages already answered',
        ),
        "activity_months",
        _activity,
    )
)


register_processing(
    Processing(
        "faq",
        L10n(
            "Répondre aux questions des membres et améliorer la FAQ",
            "Answering members' questions and improving the FAQ",
        ),
        L10n(
            "questions restées sans réponse (texte, date, salon, qui les a posées), avis "
            "« utile ? », entrées rédigées",
            'questions nobody answered (text, date, channel, who asked), "helpful?" votes, '
            "entries written",
        ),
        L10n("membres qui posent des questions", "members who ask questions"),
        L10n(
            "les éditeurs de la FAQ et l'équipe fédérale ; dans les récaps, une question posée "
            "par plusieurs personnes, sans leur nom",
            "FAQ editors and the federation staff; in digests, a question asked by several "
            "people, without their names",
        ),
        L10n(
            "questions sans réponse : {unanswered_days} jours après la dernière fois où elles "
            "ont été posées ; journal et avis : {activity_months} mois",
            "unanswered questions: {unanswered_days} days after they were last asked; log and "
            "votes: {activity_months} months",
        ),
        L10n("intérêt légitime (art. 6.1.f)", "legitimate interest (Art. 6(1)(f))"),
    )
)
