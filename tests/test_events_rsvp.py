"""RSVPs: answers from commands and buttons, capacity, the waitlist and its promotion, no
over-booking under concurrent RSVPs (one process, two processes, and PostgreSQL when given)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.identity import Caller
from bot.spec import Role
from bot.storage.database import Database
from bot.storage.members import MemberRepo
from commands.events.store.events import EventFields, EventRepo
from commands.events.store.tables import GOING, WAITLISTED
from fedbot.assembly import migration_dirs
from tests.events_support import (
    PG_URL,
    click,
    event_id,
    postgres_database,
    recorder,
    setup_agencies,
    type_in,
)

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
OFFSETS = (timedelta(hours=24), timedelta(hours=1))
NANTES = 'agency:"Nantes Métropole Développement"'


@pytest.fixture
async def two_seats(app) -> int:
    await setup_agencies(app)
    reply = await type_in(app, f'/event create "Atelier" "4 déc. 18h" capacity:2 {NANTES}')
    return event_id(reply)


async def test_answers_from_the_command_in_both_languages(app, two_seats: int) -> None:
    fr = await type_in(app, f"/evenement repondre {two_seats} peut-être", user="bob")
    assert fr.message.text == "C'est noté : peut-être pour « Atelier »."
    en = await type_in(app, f"/event rsvp {two_seats} going", user="carol", lang="en")
    assert en.message.text.startswith(
        'Noted: you are going to "Atelier" (Friday, December 4, 2026 at 6:00 PM).'
    )
    assert en.message.text.endswith("Reminder by direct message 24 hours and 1 hour before.")
    again = await type_in(app, f"/event rsvp {two_seats} going", user="carol")
    assert again.message.text == "Vous êtes déjà inscrit·e à « Atelier »."
    show = await type_in(app, f"/event show {two_seats}", user="carol", role=Role.MEMBER)
    assert "Votre réponse : je viens." in show.message.text
    assert ("Participants", "1 inscrit sur 2 · 1 peut-être") in [
        (f.name, f.value) for f in show.message.fields
    ]


async def test_the_announcement_buttons_answer_like_the_command(app, two_seats: int) -> None:
    card = (await type_in(app, f"/event show {two_seats}")).message
    going, maybe, no = card.buttons
    reply = await click(app, going.action, going.value, user="dan")
    assert reply.message.text.startswith("C'est noté : vous venez à « Atelier »")
    reply = await click(app, no.action, no.value, user="dan")
    assert reply.message.text == (
        "C'est noté : vous ne venez pas à « Atelier ». Votre place est libérée."
    )


async def test_a_full_event_puts_people_on_a_waitlist_promoted_on_withdrawal(
    app, two_seats: int
) -> None:
    sent = recorder(app)
    for user in ("ann", "ben"):
        await type_in(app, f"/event rsvp {two_seats} going", user=user, role=Role.MEMBER)
    cat = await type_in(app, f"/event rsvp {two_seats} going", user="cat", role=Role.MEMBER)
    assert cat.message.text.startswith("« Atelier » est complet : vous êtes n° 1 sur la liste")
    dom = await type_in(app, f"/event rsvp {two_seats} going", user="dom", lang="en")
    assert "you are no. 2 on the waitlist" in dom.message.text
    sent.clear()
    out = await type_in(app, f"/event rsvp {two_seats} no", user="ann")
    assert out.message.text.endswith("Votre place est libérée.")
    assert sent.targets() == ["@cat"]  # told by direct message, nobody else
    assert "une place s'est libérée pour « Atelier »" in sent.to("@cat")[0].text
    roster = await type_in(app, f"/event attendees {two_seats}")
    fields = {f.name: f.value for f in roster.message.fields}
    assert fields["Inscrits (2/2)"] == "ben, cat"
    assert fields["Liste d'attente (1), dans l'ordre"] == "1. dom"
    assert roster.message.footer == "1 personne ne vient pas."


async def test_leaving_the_waitlist_keeps_the_order_of_the_others(app, two_seats: int) -> None:
    for user in ("a", "b", "c", "d", "e"):
        await type_in(app, f"/event rsvp {two_seats} going", user=user)
    left = await type_in(app, f"/event rsvp {two_seats} maybe", user="c")
    assert left.message.text.endswith("Vous quittez la liste d'attente.")
    back = await type_in(app, f"/event rsvp {two_seats} going", user="c")
    assert "vous êtes n° 3 sur la liste d'attente" in back.message.text  # at the end again


async def test_raising_the_capacity_promotes_from_the_waitlist(app, two_seats: int) -> None:
    sent = recorder(app)
    for user in ("a", "b", "c", "d", "e"):
        await type_in(app, f"/event rsvp {two_seats} going", user=user)
    sent.clear()
    await type_in(app, f"/event edit {two_seats} capacity:3")
    assert [m.title.split(" :")[0] for m in sent.to("@c")] == ["Événement modifié", "Atelier"]
    assert "une place s'est libérée" in sent.to("@c")[1].text
    assert [m.title for m in sent.to("@d")] == ["Événement modifié : Atelier"]  # still waiting
    await type_in(app, f"/event edit {two_seats} places:0")  # no limit any more
    roster = await type_in(app, f"/event attendees {two_seats}")
    assert roster.message.fields[0].name == "Inscrits (5/∞)"


async def test_no_answer_to_a_cancelled_or_started_event(app, clock, two_seats: int) -> None:
    clock.set(datetime(2026, 12, 4, 17, 30, tzinfo=UTC))  # 18:30 in Paris, it started
    started = await type_in(app, f"/event rsvp {two_seats} going")
    assert started.message.text == "« Atelier » a déjà commencé : les réponses sont closes."
    clock.set(NOW)
    await type_in(app, f"/event cancel {two_seats}")
    cancelled = await type_in(app, f"/event rsvp {two_seats} going")
    assert cancelled.message.text == f"L'événement n° {two_seats} est annulé."
    unknown = await type_in(app, "/event rsvp 999 going")
    assert unknown.message.text == "Je ne trouve pas d'événement n° 999. Voir /evenement liste."


async def test_my_events_lists_my_answers(app, two_seats: int) -> None:
    await type_in(app, f"/event rsvp {two_seats} maybe", user="zoe")
    mine = await type_in(app, "/event mine", user="zoe", role=Role.MEMBER)
    assert mine.message.fields[0].name == f"#{two_seats} · Atelier"
    assert mine.message.fields[0].value.endswith("· peut-être")
    none = await type_in(app, "/event mine", user="yan", role=Role.MEMBER)
    assert none.message.text.startswith("Vous n'avez répondu à aucun événement à venir.")


async def test_erasing_a_member_removes_their_answers_and_reminders(app, two_seats: int) -> None:
    await type_in(app, f"/event rsvp {two_seats} going", user="gdpr")
    services = app.services
    member = await services.members.find("console", "local", "gdpr")
    assert (await services.get(EventRepo).rsvps.seats([two_seats]))[two_seats].going == 1
    assert await services.members.erase(member.id)
    assert (await services.get(EventRepo).rsvps.seats([two_seats]))[two_seats].going == 0
    assert await services.get(EventRepo).reminders.due(datetime(2026, 12, 4, 16, tzinfo=UTC)) == []


# --- concurrency: the capacity check and the insert are one transaction -------------------


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'rsvp.db'}"
        return
    if not PG_URL:
        pytest.skip("set FEDBOT_TEST_POSTGRES_URL to run the PostgreSQL variant")
    async with postgres_database(PG_URL) as url:
        yield url


async def _event_and_members(db: Database, n: int) -> tuple[int, list[int]]:
    members = MemberRepo(db)
    ids = [(await members.ensure(Caller("slack", "T1", f"U{i}"), NOW)).id for i in range(n)]
    starts = datetime(2026, 12, 4, 17, tzinfo=UTC)
    (event,) = await EventRepo(db).create([EventFields("Atelier", starts, capacity=2)], None, NOW)
    return event.id, ids


async def test_concurrent_rsvps_never_overbook(db_url: str) -> None:
    db = Database.open(db_url, migration_dirs())
    await db.migrate()
    event, people = await _event_and_members(db, 30)
    repo = EventRepo(db).rsvps
    results = await asyncio.gather(
        *(repo.answer(event, member, GOING, NOW, OFFSETS) for member in people)
    )
    assert sum(r.status == GOING for r in results) == 2
    waitlisted = sorted(r.position for r in results if r.status == WAITLISTED)
    assert waitlisted == list(range(1, 29))
    # Withdrawals racing with new answers: still never more than two going.
    going = [m for m, r in zip(people, results, strict=True) if r.status == GOING]
    await asyncio.gather(
        *(repo.answer(event, m, "not_going", NOW, OFFSETS) for m in going),
        *(repo.answer(event, m, GOING, NOW, OFFSETS) for m in people[-5:]),
    )
    seats = (await repo.seats([event]))[event]
    assert (seats.going, seats.waitlisted, seats.not_going) == (2, 26, 2)
    await db.close()


async def test_two_processes_on_one_sqlite_file_never_overbook(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    first, second = Database.open(url, migration_dirs()), Database.open(url, migration_dirs())
    await first.migrate()
    event, people = await _event_and_members(first, 20)
    repos = [EventRepo(first).rsvps, EventRepo(second).rsvps]
    results = await asyncio.gather(
        *(repos[i % 2].answer(event, m, GOING, NOW, OFFSETS) for i, m in enumerate(people))
    )
    assert sum(r.status == GOING for r in results) == 2
    assert sorted(r.position for r in results if r.position) == list(range(1, 19))
    await first.close()
    await second.close()
