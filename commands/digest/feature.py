"""`digest …`: scheduled digests that moderators configure per channel (issue #8).

Specs live here; handlers in handlers.py, who-may-what in permissions.py, the sections in
sections.py, the message in build.py, scheduling and exactly-once sends in runner.py.
"""

from __future__ import annotations

from pathlib import Path

from bot.feature import Feature
from bot.home import HomeSection
from bot.spec import Choice, CommandSpec, GroupSpec, Handler, L10n, OptionSpec, OptionType, Role
from commands.digest import handlers as h
from commands.digest import retention  # noqa: F401 - registers what digests process
from commands.digest.demo import load_demo
from commands.digest.home import digests_home
from commands.digest.runner import start_digests, stop_digests
from commands.digest.settings import MAX_DAYS
from commands.digest.store.digests import DigestRepo

_ID = OptionSpec(
    "id",
    OptionType.INTEGER,
    L10n("Numéro du récap (voir /digest list)", "Digest number (see /digest list)"),
    required=True,
    fr_name="numero",
    min_value=1,
    max_value=2**31 - 1,
)


def _settings(*, create: bool) -> tuple[OptionSpec, ...]:
    """The options create and edit share (all optional when editing)."""
    return (
        OptionSpec(
            "schedule",
            OptionType.TEXT,
            L10n(
                "Rythme : « tous les lundis à 9h », « quotidien 8h30 », « mensuel 1er lundi », "
                "ou cron",
                "Schedule: “every monday 9am”, “daily 8:30”, “monthly first monday”, or cron",
            ),
            required=create,
            fr_name="rythme",
            max_length=120,
        ),
        OptionSpec(
            "channel",
            OptionType.CHANNEL,
            L10n(
                "Salon où l'envoyer (par défaut : celui-ci)",
                "Channel to post in (default: this one)",
            ),
            fr_name="salon",
        ),
        OptionSpec(
            "lang",
            OptionType.CHOICE,
            L10n("Langue du récap", "Language of the digest"),
            fr_name="langue",
            choices=(
                Choice("fr", L10n("français", "French")),
                Choice("en", L10n("anglais", "English")),
            ),
        ),
        OptionSpec(
            "sections",
            OptionType.TEXT,
            L10n(
                "Rubriques : events, members, faq, unanswered, announcements, matches, activity",
                "Sections: events, members, faq, unanswered, announcements, matches, activity",
            ),
            fr_name="rubriques",
            max_length=200,
        ),
        OptionSpec(
            "days",
            OptionType.INTEGER,
            L10n("Agenda : combien de jours à venir (14)", "Events: how many days ahead (14)"),
            fr_name="jours",
            min_value=1,
            max_value=MAX_DAYS,
        ),
        OptionSpec(
            "scope",
            OptionType.CHOICE,
            L10n(
                "Agenda : l'agence du salon, sa région, ou tout",
                "Events: the channel's agency, its region, or all",
            ),
            fr_name="portee",
            choices=(
                Choice("agency", L10n("agence", "agency")),
                Choice("region", L10n("région", "region")),
                Choice("all", L10n("toutes", "all")),
            ),
        ),
        OptionSpec(
            "skip_empty",
            OptionType.BOOLEAN,
            L10n(
                "Ne rien envoyer quand il n'y a rien de neuf (oui)",
                "Send nothing when there is no news (yes)",
            ),
            fr_name="ignorer_vide",
        ),
        OptionSpec(
            "title",
            OptionType.TEXT,
            L10n("Titre (« - » pour l'enlever)", "Title (“-” to remove it)"),
            fr_name="titre",
            max_length=150,
        ),
    )


def _by_id(name: str, fr_name: str, fr: str, en: str, handler: Handler) -> CommandSpec:
    return CommandSpec(
        ("digest", name),
        L10n(fr, en),
        handler,
        options=(_ID,),
        role=Role.MODERATOR,
        fr_name=fr_name,
        examples=(f"/digest {name} 1",),
    )


FEATURE = Feature(
    "digest",
    groups=(
        GroupSpec(
            "digest",
            L10n("Récaps programmés des salons", "Scheduled digests for channels"),
            fr_name="recap",
        ),
    ),
    commands=(
        CommandSpec(
            ("digest", "create"),
            L10n("Programme un récap dans un salon", "Schedule a digest in a channel"),
            h.create_digest,
            options=_settings(create=True),
            role=Role.MODERATOR,
            fr_name="creer",
            examples=(
                '/digest create schedule:"every monday 9am" sections:events,members days:14',
                '/recap creer rythme:"tous les lundis à 9h" rubriques:agenda,annonces',
            ),
        ),
        CommandSpec(
            ("digest", "list"),
            L10n(
                "Les récaps programmés et leur prochain envoi",
                "Scheduled digests and their next run",
            ),
            h.list_digests,
            role=Role.MODERATOR,
            fr_name="liste",
        ),
        _by_id(
            "preview",
            "apercu",
            "Montre un récap tel qu'il serait envoyé maintenant (sans l'envoyer)",
            "Show a digest as it would be sent now (without sending it)",
            h.preview_digest,
        ),
        _by_id("run", "envoyer", "Envoie un récap maintenant", "Send a digest now", h.run_digest),
        _by_id("pause", "suspendre", "Met un récap en pause", "Pause a digest", h.pause_digest),
        _by_id(
            "resume",
            "reprendre",
            "Reprend un récap en pause",
            "Resume a paused digest",
            h.resume_digest,
        ),
        CommandSpec(
            ("digest", "edit"),
            L10n("Modifie un récap", "Change a digest"),
            h.edit_digest,
            options=(_ID, *_settings(create=False)),
            role=Role.MODERATOR,
            fr_name="modifier",
            examples=('/digest edit 1 schedule:"every friday 4pm" skip_empty:no',),
        ),
        _by_id("delete", "supprimer", "Supprime un récap", "Delete a digest", h.delete_digest),
    ),
    stores=lambda services: (DigestRepo(services.db),),
    migrations=Path(__file__).with_name("migrations"),
    on_start=start_digests,
    on_stop=stop_digests,
    home=(HomeSection(60, digests_home),),
    demo=load_demo,
)
