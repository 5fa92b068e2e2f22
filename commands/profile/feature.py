"""`profile …`: a member's profile (agency, role, interests, languages, consent to be matched)
and their personal data (export, erasure). Matching itself is `match` (commands/match)."""

from __future__ import annotations

from pathlib import Path

from bot.feature import Feature
from bot.home import HomeSection
from bot.spec import CommandSpec, GroupSpec, L10n, OptionSpec, OptionType, Role
from commands.profile.demo import load_demo
from commands.profile.editing import set_profile
from commands.profile.home import profile_home
from commands.profile.member_tools import MEMBERS_TOOL
from commands.profile.privacy import delete_data, export_data, link_identities, purge_member
from commands.profile.store.profiles import ProfileRepo
from commands.profile.store.reports import ProfileReports
from commands.profile.store.tables import MAX_DESCRIPTION
from commands.profile.viewing import list_tags, show_profile
from commands.profile.vocabulary import tag_choices

T, B = OptionType.TEXT, OptionType.BOOLEAN


def _opt(name: str, kind: OptionType, fr: str, en: str, **kw: object) -> OptionSpec:
    return OptionSpec(name, kind, L10n(fr, en), **kw)  # type: ignore[arg-type]


_CONFIRM = _opt(
    "confirm", B, "oui : effacer sans redemander", "yes: erase without asking", fr_name="confirmer"
)

SET_OPTIONS = (
    _opt(
        "agency",
        T,
        "Votre agence (par défaut : celle du salon) ; - pour aucune",
        "Your agency (default: this channel's); - for none",
        fr_name="agence",
        max_length=120,
        autocomplete="agency",
    ),
    _opt(
        "organisation",
        T,
        "Votre structure (entreprise, collectivité, université…)",
        "Your organisation (company, local government, university…)",
        fr_name="structure",
        max_length=120,
    ),
    _opt("role", T, "Votre fonction", "Your job title", fr_name="fonction", max_length=120),
    _opt(
        "interests",
        T,
        "Vos sujets, séparés par des virgules (ex. tiers-lieux, hackathon)",
        "Your topics, comma separated (e.g. third places, hackathon)",
        fr_name="interets",
        max_length=600,
        autocomplete="tag",
    ),
    _opt(
        "description",
        T,
        "Vos projets du moment, en quelques phrases",
        "Your current projects, in a few sentences",
        max_length=MAX_DESCRIPTION,
    ),
    _opt(
        "languages",
        T,
        "Langues parlées, ex. fr, en",
        "Languages you speak, e.g. fr, en",
        fr_name="langues",
        max_length=80,
    ),
    _opt(
        "match",
        B,
        "oui : être mis en relation avec d'autres membres",
        "yes: be introduced to other members",
        fr_name="rencontres",
    ),
    _opt(
        "visible",
        B,
        "oui : les autres membres peuvent voir votre profil",
        "yes: other members may see your profile",
    ),
    _opt(
        "open",
        B,
        "oui : tout membre peut demander à vous être présenté",
        "yes: any member may ask to be introduced to you",
        fr_name="ouvert",
    ),
)


def _command(
    sub: str, fr: str, en: str, handler: object, fr_name: str, **kw: object
) -> CommandSpec:
    return CommandSpec(("profile", sub), L10n(fr, en), handler, fr_name=fr_name, **kw)  # type: ignore[arg-type]


COMMANDS = (
    _command(
        "set",
        "Crée ou modifie votre profil",
        "Create or change your profile",
        set_profile,
        "modifier",
        options=SET_OPTIONS,
        examples=(
            '/profile set interests:"tiers-lieux, hackathon" languages:fr,en match:yes',
            '/profil modifier fonction:"Chargée de mission" description:"Je lance un fablab."',
        ),
    ),
    _command(
        "show",
        "Affiche votre profil, ou celui d'un membre qui l'a rendu visible",
        "Show your profile, or that of a member who made theirs visible",
        show_profile,
        "voir",
        options=(
            _opt("user", OptionType.USER, "Un autre membre", "Another member", fr_name="membre"),
        ),
    ),
    _command(
        "tags",
        "Les thèmes utilisés par les membres (pour choisir les mêmes)",
        "Topics members use (to pick the same ones)",
        list_tags,
        "themes",
        options=(
            _opt(
                "search",
                T,
                "Chercher un thème",
                "Search a topic",
                fr_name="chercher",
                max_length=40,
            ),
        ),
    ),
    _command(
        "export",
        "Toutes les données que fedbot détient sur vous (fichier JSON)",
        "All the data fedbot holds about you (JSON file)",
        export_data,
        "exporter",
    ),
    _command(
        "link",
        "Relie vos comptes d'autres espaces (Slack, Discord) : un code à taper de l'autre côté",
        "Link your accounts in other workspaces (Slack, Discord): a code to type on the other",
        link_identities,
        "relier",
        options=(
            _opt(
                "code",
                T,
                "Le code donné par votre autre compte",
                "The code your other account gave",
                max_length=20,
            ),
            _CONFIRM,
        ),
        examples=("/profile link", "/profile link code:4F2A-9C01-77BE"),
    ),
    _command(
        "delete",
        "Efface toutes vos données (profil, inscriptions, rencontres)",
        "Erase all your data (profile, RSVPs, matches)",
        delete_data,
        "supprimer",
        options=(_CONFIRM,),
    ),
    _command(
        "purge",
        "Efface les données d'un membre parti de l'espace",
        "Erase the data of a member who left the workspace",
        purge_member,
        "purger",
        options=(
            _opt(
                "user",
                OptionType.USER,
                "Le membre (identifiant ou @mention)",
                "The member (id or @mention)",
                required=True,
                fr_name="membre",
            ),
            _CONFIRM,
        ),
        role=Role.ADMIN,
    ),
)

FEATURE = Feature(
    "profile",
    groups=(GroupSpec("profile", L10n("Profil des membres", "Member profiles"), fr_name="profil"),),
    commands=COMMANDS,
    # Its Alembic branch also holds the matching tables, created with the profiles'.
    stores=lambda services: (ProfileRepo(services.db), ProfileReports(services.db)),
    migrations=Path(__file__).with_name("migrations"),
    completions={"tag": tag_choices},
    home=(HomeSection(50, profile_home),),
    demo=load_demo,
    cli=(MEMBERS_TOOL,),
)
