"""Bilingual (French/English) lexicon of the federation's vocabulary.

Each line of `_DATA` is one concept: its French forms, a `|`, its English forms. A concept
works both as a thesaurus (the French forms are interchangeable: `adhésion`, `adhérer`,
`membre`) and as a dictionary across languages (`cotisation` = `membership fee`). Forms may be
several words (`appel à projets`, `call for projects`): the analyser then matches them as a
phrase. A word may belong to several concepts (`prix` is a price and a prize).

No translation model can be downloaded at run time, so this hand-made list of the federation's
own words is what lets an English question find a French entry that has no translation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Concept:
    key: str  # a readable, unique name used as an index term ("@fee")
    fr: tuple[str, ...]
    en: tuple[str, ...]

    def forms(self, lang: str) -> tuple[str, ...]:
        return self.fr if lang == "fr" else self.en if lang == "en" else ()


@dataclass(frozen=True, slots=True)
class Lexicon:
    concepts: tuple[Concept, ...]

    @classmethod
    def parse(cls, text: str) -> Lexicon:
        """One concept per line, `fr forms | en forms`, forms separated by commas, `#` comments.

        An indented line continues the concept of the line above.
        """
        concepts: list[Concept] = []
        seen: set[str] = set()
        for number, raw in _logical_lines(text):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.count("|") != 1:
                raise ValueError(f"lexicon line {number}: expected one '|': {raw!r}")
            fr_part, en_part = line.split("|")
            fr = _forms(fr_part)
            en = _forms(en_part)
            if not fr and not en:
                raise ValueError(f"lexicon line {number}: no forms")
            key = _unique_key((en or fr)[0], seen)
            concepts.append(Concept(key, fr, en))
        return cls(tuple(concepts))

    def __len__(self) -> int:
        return len(self.concepts)

    def pairs(self) -> int:
        """How many fr<->en form pairs the lexicon states (a measure of its size)."""
        return sum(len(c.fr) * len(c.en) for c in self.concepts)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of each concept; an indented line continues the one above."""
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1].isspace() and raw.strip() and lines:
            lines[-1] = (lines[-1][0], lines[-1][1] + " " + raw.strip())
        else:
            lines.append((number, raw))
    return lines


def _forms(part: str) -> tuple[str, ...]:
    return tuple(form.strip() for form in part.split(",") if form.strip())


def _unique_key(form: str, seen: set[str]) -> str:
    base = "@" + "_".join(form.lower().split())
    key, n = base, 2
    while key in seen:
        key, n = f"{base}{n}", n + 1
    seen.add(key)
    return key


def default_lexicon() -> Lexicon:
    return _DEFAULT


