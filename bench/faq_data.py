"""Data of the FAQ benches: the two evaluation sets and synthetic entries for speed measures.

- tests/faq_eval: the TUNING set (the engine's lexicon, weights and thresholds were fitted on
  it, see bench/faq_fit.py);
- tests/faq_tune2: the second TUNING set, written blind (without the engine, its lexicon or the
  other sets in view) and scored once as it was before anything was fitted on it; since then
  the decision is fitted on both tuning sets;
- tests/faq_holdout: the FROZEN held-out set, written independently; only ever run to report.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from pathlib import Path

import yaml
from measure import ROOT

from commands.faq.retrieval import FaqDoc

EVAL_DIR = ROOT / "tests" / "faq_eval"
TUNE2_DIR = ROOT / "tests" / "faq_tune2"
HOLDOUT_DIR = ROOT / "tests" / "faq_holdout"


@dataclass(frozen=True)
class Query:
    text: str
    expected: int | None
    kind: str

    @property
    def split(self) -> str:
        return "dev" if zlib.crc32(self.text.encode()) % 2 == 0 else "held-out"


def load_entries(path: Path = EVAL_DIR / "entries.yaml") -> list[FaqDoc]:
    return [
        FaqDoc(
            id=e["id"],
            lang=e["lang"],
            question=e["question"],
            answer=e["answer"],
            variants=tuple(e.get("variants") or ()),
            tags=tuple(e.get("tags") or ()),
            translations={
                lang: (t["question"], t["answer"])
                for lang, t in (e.get("translations") or {}).items()
            },
        )
        for e in yaml.safe_load(path.read_text(encoding="utf-8"))
    ]


def load_queries(path: Path = EVAL_DIR / "queries.yaml") -> list[Query]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Query(q["query"], q["expected"], q["kind"]) for q in raw]


# --- synthetic entries for the speed measure ----------------------------------------------

_TOPICS = (
    ("l'atelier cybersécurité", "the cybersecurity workshop"),
    ("la matinale de l'export", "the export breakfast"),
    ("le club des dirigeants", "the business leaders' club"),
    ("le salon de l'industrie", "the industry fair"),
    ("la semaine de l'emploi", "the employment week"),
    ("le concours de l'innovation", "the innovation contest"),
    ("le speed meeting des partenaires", "the partners' speed meeting"),
    ("la visite d'entreprise", "the company visit"),
    ("le webinaire RGPD", "the GDPR webinar"),
    ("la formation réseaux sociaux", "the social media training"),
    ("le programme d'accélération", "the acceleration programme"),
    ("le prêt d'honneur", "the honour loan"),
    ("la pépinière d'entreprises", "the business nursery"),
    ("l'incubateur", "the incubator"),
    ("la bourse aux locaux", "the premises exchange"),
    ("le club RH", "the HR club"),
    ("le petit-déjeuner des créateurs", "the founders' breakfast"),
    ("le challenge des lycéens", "the high-school challenge"),
    ("la journée de la transmission d'entreprise", "the business transfer day"),
    ("le forum des métiers", "the careers forum"),
    ("l'atelier e-commerce", "the e-commerce workshop"),
    ("le diagnostic export", "the export assessment"),
    ("la rencontre des acheteurs publics", "the public buyers meeting"),
    ("le club immobilier d'entreprise", "the commercial property club"),
    ("l'atelier facturation électronique", "the e-invoicing workshop"),
    ("la conférence transition écologique", "the ecological transition conference"),
    ("le parcours créateurs", "the founders' track"),
    ("le marché de Noël des artisans", "the craftsmen's Christmas market"),
    ("le trophée des entreprises", "the business trophy"),
    ("la tournée des zones d'activité", "the business parks tour"),
    ("le réseau des commerçants", "the shopkeepers' network"),
    ("l'atelier intelligence artificielle", "the artificial intelligence workshop"),
    ("la journée portes ouvertes du fablab", "the fablab open day"),
    ("le mentorat des jeunes entreprises", "the start-up mentoring"),
    ("la mission économique à l'étranger", "the trade mission abroad"),
    ("le guichet des aides régionales", "the regional grants desk"),
    ("la plateforme d'initiative locale", "the local initiative platform"),
    ("le cycle de conférences industrie 4.0", "the industry 4.0 talks"),
    ("l'atelier recrutement des apprentis", "the apprentice hiring workshop"),
    ("la cartographie des compétences", "the skills map"),
    ("le salon des sous-traitants", "the subcontractors fair"),
    ("le comité des financeurs", "the funders' committee"),
    ("l'atelier marchés publics", "the public procurement workshop"),
    ("la journée de l'artisanat", "the crafts day"),
    ("le club export", "the export club"),
    ("le rallye des entreprises", "the business rally"),
    ("la fête de l'entrepreneuriat", "the entrepreneurship festival"),
    ("l'atelier cession d'entreprise", "the business sale workshop"),
    ("le bus de l'emploi", "the jobs bus"),
    ("la semaine de l'industrie", "the industry week"),
)
_CITIES = (
    "Rennes",
    "Nantes",
    "Angers",
    "Brest",
    "Quimper",
    "Vannes",
    "Lorient",
    "Saint-Brieuc",
    "Laval",
    "Le Mans",
)
_INTENTS = (
    (
        "Comment s'inscrire à {t} de {c} ?",
        "Inscrivez-vous en ligne sur l'agenda de l'agence de {c}.",
        "How do I register for {e} in {c}?",
        "Register online on the {c} agency's calendar.",
    ),
    (
        "Quand a lieu {t} à {c} ?",
        "La prochaine session à {c} est annoncée dans la newsletter.",
        "When is {e} in {c}?",
        "The next session in {c} is announced in the newsletter.",
    ),
    (
        "{t} de {c} est-il gratuit ?",
        "Oui pour les entreprises du territoire de {c}.",
        "Is {e} in {c} free?",
        "Yes for businesses in the {c} area.",
    ),
    (
        "Qui contacter pour {t} à {c} ?",
        "Le chargé de mission de l'agence de {c} répond.",
        "Who do I contact about {e} in {c}?",
        "The {c} agency's project officer answers.",
    ),
    (
        "Où se déroule {t} de {c} ?",
        "Dans les locaux de l'agence de {c}, salle du conseil.",
        "Where does {e} in {c} take place?",
        "At the {c} agency's offices, in the board room.",
    ),
    (
        "Peut-on intervenir lors de {t} à {c} ?",
        "Envoyez une proposition à l'agence de {c}.",
        "Can I speak at {e} in {c}?",
        "Send a proposal to the {c} agency.",
    ),
    (
        "Comment annuler mon inscription à {t} de {c} ?",
        "Répondez au mail de confirmation.",
        "How do I cancel my registration for {e} in {c}?",
        "Reply to the confirmation e-mail.",
    ),
    (
        "Quels sont les horaires de {t} à {c} ?",
        "De 9 h à 12 h, accueil café dès 8 h 30 à {c}.",
        "What are the times of {e} in {c}?",
        "From 9 to 12, coffee from 8:30 in {c}.",
    ),
    (
        "Y a-t-il un replay de {t} de {c} ?",
        "Le replay est en ligne une semaine après à {c}.",
        "Is there a replay of {e} in {c}?",
        "The replay is online a week later.",
    ),
    (
        "Qui peut participer à {t} à {c} ?",
        "Les entreprises et porteurs de projet de {c}.",
        "Who can take part in {e} in {c}?",
        "Businesses and entrepreneurs from {c}.",
    ),
)


_SYLLABLES = (
    "ker va lis mo rel dan tec bri go nor ar vel sol tri pa lo mi nex qua zen fa ro ti "
    "gal ber cor du pol vin sa"
).split()
_SECTORS = (
    "agroalimentaire",
    "bâtiment",
    "logistique",
    "tourisme",
    "numérique",
    "santé",
    "textile",
    "mécanique",
    "chimie",
    "plasturgie",
    "nautisme",
    "aéronautique",
    "énergie",
    "recyclage",
    "imprimerie",
    "viticulture",
    "cosmétique",
    "électronique",
    "métallurgie",
    "ameublement",
)


def _partner(rng: random.Random) -> str:
    # Made-up company names widen the vocabulary as a real FAQ's names and places would, so
    # the typo corrector is measured against thousands of words, not a few templates'.
    return "".join(rng.choice(_SYLLABLES) for _ in range(3)).capitalize()


def synthetic_entries(count: int, first_id: int, seed: int = 7) -> list[FaqDoc]:
    """Realistic distractors: every intent about every event of every city (half translated)."""
    rng = random.Random(seed)
    combos = [(t, c, i) for t in _TOPICS for c in _CITIES for i in _INTENTS]
    rng.shuffle(combos)
    docs = []
    for n, ((fr_topic, en_topic), city, (q, a, eq, ea)) in enumerate(combos[:count]):
        partner, sector = _partner(rng), rng.choice(_SECTORS)
        answer = f"{a.format(c=city)} Partenaire : {partner}, filière {sector}."
        translations = {}
        if n % 2 == 0:
            translations["en"] = (eq.format(e=en_topic, c=city), ea.format(c=city))
        question = q.format(t=fr_topic, c=city)
        docs.append(
            FaqDoc(
                id=first_id + n,
                lang="fr",
                question=question[0].upper() + question[1:],
                answer=answer,
                tags=(fr_topic.split(" ", 1)[-1], city, sector),
                translations=translations,
            )
        )
    return docs
