"""`announce`: staff broadcasts to every agency channel, on every platform, with nothing lost.

`announce send` shows a preview with the channel count per platform; Confirm writes the
announcement and one outbox row per channel in one transaction, and the courier
(`delivery.py`) delivers them within the platforms' rate limits, resuming after a restart.
Every copy carries an "Acknowledge / Bien reçu" button; `announce status` shows who saw it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from bot.feature import Feature
from bot.home import HomeSection
from bot.services import Services
from bot.spec import (
    Choice,
    CommandSpec,
    GroupSpec,
    Handler,
    L10n,
    OptionSpec,
    OptionType,
    Role,
)
from commands.announce import handlers as h
from commands.announce import retention  # noqa: F401 - registers how long deliveries are kept
from commands.announce.delivery import courier_for, pending_sends, run_due, stop_courier
from commands.announce.demo import load_demo
from commands.announce.home import agency_home, staff_home
from commands.announce.store.announcements import AnnouncementRepo, State
from commands.announce.store.depth import outbox_depth
from commands.announce.store.reports import AnnounceReports

log = logging.getLogger(__name__)

RESUME_DELAY = timedelta(seconds=3)  # after a start, once the adapters had time to connect

_ID = OptionSpec(
    "id",
    OptionType.INTEGER,
    L10n("Numéro de l'annonce", "Announcement number"),
    required=True,
    fr_name="numero",
    min_value=1,
)

_SEND_OPTIONS = (
    OptionSpec(
        "to",
        OptionType.CHOICE,
        L10n("Destinataires", "Audience"),
        required=True,
        fr_name="pour",
        choices=(
            Choice("all", L10n("toutes", "all")),
            Choice("region", L10n("région", "region")),
            Choice("agencies", L10n("agences", "agencies")),
            Choice("tag", L10n("thème", "topic")),
        ),
    ),
    OptionSpec(
        "target",
        OptionType.TEXT,
        L10n(
            "La région, les agences (séparées par un point-virgule) ou le thème des salons",
            "The region, the agencies (separated by ;) or the channels' topic",
        ),
        fr_name="cible",
        max_length=500,
    ),
    OptionSpec("title", OptionType.TEXT, L10n("Titre", "Title"), fr_name="titre", max_length=150),
    OptionSpec(
        "link",
        OptionType.TEXT,
        L10n("Lien (https://…)", "Link (https://…)"),
        fr_name="lien",
        max_length=500,
    ),
    OptionSpec(
        "at",
        OptionType.DATETIME,
        L10n("Envoyer plus tard (ex. « demain 9h »)", "Send later (e.g. “tomorrow 9am”)"),
        fr_name="quand",
    ),
    OptionSpec(
        "text",
        OptionType.TEXT,
        L10n("Le texte de l'annonce", "The announcement's text"),
        fr_name="texte",
        max_length=3000,
        rest=True,
    ),
)


def _staff(
    name: str,
    fr: str,
    en: str,
    handler: Handler,
    *,
    options: tuple[OptionSpec, ...] = (),
    fr_name: str | None = None,
    hidden: bool = False,
    examples: tuple[str, ...] = (),
) -> CommandSpec:
    return CommandSpec(
        ("announce", name),
        L10n(fr, en),
        handler,
        options=options,
        role=Role.STAFF,
        hidden=hidden,
        fr_name=fr_name,
        examples=examples,
    )


COMMANDS = (
    _staff(
        "send",
        "Prépare une annonce à toutes les agences (aperçu, puis confirmation)",
        "Prepare an announcement to the agencies (preview, then confirm)",
        h.send_announcement,
        options=_SEND_OPTIONS,
        fr_name="envoyer",
        examples=(
            '/announce send all title:"Appel à projets" link:https://exemple.fr Le nouvel appel…',
            L10n(
                '/annonce envoyer region cible:Bretagne quand:"demain 9h" Rencontre régionale…',
                '/announce send region target:Bretagne at:"tomorrow 9am" Regional meeting…',
            ),
            '/announce send agencies target:"Rennes Atalante;Lyon Attractivité" Merci de…',
        ),
    ),
    _staff(
        "confirm", "Confirme l'envoi", "Confirm the send", h.confirm, options=(_ID,), hidden=True
    ),
    _staff(
        "cancel", "Annule l'aperçu", "Cancel the preview", h.cancel, options=(_ID,), hidden=True
    ),
    _staff(
        "status",
        "Où en est une annonce : envois, échecs, accusés de lecture",
        "Where an announcement stands: deliveries, failures, acknowledgements",
        h.show_status,
        options=(_ID,),
        fr_name="etat",
    ),
    _staff(
        "list",
        "Les dernières annonces",
        "Recent announcements",
        h.list_announcements,
        fr_name="liste",
    ),
    _staff(
        "retry",
        "Renvoie une annonce là où l'envoi a échoué",
        "Send an announcement again where delivery failed",
        h.retry,
        options=(_ID,),
        fr_name="relancer",
    ),
    _staff(
        "delete",
        "Retire une annonce de tous les salons où elle a été publiée",
        "Withdraw an announcement from every channel it was posted to",
        h.delete,
        options=(_ID,),
        fr_name="retirer",
    ),
    CommandSpec(
        ("announce", "ack"),
        L10n("Accuse réception d'une annonce", "Acknowledge an announcement"),
        h.acknowledge,
        options=(_ID,),
        hidden=True,
    ),
)


async def on_start(services: Services) -> None:
    """Rebuild the scheduled sends, start the sweep (which also takes over the rows of a
    process that died, once their lease lapsed: nothing is re-queued blindly at start)."""
    courier_for(services)
    now = services.clock.now()
    for ann in await services.get(AnnouncementRepo).in_state(State.ACTIVE):
        if ann.send_at and ann.send_at > now:
            h.schedule_send(services, ann.id, ann.send_at)

    async def sweep() -> None:
        await run_due(services, services.clock.now())

    services.scheduler.every("announce:sweep", services.config.announce.sweep_interval, sweep)
    services.scheduler.at("announce:resume", now + RESUME_DELAY, sweep)


FEATURE = Feature(
    "announce",
    groups=(
        GroupSpec(
            "announce", L10n("Annonces aux agences", "Announcements to agencies"), fr_name="annonce"
        ),
    ),
    commands=COMMANDS,
    stores=lambda services: (
        AnnouncementRepo(services.db, services.leases),
        AnnounceReports(services.db),
    ),
    migrations=Path(__file__).with_name("migrations"),
    on_start=on_start,
    on_stop=stop_courier,
    home=(HomeSection(40, agency_home), HomeSection(70, staff_home)),
    pending=pending_sends,
    demo=load_demo,
    outbox_depth=outbox_depth,
)
