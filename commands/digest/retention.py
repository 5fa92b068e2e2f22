"""What digests process: nothing of their own beyond who created a digest; they show, in a
channel, what other features hold (events, newcomers whose profile is visible, questions asked
by several people, announcements, introductions)."""

from __future__ import annotations

from bot.processing import Processing, register_processing
from bot.spec import L10n

register_processing(
    Processing(
        "digests",
        L10n(
            "Publier des récaps programmés de l'activité dans les salons des agences",
            "Posting scheduled digests of the activity in the agencies' channels",
        ),
        L10n(
            "qui a créé le récap ; les récaps citent les nouveaux membres dont le profil est "
            "visible",
            "who created the digest; digests name newcomers whose profile is visible",
        ),
        L10n(
            "modérateurs, membres au profil visible", "moderators, members with a visible profile"
        ),
        L10n("les membres du salon où le récap est publié", "the members of the digest's channel"),
        L10n("tant que le récap existe", "as long as the digest exists"),
        L10n("intérêt légitime (art. 6.1.f)", "legitimate interest (Art. 6(1)(f))"),
    )
)
