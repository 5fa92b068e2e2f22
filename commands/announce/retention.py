"""How long broadcasts keep their bookkeeping: where each copy went (`outbox_months` after the
announcement) and the audit log of who did what (`activity_months`). The announcements
themselves, and which agencies acknowledged them, stay: they are the federation's record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.processing import Processing, register_processing
from bot.retention import RetentionRule, purge_older, register_retention
from bot.services import Services
from bot.spec import L10n
from commands.announce.store.announcements import announcement_audit, announcements
from commands.announce.store.outbox_rows import deliveries


async def _outbox(services: Services, cutoff: datetime, dry_run: bool) -> int:
    old = select(announcements.c.id).where(announcements.c.created_at < cutoff)
    return await purge_older(
        services, deliveries, "next_attempt_at", cutoff, dry_run,
        deliveries.c.announcement_id.in_(old),
    )  # fmt: skip


async def _audit(services: Services, cutoff: datetime, dry_run: bool) -> int:
    return await purge_older(services, announcement_audit, "at", cutoff, dry_run)


register_retention(
    RetentionRule(
        "announce.outbox",
        L10n("le détail des envois de chaque annonce", "where each announcement was delivered"),
        "outbox_months",
        _outbox,
    )
)
register_retention(
    RetentionRule(
        "announce.audit",
        L10n("le journal des actions sur les annonces", "the audit log of announcements"),
        "activity_months",
        _audit,
    )
)


register_processing(
    Processing(
        "announcements",
        L10n(
            "Diffuser les annonces de l'équipe fédérale à toutes les agences",
            "Broadcasting the federation staff's announcements to every agency",
        ),
        L10n(
            "auteur de l'annonce, accusés de réception (« Bien reçu ») par membre, journal des "
            "actions",
            "the announcement's author, acknowledgements (Bien reçu) by member, audit log",
        ),
        L10n(
            "l'équipe fédérale, les membres qui accusent réception",
            "the federation staff, members who acknowledge",
        ),
        L10n("l'équipe fédérale", "the federation staff"),
        L10n(
            "détail des envois : {outbox_months} mois ; journal : {activity_months} mois",
            "delivery details: {outbox_months} months; audit log: {activity_months} months",
        ),
        L10n("intérêt légitime (art. 6.1.f)", "legitimate interest (Art. 6(1)(f))"),
    )
)
