"""The dashboard's part of the privacy registries: its section of a member's data export (when
they signed in, and on which platform; never a token: the database holds only their hashes,
and the export not even those) and its line in the record of processing activities. Erasure
needs nothing here: sessions reference `members.id` ON DELETE CASCADE. Nothing needs a
retention rule either: sessions and sign-in tokens are deleted once expired, every ten
minutes (`dashboard.session_hours`; links last 10 minutes)."""

from __future__ import annotations

from typing import Any

from bot.privacy import register_exporter
from bot.processing import Processing, register_processing
from bot.services import Services
from bot.spec import L10n
from commands.dashboard.store.sessions import SessionStore


async def export_sessions(services: Services, member_id: int) -> dict[str, Any]:
    return {"sessions": await services.get(SessionStore).of_member(member_id)}


register_exporter("dashboard", export_sessions, tables=("dashboard_sessions",))

register_processing(
    Processing(
        "dashboard",
        L10n(
            "Ouvrir le tableau de bord web aux équipes et aux modérateurs (sessions de connexion)",
            "Signing staff and moderators in to the web dashboard (sign-in sessions)",
        ),
        L10n(
            "compte (plateforme, espace, identifiant), nom affiché, groupes de la plateforme, "
            "langue, heures de connexion et d'expiration ; les jetons ne sont gardés que hachés",
            "account (platform, workspace, id), display name, the platform's groups, language, "
            "sign-in and expiry times; tokens are kept only as hashes",
        ),
        L10n("personnes qui se connectent au tableau de bord", "people who sign in"),
        L10n("aucun (seul le bot les lit)", "none (only the bot reads them)"),
        L10n(
            "la durée de la session (dashboard.session_hours), puis effacées",
            "as long as the session lasts (dashboard.session_hours), then deleted",
        ),
        L10n(
            "intérêt légitime (art. 6.1.f) ; sécuriser l'accès aux outils d'animation",
            "legitimate interest (Art. 6(1)(f)); securing access to the animation tools",
        ),
    )
)
