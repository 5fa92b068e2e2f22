"""RSVPs are kept `privacy.rsvp_months` after the event ends: then they are anonymised, the
event keeps its counts (`event_attendance`) and loses who answered, with their reminders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.processing import Processing, register_processing
from bot.retention import RetentionRule, register_retention
from bot.services import Services
from bot.spec import L10n
from commands.events.store.tables import (
    GOING,
    MAYBE,
    NOT_GOING,
    WAITLISTED,
    event_attendance,
    event_reminders,
    event_rsvps,
    events,
)

_COLUMNS = {GOING: "going", MAYBE: "maybe", NOT_GOING: "not_going", WAITLISTED: "waitlisted"}


async def _anonymise(services: Services, cutoff: datetime, dry_run: bool) -> int:
    past = select(events.c.id).where(events.c.finishes_at < cutoff)
    r = event_rsvps.c
    counts = (
        select(r.event_id, r.status, func.count().label("n"))
        .where(r.event_id.in_(past))
        .group_by(r.event_id, r.status)
    )
    if dry_run:
        async with services.db.read() as conn:
            return sum(row.n for row in await conn.execute(counts))
    async with services.db.write() as conn:
        totals: dict[int, dict[str, int]] = {}
        for row in await conn.execute(counts):
            column = _COLUMNS.get(row.status)
            if column is not None:
                totals.setdefault(row.event_id, {})[column] = row.n
        for event_id, values in totals.items():
            await conn.execute(event_attendance.delete().where(
                event_attendance.c.event_id == event_id
            ))  # fmt: skip
            await conn.execute(event_attendance.insert().values(event_id=event_id, **values))
        await conn.execute(event_reminders.delete().where(event_reminders.c.event_id.in_(past)))
        gone = await conn.execute(event_rsvps.delete().where(r.event_id.in_(past)))
    return gone.rowcount


register_retention(
    RetentionRule(
        "events.rsvps",
        L10n(
            "qui s'est inscrit aux événements passés (il en reste les nombres)",
            "who answered past events (their counts remain)",
        ),
        "rsvp_months",
        _anonymise,
    )
)


register_processing(
    Processing(
        "events",
        L10n(
            "Annoncer les événements de la fédération, gérer les inscriptions et les rappels",
            "Announcing the federation's events, handling RSVPs and reminders",
        ),
        L10n(
            "réponses aux événements (présent, peut-être, absent, liste d'attente), rappels "
            "envoyés, événements créés",
            "answers to events (going, maybe, not going, waitlist), reminders sent, events created",
        ),
        L10n("membres qui répondent aux événements", "members who answer events"),
        L10n(
            "les organisateurs de l'événement (modérateurs de l'agence, équipe fédérale)",
            "the event's organisers (the agency's moderators, the federation staff)",
        ),
        L10n(
            "jusqu'à {rsvp_months} mois après l'événement, puis anonymisées (nombres seulement)",
            "until {rsvp_months} months after the event, then anonymised (counts only)",
        ),
        L10n(
            "intérêt légitime (art. 6.1.f) ; la personne choisit de répondre",
            "legitimate interest (Art. 6(1)(f)); the person chooses to answer",
        ),
    )
)
