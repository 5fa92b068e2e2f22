"""`match …`: partners who share your interests, members on a topic, and coffee-chat rounds
(issue #7). The pure core is tags.py, ranking.py and rounds.py; the rest reads profiles
(commands/profile/store/profiles.py) and reads and writes the matching tables (store/)."""

from __future__ import annotations

from pathlib import Path

from bot.feature import Feature
from bot.home import HomeSection
from bot.services import Services
from bot.spec import Choice, CommandSpec, GroupSpec, Handler, L10n, OptionSpec, OptionType, Role
from commands.match import (
    privacy,  # noqa: F401 - registers the export of matching data
    retention,  # noqa: F401 - registers how long its history is kept
)
from commands.match.finding import find_partners, introduce, list_topic
from commands.match.home import match_home
from commands.match.round_commands import answer_met, rounds, snooze, stats
from commands.match.round_runner import start_rounds
from commands.match.store.matching import MatchingRepo
from commands.match.store.reports import MatchReports

T, INT, B = OptionType.TEXT, OptionType.INTEGER, OptionType.BOOLEAN


def _opt(name: str, kind: OptionType, fr: str, en: str, **kw: object) -> OptionSpec:
    return OptionSpec(name, kind, L10n(fr, en), **kw)  # type: ignore[arg-type]


def _command(
    sub: str, fr: str, en: str, handler: Handler, fr_name: str | None = None, **kw: object
) -> CommandSpec:
    return CommandSpec(("match", sub), L10n(fr, en), handler, fr_name=fr_name, **kw)  # type: ignore[arg-type]


_AGAIN = _opt(
    "again",
    B,
    "oui : inclure les personnes déjà rencontrées récemment",
    "yes: include people you met recently",
    fr_name="encore",
)
_ID = {"min_value": 1, "max_value": 2**31 - 1}

COMMANDS = (
    _command(
        "find",
        "Les membres qu'il vous faut rencontrer, et pourquoi",
        "Members you should meet, and why",
        find_partners,
        "trouver",
        options=(
            _opt(
                "topic",
                T,
                "Seulement des personnes qui travaillent sur ce thème",
                "Only people working on this topic",
                fr_name="theme",
                max_length=40,
                autocomplete="tag",
            ),
            _AGAIN,
        ),
        examples=(
            "/match find",
            "/match find topic:hackathon",
            L10n("/match find again:oui", "/match find again:yes"),
        ),
    ),
    _command(
        "topic",
        "Qui travaille sur un thème",
        "Who works on a topic",
        list_topic,
        "theme",
        options=(
            _opt(
                "tag",
                T,
                "Le thème, ex. tiers-lieux",
                "The topic, e.g. third places",
                required=True,
                fr_name="theme",
                max_length=40,
                autocomplete="tag",
            ),
        ),
        examples=("/match topic tiers-lieux",),
    ),
    _command(
        "rounds",
        "Rencontres régulières dans ce salon : activer, arrêter, état, un tour maintenant",
        "Regular rounds in this channel: enable, disable, status, a round now",
        rounds,
        "tours",
        options=(
            _opt(
                "action",
                OptionType.CHOICE,
                "Que faire",
                "What to do",
                required=True,
                choices=(
                    Choice("enable", L10n("activer", "enable")),
                    Choice("disable", L10n("arreter", "disable")),
                    Choice("status", L10n("etat", "status")),
                    Choice("now", L10n("maintenant", "now")),
                ),
            ),
            _opt(
                "schedule",
                T,
                "Quand : chaque semaine, toutes les 2 ou 4 semaines, ex. « un lundi sur deux 9h »",
                "When: every 1, 2 or 4 weeks, e.g. 'every 2 weeks monday 9am'",
                fr_name="frequence",
                max_length=120,
            ),
        ),
        role=Role.MODERATOR,
        examples=(
            L10n(
                '/match rounds enable schedule:"toutes les 2 semaines le lundi à 9h"',
                '/match rounds enable schedule:"every 2 weeks on monday 9am"',
            ),
            "/match rounds status",
        ),
    ),
    _command(
        "snooze",
        "Faire une pause dans les rencontres régulières",
        "Pause the regular rounds for you",
        snooze,
        "pause",
        options=(
            _opt(
                "weeks",
                INT,
                "Pendant N semaines (0 : reprendre)",
                "For N weeks (0: resume)",
                fr_name="semaines",
                min_value=0,
                max_value=52,
            ),
            _opt(
                "until",
                OptionType.DATETIME,
                "Jusqu'au, ex. 5 janvier",
                "Until, e.g. January 5",
                fr_name="jusqua",
            ),
        ),
        examples=(
            "/match snooze weeks:4",
            L10n('/match snooze until:"5 janvier"', '/match snooze until:"January 5"'),
        ),
    ),
    _command(
        "stats",
        "Bilan des rencontres : tours, groupes, rencontres faites",
        "Rounds report: rounds, groups, meetings reported",
        stats,
        role=Role.MODERATOR,
    ),
    _command(
        "introduce",
        "Présente-moi à ce membre",
        "Introduce me to this member",
        introduce,
        options=(
            _opt("member", INT, "Membre", "Member", required=True, **_ID),
            _AGAIN,
            _opt("proof", T, "Preuve de la suggestion", "Proof of the suggestion", max_length=40),
        ),
        hidden=True,
    ),
    _command(
        "met",
        "Avez-vous pu vous rencontrer ?",
        "Did you meet?",
        answer_met,
        options=(
            _opt("group", INT, "Groupe", "Group", required=True, **_ID),
            _opt(
                "answer",
                OptionType.CHOICE,
                "Réponse",
                "Answer",
                required=True,
                choices=(Choice("yes", L10n("oui", "yes")), Choice("no", L10n("non", "no"))),
            ),
        ),
        hidden=True,
    ),
)


async def _on_start(services: Services) -> None:
    await start_rounds(services)


FEATURE = Feature(
    "match",
    groups=(
        GroupSpec(
            "match", L10n("Rencontres entre membres", "Meeting other members"), fr_name="rencontre"
        ),
    ),
    commands=COMMANDS,
    # Its tables were created by the profile feature's branch (as they shipped); its own
    # branch changes them since.
    stores=lambda services: (
        MatchingRepo(services.db, services.leases),
        MatchReports(services.db),
    ),
    migrations=Path(__file__).with_name("migrations"),
    on_start=_on_start,
    home=(HomeSection(20, match_home),),
)
