"""The bot's part of the GDPR record of processing activities (Article 30), from what each
feature declares: `fedbot privacy register` prints it, in French (English with `--lang en`).

A feature registers one `Processing` per purpose. Retention texts may name `[privacy]`
durations in braces (`{rsvp_months}`): the record shows the configured values.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.settings import PrivacySettings
from bot.spec import L10n


@dataclass(frozen=True)
class Processing:
    name: str
    purpose: L10n
    data: L10n  # categories of personal data
    people: L10n  # whose data
    recipients: L10n
    retention: L10n
    basis: L10n  # legal basis (Article 6)


_REGISTER: dict[str, Processing] = {}

_HEADINGS = {
    "fr": {
        "title": "Registre des activités de traitement — partie fedbot (RGPD, article 30)",
        "purpose": "Finalité",
        "data": "Catégories de données",
        "people": "Personnes concernées",
        "recipients": "Destinataires",
        "retention": "Durée de conservation",
        "basis": "Base légale",
        "security": "Mesures de sécurité : accès par rôles vérifiés dans le cœur, espaces de la "
        "fédération seulement, jetons chiffrés (FEDBOT_SECRET_KEY), fichiers de base de "
        "données lisibles par leur seul propriétaire, export et effacement à la demande "
        "(/profile export, /profile delete, fedbot members erase).",
    },
    "en": {
        "title": "Record of processing activities — fedbot's part (GDPR, Article 30)",
        "purpose": "Purpose",
        "data": "Categories of data",
        "people": "Data subjects",
        "recipients": "Recipients",
        "retention": "Retention",
        "basis": "Legal basis",
        "security": "Security measures: roles checked in the core, the federation's workspaces "
        "only, tokens encrypted (FEDBOT_SECRET_KEY), database files readable by their owner "
        "only, export and erasure on request (/profile export, /profile delete, "
        "fedbot members erase).",
    },
}


def register_processing(processing: Processing) -> None:
    if _REGISTER.setdefault(processing.name, processing) != processing:
        raise ValueError(f"processing: {processing.name!r} is registered twice")


def processings() -> list[Processing]:
    return [_REGISTER[name] for name in sorted(_REGISTER)]


def render_register(privacy: PrivacySettings, lang: str) -> str:
    """The record as text (Markdown-friendly), one section per processing."""
    words = _HEADINGS["en" if lang == "en" else "fr"]
    durations = {f.name: getattr(privacy, f.name) for f in fields(privacy)}
    lines = [f"# {words['title']}", ""]
    for item in processings():
        lines += [f"## {item.purpose.get(lang)}", ""]
        for key in ("data", "people", "recipients", "retention", "basis"):
            text = getattr(item, key).get(lang).format(**durations)
            colon = "\u202f:" if lang == "fr" else ":"  # French puts a thin space before ":"
            lines.append(f"- **{words[key]}**{colon} {text}")
        lines.append("")
    lines.append(words["security"])
    return "\n".join(lines) + "\n"


# The core's own processing: knowing who is who, across the federation's workspaces.
register_processing(
    Processing(
        "core.members",
        L10n(
            "Reconnaître les membres de la fédération d'un espace à l'autre (Slack, Discord)",
            "Recognising the federation's members across workspaces (Slack, Discord)",
        ),
        L10n(
            "identifiants de la plateforme (espace, utilisateur, organisation Slack), nom "
            "affiché, langue, comptes reliés par la personne",
            "platform ids (workspace, user, Slack org), display name, language, accounts the "
            "person linked",
        ),
        L10n(
            "membres des agences, partenaires, ambassadeurs qui utilisent le bot",
            "agencies' members, partners and ambassadors who use the bot",
        ),
        L10n("l'équipe fédérale (administration du bot)", "the federation staff (running the bot)"),
        L10n(
            "tant que la personne utilise le bot ; effacement à sa demande",
            "as long as the person uses the bot; erased on request",
        ),
        L10n(
            "intérêt légitime de l'association à animer son réseau (art. 6.1.f)",
            "the association's legitimate interest in running its network (Art. 6(1)(f))",
        ),
    )
)
