"""`event …`: announce, RSVP, remind, export (issue #5).

Specs live here; handlers by concern: organise (create/edit/cancel), browse (list/show/mine),
rsvp (answers, attendees), feeds (.ics and HTTP feeds), reminders (the periodic job).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot import workers
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
from commands.events import retention  # noqa: F401 - registers RSVP anonymisation
from commands.events.browse import event_choices, list_events, my_events, show_event
from commands.events.demo import load_demo
from commands.events.drafts import MAX_OCCURRENCES
from commands.events.feedcache import FeedCache
from commands.events.feeds import ics, routes
from commands.events.home import events_home
from commands.events.mirror_sync import start_mirrors, stop_mirrors
from commands.events.organise import cancel_event, create_event, edit_event
from commands.events.reminders import start_reminders
from commands.events.rsvp import attendees, rsvp
from commands.events.store.events import EventRepo

T, INT, D = OptionType.TEXT, OptionType.INTEGER, OptionType.DATETIME


def _opt(name: str, kind: OptionType, fr: str, en: str, **kw: Any) -> OptionSpec:
    return OptionSpec(name, kind, L10n(fr, en), **kw)


EVENT = _opt(
    "event",
    INT,
    "Numéro de l'événement",
    "Event number",
    required=True,
    fr_name="evenement",
    min_value=1,
    max_value=2**31 - 1,
    autocomplete="event",
)
AGENCY = _opt(
    "agency",
    T,
    "Agence organisatrice (par défaut : celle du salon)",
    "Organising agency (default: this channel's)",
    fr_name="agence",
    max_length=120,
    autocomplete="agency",
)
TAG = _opt(
    "tag", T, "Un thème, ex. numerique", "One tag, e.g. numerique", fr_name="theme", max_length=30
)


def _details(*, create: bool) -> tuple[OptionSpec, ...]:
    """The options create and edit share (all optional when editing)."""
    return (
        _opt(
            "end",
            T,
            "Fin : date ou heure, ex. 21h (lue à partir du début)",
            "End: date or time, e.g. 9pm (read from the start)",
            fr_name="fin",
            max_length=60,
        ),
        _opt(
            "duration",
            T,
            "Ou une durée, ex. 2h, 1h30, 2 jours",
            "Or a duration, e.g. 2h, 1h30, 2 days",
            fr_name="duree",
            max_length=40,
        ),
        _opt("place", T, "Lieu (adresse)", "Place (address)", fr_name="lieu", max_length=200),
        _opt(
            "link",
            T,
            "Lien en ligne (https://…)",
            "Online link (https://…)",
            fr_name="lien",
            max_length=300,
        ),
        _opt("description", T, "Description", "Description", max_length=1500),
        _opt(
            "tags",
            T,
            "Thèmes, séparés par des virgules",
            "Tags, comma separated",
            fr_name="themes",
            max_length=200,
        ),
        _opt(
            "capacity",
            INT,
            "Nombre de places" + ("" if create else " (0 : sans limite)"),
            "Number of seats" + ("" if create else " (0: no limit)"),
            fr_name="places",
            min_value=1 if create else 0,
            max_value=100_000,
        ),
    )


_REPEAT = _opt(
    "repeat",
    OptionType.CHOICE,
    "Répétition",
    "Repeat",
    fr_name="repetition",
    choices=(
        Choice("none", L10n("aucune", "none")),
        Choice("weekly", L10n("chaque semaine", "every week")),
        Choice("monthly", L10n("chaque mois", "every month")),
    ),
)
_AUDIENCE = _opt(
    "audience",
    OptionType.CHOICE,
    "Où l'annoncer (toutes : équipe fédérale)",
    "Where to announce it (all: federation staff)",
    fr_name="diffusion",
    choices=(
        Choice("agency", L10n("agence", "agency")),
        Choice("all", L10n("toutes", "all agencies")),
    ),
)

CREATE_OPTIONS = (
    _opt(
        "title", T, "Titre", "Title", required=True, fr_name="titre", min_length=3, max_length=150
    ),
    _opt(
        "start",
        D,
        "Début, ex. « 4 déc. 18h », vendredi 14h30, 2026-12-04 18:00",
        "Start, e.g. 'Dec 4 6pm', friday 2:30pm, 2026-12-04 18:00",
        required=True,
        fr_name="debut",
    ),
    *_details(create=True),
    AGENCY,
    _AUDIENCE,
    _REPEAT,
    _opt(
        "count",
        INT,
        f"Nombre de dates de la série (2 à {MAX_OCCURRENCES})",
        f"Number of dates in the series (2 to {MAX_OCCURRENCES})",
        fr_name="nombre",
        min_value=2,
        max_value=MAX_OCCURRENCES,
    ),
    _opt(
        "until",
        T,
        "Ou la dernière date de la série",
        "Or the series' last date",
        fr_name="jusqua",
        max_length=60,
    ),
)

EDIT_OPTIONS = (
    EVENT,
    _opt("title", T, "Nouveau titre", "New title", fr_name="titre", min_length=3, max_length=150),
    _opt(
        "start",
        D,
        "Nouveau début (la durée est gardée)",
        "New start (the length is kept)",
        fr_name="debut",
    ),
    *_details(create=False),
)


def _command(sub: str, fr: str, en: str, handler: Handler, fr_name: str, **kw: Any) -> CommandSpec:
    return CommandSpec(("event", sub), L10n(fr, en), handler, fr_name=fr_name, **kw)


COMMANDS = (
    _command(
        "create",
        "Crée et annonce un événement",
        "Create and announce an event",
        create_event,
        "creer",
        options=CREATE_OPTIONS,
        role=Role.MODERATOR,
        slow=True,
        examples=(
            L10n(
                '/event create "Nuit du numérique pour les TPE" "4 déc. 18h" duration:3h '
                'place:"Cantine numérique, Nantes" capacity:40 tags:numerique,tpe',
                '/event create "Digital night for small businesses" "Dec 4 6pm" duration:3h '
                'place:"Cantine numérique, Nantes" capacity:40 tags:numerique,tpe',
            ),
            L10n(
                '/event create "MOOC : vendre en ligne" "mardi 10h" '
                'link:https://mooc.example.org repeat:"chaque semaine" count:6',
                '/event create "MOOC: selling online" "tuesday 10am" '
                "link:https://mooc.example.org repeat:weekly count:6",
            ),
        ),
    ),
    _command(
        "edit",
        "Modifie un événement (prévient les inscrits)",
        "Edit an event (tells everyone who answered)",
        edit_event,
        "modifier",
        options=EDIT_OPTIONS,
        role=Role.MODERATOR,
        slow=True,
        fixed=(("agency", "events.agency_fixed"), ("agence", "events.agency_fixed")),
        examples=(
            L10n('/event edit 12 start:"5 déc. 18h"', '/event edit 12 start:"Dec 5 6pm"'),
            "/event edit 12 place:- link:https://visio.example.org",
        ),
    ),
    _command(
        "cancel",
        "Annule un événement (prévient les inscrits)",
        "Cancel an event (tells everyone who answered)",
        cancel_event,
        "annuler",
        options=(
            EVENT,
            _opt(
                "series",
                OptionType.BOOLEAN,
                "Annuler aussi les dates suivantes de la série",
                "Also cancel the series' later dates",
                fr_name="serie",
            ),
            _opt(
                "reason",
                T,
                "Raison, dite aux inscrits",
                "Reason, told to attendees",
                fr_name="raison",
                max_length=300,
                rest=True,
            ),
        ),
        role=Role.MODERATOR,
        slow=True,
        examples=(
            L10n(
                "/event cancel 12 la salle n'est plus disponible",
                "/event cancel 12 the room is no longer available",
            ),
        ),
    ),
    _command(
        "list",
        "Les événements à venir",
        "Upcoming events",
        list_events,
        "liste",
        options=(
            AGENCY,
            _opt("region", T, "Région", "Region", max_length=80),
            TAG,
            _opt(
                "from", T, "À partir du, ex. 1/12", "From, e.g. 1/12", fr_name="du", max_length=60
            ),
            _opt("to", T, "Jusqu'au (inclus)", "Until (included)", fr_name="au", max_length=60),
            _opt("page", INT, "Page", "Page", min_value=1, max_value=1000),
        ),
        examples=("/event list region:Bretagne", "/event list tag:numerique from:1/12 to:31/12"),
    ),
    _command(
        "show", "Un événement en détail", "One event in full", show_event, "voir", options=(EVENT,)
    ),
    _command(
        "rsvp",
        "Répond à une invitation : je viens, peut-être, je ne viens pas",
        "Answer: going, maybe, not going",
        rsvp,
        "repondre",
        options=(
            EVENT,
            _opt(
                "answer",
                OptionType.CHOICE,
                "Votre réponse",
                "Your answer",
                required=True,
                fr_name="reponse",
                choices=(
                    Choice("going", L10n("je viens", "going")),
                    Choice("maybe", L10n("peut-être", "maybe")),
                    Choice("no", L10n("je ne viens pas", "not going")),
                ),
            ),
        ),
        examples=(
            L10n('/event rsvp 12 "je viens"', "/event rsvp 12 going"),
            "/event rsvp 12 maybe",
        ),
    ),
    _command(
        "attendees",
        "Qui vient (organisateurs)",
        "Who comes (organisers)",
        attendees,
        "participants",
        options=(EVENT,),
        role=Role.MODERATOR,
    ),
    _command(
        "ics",
        "Fichier agenda (.ics) d'un événement ou de tous",
        "Calendar file (.ics) of one event or all",
        ics,
        "agenda",
        options=(
            _opt(
                "event",
                INT,
                "Un seul événement",
                "A single event",
                fr_name="evenement",
                min_value=1,
                max_value=2**31 - 1,
            ),
            _opt(
                "agency",
                T,
                "Les événements d'une agence",
                "One agency's events",
                fr_name="agence",
                max_length=120,
                autocomplete="agency",
            ),
            TAG,
        ),
        examples=("/event ics", "/event ics event:12", "/event ics tag:numerique"),
    ),
    _command(
        "mine",
        "Mes réponses aux événements à venir",
        "My answers to upcoming events",
        my_events,
        "mes",
    ),
)


async def _on_start(services: Services) -> None:
    await start_reminders(services)
    start_mirrors(services)
    if services.config.http.enabled:  # feeds are served: their worker process starts now
        workers.warm()


FEATURE = Feature(
    "events",
    groups=(GroupSpec("event", L10n("Événements", "Events"), fr_name="evenement"),),
    commands=COMMANDS,
    stores=lambda services: (EventRepo(services.db), FeedCache(services)),
    migrations=Path(__file__).with_name("migrations"),
    on_start=_on_start,
    on_stop=stop_mirrors,
    routes=lambda app: routes(app.services),
    completions={"event": event_choices},
    home=(HomeSection(10, events_home),),
    demo=load_demo,
)
