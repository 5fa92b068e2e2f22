"""A synthetic federation with a history, for the dashboard's tests, screenshots and benchmark:
agencies in regions, members with profiles, events and their answers, announcements with their
copies and acknowledgements, FAQ asks and unanswered questions, introductions and rounds.

Rows go straight into the features' tables (thousands per statement), as `fedbot members
import` would: what is measured and shown is reading them, not writing them one command at a
time. The same seed always gives the same federation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from bot.app import BotApp
from bot.identity import ChannelRef
from bot.storage.members import members
from commands.announce.store.announcements import announcement_acks, announcements
from commands.announce.store.outbox_rows import deliveries
from commands.events.store.tables import event_rsvps, events
from commands.faq.store.entries import EntryDraft, FaqRepo
from commands.faq.store.tables import (
    faq_asks,
    faq_feedback,
    faq_unanswered,
    faq_unanswered_askers,
)
from commands.match.store.tables import (
    match_group_members,
    match_groups,
    match_pairs,
    match_round_configs,
    match_rounds,
)
from commands.profile.store.tables import profiles

CITIES = (
    ("Nantes", "Pays de la Loire"), ("Angers", "Pays de la Loire"), ("Le Mans", "Pays de la Loire"),
    ("Rennes", "Bretagne"), ("Brest", "Bretagne"), ("Lorient", "Bretagne"),
    ("Lyon", "Auvergne-Rhône-Alpes"), ("Grenoble", "Auvergne-Rhône-Alpes"),
    ("Clermont", "Auvergne-Rhône-Alpes"), ("Bordeaux", "Nouvelle-Aquitaine"),
    ("Limoges", "Nouvelle-Aquitaine"), ("Pau", "Nouvelle-Aquitaine"), ("Lille", "Hauts-de-France"),
    ("Amiens", "Hauts-de-France"), ("Strasbourg", "Grand Est"), ("Metz", "Grand Est"),
    ("Reims", "Grand Est"), ("Toulouse", "Occitanie"), ("Montpellier", "Occitanie"),
    ("Nîmes", "Occitanie"), ("Marseille", "Provence-Alpes-Côte d'Azur"),
    ("Nice", "Provence-Alpes-Côte d'Azur"), ("Dijon", "Bourgogne-Franche-Comté"),
    ("Besançon", "Bourgogne-Franche-Comté"), ("Rouen", "Normandie"), ("Caen", "Normandie"),
    ("Orléans", "Centre-Val de Loire"), ("Tours", "Centre-Val de Loire"),
)  # fmt: skip
KINDS = ("Agence de développement", "Technopole", "Agence d'attractivité")
QUESTIONS = (
    "comment adhérer à la fédération ?", "combien coûte la cotisation", "où trouver le kit de "
    "communication", "qui contacter pour un appel à projets", "comment inscrire mon agence au "
    "salon", "y a-t-il un annuaire des membres", "quand a lieu l'assemblée générale",
    "comment devenir ambassadeur", "peut-on partager un stand", "où sont les modèles de "
    "convention", "comment accéder à l'intranet", "qui gère les badges du congrès",
)  # fmt: skip
TITLES = ("Atelier export", "Matinale numérique", "Club RH", "Visite d'usine", "Webinaire aides",
          "Rencontre tiers-lieux", "Café innovation", "Forum emploi")  # fmt: skip


@dataclass(frozen=True)
class Sizes:
    agencies: int = 12
    members: int = 1500
    events: int = 120
    announcements: int = 20
    entries: int = 30
    asks: int = 1500
    unanswered: int = 40
    introductions: int = 200
    rounds: int = 6
    days_back: int = 120


BENCH = Sizes(
    agencies=80, members=26_000, events=10_000, announcements=500, entries=400, asks=60_000,
    unanswered=2_000, introductions=8_000, rounds=40, days_back=365,
)  # fmt: skip


async def _bulk(
    app: BotApp, table: Any, rows: list[dict[str, Any]], chunk: int = 5000
) -> list[int]:
    """Insert the rows; their ids when the table has an `id` column."""
    ids: list[int] = []
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        async with app.db.write() as conn:
            if "id" in table.c:
                result = await conn.execute(insert(table).returning(table.c.id), part)
                ids.extend(r.id for r in result)
            else:
                await conn.execute(insert(table), part)
    return ids


async def populate(app: BotApp, now: datetime, sizes: Sizes = Sizes(), seed: int = 18) -> None:
    rnd = random.Random(seed)
    back = timedelta(days=sizes.days_back)

    def when(before: timedelta = back, after: timedelta = timedelta(0)) -> datetime:
        span = (before + after).total_seconds()
        return now - before + timedelta(seconds=rnd.random() * span)

    agency_ids = []
    for i in range(sizes.agencies):
        city, region = CITIES[i % len(CITIES)]
        name = f"{KINDS[i % len(KINDS)]} {city}" + (
            f" {i // len(CITIES) + 1}" if i >= len(CITIES) else ""
        )
        agency, _ = await app.services.agencies.add(name, region, now - back)
        agency_ids.append(agency.id)
        for platform, workspace in (("slack", "T1"), ("discord", "3000000000000000001")):
            ref = ChannelRef(platform, workspace, f"{platform[0].upper()}{agency.id:06d}")
            await app.services.agencies.attach_channel(agency.id, ref, ("numerique",), now - back)
    names = {a.id: a.name for a in await app.services.agencies.list()}
    channels: dict[int, list[ChannelRef]] = {}
    for channel in await app.services.agencies.channels():
        channels.setdefault(channel.agency_id, []).append(channel.ref)

    member_rows = [
        {"platform": "slack", "workspace": "T1", "user_id": f"U{i:08d}",
         "display_name": f"Membre {i}", "locale": "fr", "created_at": when()}
        for i in range(sizes.members)
    ]  # fmt: skip
    member_ids = await _bulk(app, members, member_rows)
    home = {m: rnd.choice(agency_ids) for m in member_ids}
    profiled = [m for m in member_ids if rnd.random() < 0.7]
    await _bulk(app, profiles, [
        {"member_id": m, "agency_id": home[m], "opt_in": rnd.random() < 0.5, "visible": True,
         "updated_at": now - back} for m in profiled
    ])  # fmt: skip

    event_rows = []
    for i in range(sizes.events):
        day = when(back, timedelta(days=60)).replace(minute=0, second=0, microsecond=0)
        starts = day.replace(hour=rnd.choice((8, 9, 12, 13, 16, 17)), minute=rnd.choice((0, 30)))
        event_rows.append({
            "uid": f"bench-{seed}-{i}@fedbot", "title": f"{rnd.choice(TITLES)} n° {i}",
            "agency_id": rnd.choice(agency_ids), "capacity": rnd.choice((None, 20, 30, 50)),
            "starts_at": starts, "ends_at": starts + timedelta(hours=2),
            "finishes_at": starts + timedelta(hours=2),
            "status": "cancelled" if rnd.random() < 0.04 else "scheduled",
            "created_at": starts - timedelta(days=20), "updated_at": starts - timedelta(days=20),
        })  # fmt: skip
    event_ids = await _bulk(app, events, event_rows)
    rsvps = []
    for event_id, row in zip(event_ids, event_rows, strict=True):
        for m in rnd.sample(member_ids, min(len(member_ids), rnd.randint(2, 30))):
            status = rnd.choices(("going", "maybe", "not_going"), (6, 2, 1))[0]
            answered = row["starts_at"] - timedelta(days=rnd.randint(1, 15))
            rsvps.append({"event_id": event_id, "member_id": m, "status": status,
                          "answered_at": min(answered, now)})  # fmt: skip
    await _bulk(app, event_rsvps, rsvps)

    ann_rows = []
    for i in range(sizes.announcements):
        at = when()
        ann_rows.append({
            "state": "done", "title": f"Annonce {i}", "body": "Information de la fédération.",
            "audience": "all", "target": "", "lang": "fr", "origin": "slack:T1:CSTAFF",
            "created_at": at, "confirmed_at": at, "finished_at": at + timedelta(minutes=3),
        })  # fmt: skip
    ann_ids = await _bulk(app, announcements, ann_rows)
    copies, acks = [], []
    for ann_id, row in zip(ann_ids, ann_rows, strict=True):
        for agency_id, ref in ((a, r) for a in agency_ids for r in channels[a]):
            failed = rnd.random() < 0.03
            copies.append({
                "announcement_id": ann_id, "agency_id": agency_id, "agency_name": names[agency_id],
                "platform": ref.platform, "workspace": ref.workspace, "channel_id": ref.channel_id,
                "state": "failed" if failed else "sent", "attempts": 1,
                "next_attempt_at": row["confirmed_at"],
                "sent_at": None if failed else row["confirmed_at"],
                "message_id": None if failed else f"m{ann_id}-{agency_id}",
            })  # fmt: skip
            if not failed and ref.platform == "slack" and rnd.random() < 0.55:
                later = timedelta(hours=rnd.randint(1, 72))
                acks.append({"announcement_id": ann_id, "agency_id": agency_id,
                             "member_id": rnd.choice(member_ids),
                             "acked_at": row["confirmed_at"] + later})  # fmt: skip
    await _bulk(app, deliveries, copies)
    if acks:
        await _bulk(app, announcement_acks, acks)

    faq = app.services.get(FaqRepo)
    drafts = [
        (None, EntryDraft("fr", f"{QUESTIONS[i % len(QUESTIONS)]} ({i})", f"Réponse {i}."))
        for i in range(sizes.entries)
    ]
    await faq.import_drafts(drafts, now - back)
    entry_ids = [e.id for e in await faq.all()]
    await _bulk(app, faq_asks, [
        {"asked_at": when(), "verdict": rnd.choices(("answer", "suggest", "unknown"), (6, 2, 2))[0],
         "entry_id": rnd.choice(entry_ids), "passive": False} for _ in range(sizes.asks)
    ])  # fmt: skip
    await _bulk(app, faq_feedback, [
        {"entry_id": e, "member_id": m, "helpful": rnd.random() < 0.8, "given_at": when()}
        for e in entry_ids for m in rnd.sample(member_ids, min(8, len(member_ids)))
    ])  # fmt: skip
    unanswered = []
    for i in range(sizes.unanswered):
        first = when()
        unanswered.append({
            "normalised": f"q{i}", "text": f"{rnd.choice(QUESTIONS)} — variante {i}",
            "lang": "fr", "count": rnd.randint(1, 9), "first_asked_at": first,
            "last_asked_at": min(first + timedelta(days=rnd.randint(0, 30)), now),
            "first_asker_id": rnd.choice(member_ids),
            "channel": str(channels[rnd.choice(agency_ids)][0]),
        })  # fmt: skip
    question_ids = await _bulk(app, faq_unanswered, unanswered)
    await _bulk(app, faq_unanswered_askers, [
        {"question_id": q, "member_id": m}
        for q, row in zip(question_ids, unanswered, strict=True)
        for m in rnd.sample(member_ids, min(row["count"], len(member_ids)))
    ])  # fmt: skip

    await _bulk(app, match_pairs, [
        {"member_a": a, "member_b": b, "source": rnd.choice(("match", "round")), "met_at": when()}
        for a, b in (rnd.sample(member_ids, 2) for _ in range(sizes.introductions))
    ])  # fmt: skip
    config_ids = await _bulk(app, match_round_configs, [
        {"platform": "slack", "workspace": "T1", "channel_id": f"S{agency_ids[0]:06d}",
         "schedule": "every 2 weeks monday 09:00", "active": True,
         "next_run_at": now + timedelta(days=3), "created_at": now - back}
    ])  # fmt: skip
    for r in range(sizes.rounds):
        at = now - timedelta(days=14 * (r + 1))
        (round_id,) = await _bulk(app, match_rounds, [
            {"config_id": config_ids[0], "scheduled_for": at, "ran_at": at, "member_count": 20}
        ])  # fmt: skip
        people = rnd.sample(member_ids, min(20, len(member_ids)))
        for g in range(0, len(people) - 1, 2):
            (group_id,) = await _bulk(app, match_groups, [{"round_id": round_id, "size": 2}])
            answer = rnd.choice(("yes", "no", None))
            await _bulk(app, match_group_members, [
                {"group_id": group_id, "member_id": m, "intro_state": "dm", "ask_state": "sent",
                 "ask_due_at": at + timedelta(days=5), "answer": answer,
                 "answered_at": at + timedelta(days=6) if answer else None}
                for m in people[g : g + 2]
            ])  # fmt: skip