# Forms are written as people write them (accents, plurals, verb forms); the analyser folds
# and stems them the same way it treats entries and queries.
_DATA = """
# --- membership, fees, governance ---------------------------------------------------------
adhésion, adhésions, adhérent, adhérents, adhérente, adhérentes, membre, membres, devenir
    membre, être membre | membership, memberships, member, members, become a member, being a
    member
adhérer, adhère, rejoindre, rejoins, rejoint, intégrer | join, joining, joined
cotisation, cotisations, cotiser, cotise, cotisation annuelle | fee, fees, dues, membership fee,
    membership fees, annual fee, subscription fee
coût, coûts, coûter, coûte, coûtent, prix, tarif, tarifs, tarification, montant, montants,
    barème | cost, costs, price, prices, pricing, rate, rates, amount, charge
combien | how much, how many
gratuit, gratuite, gratuits, gratuites, gratuitement, payant, payante, payants, payantes | free,
    free of charge, charged, chargeable, paying
payer, paie, paye, payé, payée, paiement, paiements, régler, règlement, verser, versement,
    virement | pay, paying, paid, payment, payments, settle, transfer
facture, factures, reçu, reçus, justificatif, justificatifs, attestation de paiement | invoice,
    invoices, receipt, receipts, bill, bills
échéance, échéances, date limite, dates limites, délai, délais | deadline, deadlines, due date,
    due, time limit
quand, date, dates, calendrier | when, date, dates, calendar
démission, démissionner, démissionne, quitter, quitte, résilier, résiliation, retrait, se
    retirer, mettre fin, arrêter | leave, leaving, quit, quitting, cancel, cancelling,
    cancellation, resign, resignation, withdraw, withdrawal, terminate
avantage, avantages, intérêt, intérêts, bénéfice, bénéfices, apporter, apporte, apport, servir |
    benefit, benefits, advantage, advantages, perk, perks, value
pourquoi | why
comment | how
fédération, fédérations, fédé | federation, federations
réseau, réseaux | network, networks
agence, agences | agency, agencies
agence de développement, agence de développement économique, agences de développement économique
    | development agency, economic development agency, economic development agencies
développement économique | economic development
bureau de la fédération, conseil d'administration, conseils d'administration, administrateur,
    administrateurs | board, board of directors, executive board, directors
assemblée générale, assemblées générales, ag | general assembly, general meeting, annual general
    meeting, agm
vote, votes, voter, vote en ligne, scrutin | vote, votes, voting, ballot
président, présidente, présidence | president, chair, chairman, chairwoman, chairperson
directeur, directrice, directeurs, direction, délégué général, déléguée générale | director,
    directors, manager, head, general delegate
statuts, règlement intérieur | statutes, bylaws, by-laws, articles of association

# --- events --------------------------------------------------------------------------------
forum, forums, forum annuel | forum, forums, annual forum
événement, événements, évènement, évènements, manifestation, manifestations, rencontre,
    rencontres | event, events, meetup, meetups
inscription, inscriptions, inscrire, s'inscrire, inscris, inscrit, inscrite, inscrits,
    inscrites, inscrivez, inscrivent, enregistrer, enregistrement | registration, registrations,
    register, registering, registered, sign up, signing up, signed up, signup, enrol, enroll,
    enrolment, enrollment
participer, participe, participation, participant, participants, participante, venir, viens,
    assister, prendre part | participate, participating, participation, take part, attend,
    attending, attendance, participant, participants, come
hackathon, hackathons | hackathon, hackathons
équipe, équipes | team, teams
coder, codé, code, programmer, programmation, développeur, développeurs, développeuse,
    développeuses, informaticien, technique | code, coding, coder, programming, programmer,
    developer, developers, technical
gagner, gagne, gagnent, gagnant, gagnants, gagnante, vainqueur, vainqueurs, lauréat, lauréats,
    remporter | win, wins, winning, winner, winners, won
prix, récompense, récompenses, dotation, dotations, lot, lots | prize, prizes, award, awards,
    reward, rewards, prize money
défi, défis, challenge, challenges, problématique, problématiques | challenge, challenges
atelier, ateliers | workshop, workshops
intervention, interventions, intervenir, intervenant, intervenants, intervenante, conférence,
    conférences, conférencier, table ronde, témoigner | talk, talks, speak, speaking, speaker,
    speakers, presentation, presentations, panel
animer, anime, animation, animations, animateur, animatrice, organiser, organise, organisation,
    organisateur | host, hosting, run, running, organise, organize, organising, organizing,
    facilitate, facilitator
proposer, propose, proposition, propositions, soumettre, suggérer | propose, proposal,
    proposals, submit, suggest, pitch
appel à contributions, appel à communications, appel à intervenants | call for papers, call for
    speakers, call for contributions
programme, programmes | programme, programmes, program, programs, agenda
lieu, lieux, endroit, se tenir, se déroule, se déroulent, avoir lieu, a lieu | venue, location,
    place, held, take place, takes place
soirée numérique, soirées numériques, soirée num, soirées num | digital evening, digital
    evenings, digital night, digital nights
soirée, soirées, soir | evening, evenings, night, nights
numérique, numériques, digital, digitale | digital
outil, outils, outils numériques | tool, tools, digital tools
kit, kits, kit d'animation, boîte à outils | kit, kits, toolkit, toolbox, starter kit
supports, support de présentation, supports de présentation, diaporama | slides, slide deck,
    materials
agenda | agenda, calendar, schedule
salon, salons, salon professionnel | fair, trade fair, trade show, exhibition
label, labels, labelliser, labellisation, labellisé, labellisée, labellisés | label, labelled,
    labeled, labelling, accreditation, accredited
séminaire, séminaires | seminar, seminars
webinaire, webinaires, webinar, webinars, visioconférence | webinar, webinars, online session,
    online sessions
replay, replays, rediffusion, rediffusions, enregistrement vidéo, revoir, vidéo, vidéos |
    replay, replays, recording, recordings, watch again, video, videos
réunion, réunions | meeting, meetings
délégation, délégations | delegation, delegations
international, internationale, internationaux, internationales, étranger, étrangère, étrangers,
    étrangères | international, foreign, abroad, overseas

# --- businesses and territories -------------------------------------------------------------
entreprise, entreprises, société, sociétés, boîte, boîtes | company, companies, business,
    businesses, firm, firms
tpe, pme, très petite entreprise, très petites entreprises, petite entreprise, petites
    entreprises, tpe pme, artisan, artisans, commerçant, commerçants | small business, small
    businesses, sme, smes, small company, small companies, micro-enterprise, micro-business,
    shopkeeper
dirigeant, dirigeants, dirigeante, chef d'entreprise, chefs d'entreprise, patron, patrons,
    entrepreneur, entrepreneurs, entrepreneuse | business owner, business owners, owner, owners,
    entrepreneur, entrepreneurs, business leader, business leaders, ceo
création d'entreprise, création d'entreprises, créations d'entreprises | business creation,
    company creation, new businesses, start-ups, startups
collectivité, collectivités, collectivité territoriale, collectivités territoriales, commune,
    communes, mairie, mairies, intercommunalité, intercommunalités, epci, communauté de
    communes, communauté d'agglomération, agglomération, métropole, département, départements,
    élu, élus | local authority, local authorities, local government, local governments,
    municipality, municipalities, council, councils, town hall, inter-municipal, elected
    official, elected officials
région, régions, régional, régionale | region, regions, regional
territoire, territoires, territorial, territoriale, local, locale, locaux, locales, secteur |
    area, areas, territory, territories, local, locality
ville, villes | town, towns, city, cities
économie, économique, économiques | economy, economic, economics
emploi, emplois | job, jobs, employment
offre d'emploi, offres d'emploi, recrutement, recruter, recrutons, poste à pourvoir, annonce |
    job offer, job offers, job ad, job advert, job posting, vacancy, vacancies, hiring, recruit,
    recruitment
immobilier d'entreprise, foncier, foncier économique | commercial property, business property,
    land
industrie, industriel, industrielle, réindustrialisation | industry, industrial,
    reindustrialisation
transition écologique | ecological transition, green transition
attractivité, marketing territorial | attractiveness, place marketing, place branding
chiffres clés, chiffre clé, chiffres, statistique, statistiques, stats, données, tableau de
    bord, tableaux de bord | key figures, figures, statistics, stats, data, dashboard,
    dashboards
indicateur, indicateurs, indicateurs d'activité | indicator, indicators, kpi, kpis, metrics
observatoire, observatoires, étude, études | observatory, study, studies
rapport d'activité, rapports d'activité, bilan d'activité, bilan annuel | activity report,
    activity reports, annual report
annuel, annuelle, annuels, annuelles, chaque année, année | annual, yearly, every year, year

# --- programmes and support -------------------------------------------------------------------
mooc, moocs, cours en ligne, formation en ligne, formations en ligne | mooc, moocs, online
    course, online courses, e-learning, online training
accès, accéder, accède, accédez | access, accessing
connexion, connecter, se connecter, identifiant, identifiants | login, log in, logging in, sign
    in, signing in, credentials
attestation, attestations, certificat, certificats, certification, diplôme | certificate,
    certificates, certification, diploma, attestation
module, modules | module, modules
formation, formations, former, se former, formé | training, trainings, train, course, courses,
    learn
catalogue, catalogues | catalogue, catalog, catalogues
financement, financements, financer, financé, financée, financés, financées, finançable,
    finançables, prise en charge, pris en charge, prises en charge, prendre en charge,
    subvention, subventions | funding, fund, funds, funded, finance, financing, grant, grants,
    cover, covered
remboursement, remboursements, rembourser, rembourse, remboursé, remboursés, remboursée,
    remboursées | refund, refunds, refunded, reimburse, reimbursed, reimbursement
frais, dépense, dépenses, note de frais | expenses, expense, expense claim
frais de déplacement, frais de transport, frais de voyage, frais de mission | travel expenses,
    travel costs, travel expense, transport costs
déplacement, déplacements, transport, transports, voyage, train, trains, billet, billets, billet
    de train, hôtel, hébergement | travel, travelling, trip, trips, transport, train, trains,
    ticket, tickets, hotel, accommodation
opco, opca | opco
qualiopi | qualiopi
groupe de travail, groupes de travail, groupe thématique, groupes thématiques, commission,
    commissions | working group, working groups, workgroup, workgroups, task force, committee
groupe, groupes | group, groups
thème, thèmes, thématique, thématiques, sujet, sujets | topic, topics, theme, themes, subject
liste, listes | list, lists
créer, crée, création, lancer, lance, lancement, monter, fonder | create, creating, start,
    starting, launch, launching, set up, setting up
nouveau, nouvelle, nouveaux, nouvelles | new
existe, existent, exister, actif, actifs | exist, exists, existing, active
appel à projets, appels à projets, appel à projet, appels à projet, appel à candidatures, appels
    à candidatures, appel à manifestation d'intérêt, aap | call for projects, calls for
    projects, call for proposals, calls for proposals, call for applications, calls for
    applications, funding call
candidature, candidatures, candidater, candidate, candidatez, postuler, dossier de candidature |
    application, applications, apply, applying, applied, candidacy
répondre, réponds, répond, réponse, réponses | answer, answers, respond, reply, response
déposer, dépose, dépôt, soumettre, soumission | submit, submitting, submission, file
dossier, dossiers | file, files, bid
ouvert, ouverts, ouverte, ouvertes | open, current, ongoing
veille | watch, monitoring, watch list
europe, européen, européenne, européens, européennes, ue, union européenne, feder | eu, europe,
    european, european union
projet, projets | project, projects
consortium, consortiums, commun, commune, communs, ensemble, collectif, collective, chef de file
    | consortium, consortia, joint, jointly, together, collective, lead partner
partenaire, partenaires, partenariat, partenariats | partner, partners, partnership,
    partnerships
convention, conventions, accord, accords | agreement, agreements, convention
tiers-lieu, tiers-lieux, tiers lieu, tiers lieux | third place, third places, third-place,
    third-places
coworking, espace de coworking, espaces de coworking, cotravail | coworking, co-working,
    coworking space, coworking spaces, shared office
fablab, fablabs, fab lab | fablab, fablabs, makerspace
réserver, réserve, réservation, réservations | book, booking, reserve, reservation, reservations
poste de travail, postes de travail, bureau, bureaux | desk, desks, office, offices, workspace,
    workstation
espace, espaces | space, spaces
définition, définir, signifie | definition, define, meaning
annuaire, annuaires, répertoire, carte, cartographie, carte interactive | directory,
    directories, map, listing, interactive map
référencer, référencement, référencé, référencée, apparaître, figurer | list, listed, get
    listed, appear
ajouter, ajoute, ajout | add, adding, added
ambassadeur, ambassadeurs, ambassadrice, ambassadrices | ambassador, ambassadors
devenir, deviens, devient | become, becoming
rôle, rôles, mission, missions, fonction, tâches | role, roles, mission, duties, tasks, job
    description
engagement, engager, s'engager, implique, impliquer | commitment, commit, involvement, involve,
    involves
chargé de mission, chargée de mission, chargés de mission, chargées de mission | project
    officer, project officers, project manager, development officer
collègue, collègues, salarié, salariés, salariée, salariées, employé, employés, personnel,
    agent, agents | colleague, colleagues, employee, employees, staff, co-worker, coworker,
    coworkers
utilisateur, utilisateurs, utilisatrice | user, users
diagnostic, diagnostics, audit, audits, autodiagnostic | assessment, assessments, diagnostic,
    audit, audits, check-up
accompagner, accompagne, accompagnez, accompagnement, accompagné, accompagnée, aider, aide,
    aides, conseiller, conseillère, conseil | support, help, helping, assist, assistance, coach,
    coaching, adviser, advisor, advice
transformation numérique, transition numérique, passer au numérique, numérisation,
    digitalisation | digital transformation, digital transition, go digital, going digital,
    digitalisation, digitalization, digitisation
expert, experts, expertise, expertises, spécialiste, spécialistes, consultant, consultants |
    expert, experts, expertise, specialist, specialists, consultant, consultants
mise en relation, mettre en relation, mettre en contact, bourse d'expertise | connect,
    connecting, matchmaking, put in touch, introduce, introduction
site web, site internet, sites web | website, websites, web site
réseaux sociaux | social media, social networks
cybersécurité | cybersecurity, cyber security
facturation électronique | e-invoicing, electronic invoicing
lettre de soutien, lettres de soutien, lettre d'appui, lettre de recommandation, courrier de
    soutien | support letter, support letters, letter of support, letters of support, letter of
    recommendation, endorsement letter

# --- communication and tools --------------------------------------------------------------------
logo, logos | logo, logos
charte graphique, identité visuelle | brand guidelines, visual identity, style guide, branding
communication | communication, communications, comms
télécharger, télécharge, téléchargement, récupérer, récupère | download, downloading, downloads,
    retrieve
mot de passe, mots de passe | password, passwords
oublier, oublié, oubliée, perdu | forget, forgot, forgotten, lost
réinitialiser, réinitialisation, changer, modifier | reset, change, modify
espace membres, espace membre, espace adhérents, espace adhérent, intranet, extranet | members
    area, members' area, member area, member's area, intranet, extranet, member portal
compte, comptes | account, accounts
contact, contacts, contacter, joindre, s'adresser | contact, contacts, reach, get in touch
téléphone, numéro de téléphone, standard | phone, telephone, phone number, switchboard
newsletter, newsletters, lettre d'information, lettres d'information, lettre d'info, infolettre
    | newsletter, newsletters, mailing list
lettre, lettres, courrier, courriers | letter, letters, mail
abonner, s'abonner, abonnement, abonnements, abonné, abonnés, désabonner | subscribe,
    subscribing, subscription, subscribed, unsubscribe
recevoir, reçoit, reçois | receive, receiving
publier, publie, publication, diffuser, diffusion, paraître, relayer | publish, publishing,
    publication, post, share, advertise
actualité, actualités, actu, actus, article, articles, info, infos, information, informations |
    news, article, articles, story, stories, update, updates, information
formulaire, formulaires | form, forms
e-mail, email, courriel, mail | email, e-mail, mail
"""

_DEFAULT = Lexicon.parse(_DATA)
