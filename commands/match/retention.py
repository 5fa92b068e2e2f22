"""How long matching keeps its history: introductions, rounds, groups and the "did you meet?"
answers go after `match_months` (the history that keeps the same people from being paired
again only needs `repeat_after_days`)."""

from __future__ import annotations

from datetime import datetime

from bot.processing import Processing, register_processing
from bot.retention import RetentionRule, purge_older, register_retention
from bot.services import Services
from bot.spec import L10n
from commands.match.store.tables import match_pairs, match_rounds


async def _history(services: Services, cutoff: datetime, dry_run: bool) -> int:
    # Rounds take their groups and members with them (ON DELETE CASCADE).
    return await purge_older(services, match_pairs, "met_at", cutoff, dry_run) + (
        await purge_older(services, match_rounds, "scheduled_for", cutoff, dry_run)
    )


register_retention(
    RetentionRule(
        "match.history",
        L10n(
            "l'historique des mises en relation, des tours de rencontres et des réponses",
            "the history of introductions, rounds and answers",
        ),
        "match_months",
        _history,
    )
)


register_processing(
    Processing(
        "profiles-and-matching",
        L10n(
            "Mettre en relation des membres d'agences différentes qui partagent des sujets",
            "Introducing members of different agencies who share topics",
        ),
        L10n(
            "profil (agence, structure, fonction, description, langues, sujets d'intérêt), "
            "consentements, mises en relation, tours de rencontres et réponses",
            "profile (agency, organisation, job title, description, languages, topics), "
            "consents, introductions, matching rounds and answers",
        ),
        L10n(
            "membres qui créent un profil (rien n'est suggéré sans leur accord explicite)",
            "members who create a profile (nothing is suggested without their explicit consent)",
        ),
        L10n(
            "les membres à qui la personne est présentée ; son profil, s'il est rendu visible",
            "the members the person is introduced to; their profile, if made visible",
        ),
        L10n(
            "profil : jusqu'à sa suppression ; historique des rencontres : {match_months} mois",
            "profile: until deleted; history of introductions: {match_months} months",
        ),
        L10n(
            "consentement (art. 6.1.a), retirable à tout moment",
            "consent (Art. 6(1)(a)), withdrawable",
        ),
    )
)
