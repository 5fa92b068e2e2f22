"""Managing events: who may edit, cancel and see attendees (the permission matrix), the
notices sent on edit and cancel, and `event list` with its filters and pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.spec import Role
from commands.events.store.events import EventRepo
from tests.conftest import console_caller
from tests.events_support import (
    RecordingSender,
    click,
    event_id,
    plain,
    recorder,
    setup_agencies,
    type_in,
)

NANTES = 'agency:"Nantes Métropole Développement"'


@pytest.fixture
def sent(app) -> RecordingSender:
    return recorder(app)


@pytest.fixture
async def forum(app, sent: RecordingSender) -> int:
    """An event created by the moderator "mona" in a channel of the Nantes agency."""
    await setup_agencies(app)
    reply = await type_in(
        app, '/event create "Forum" "4 déc. 18h" capacity:1', channel="nantes",
        role=Role.MODERATOR, user="mona", moderates=("nantes",),
    )  # fmt: skip
    return event_id(reply)


@pytest.mark.parametrize(
    ("user", "role", "moderates", "channel", "allowed"),
    [
        ("mona", Role.MODERATOR, ("lyon",), "general", True),  # the creator, anywhere
        ("nico", Role.MODERATOR, ("nantes",), "nantes", True),  # a moderator of the agency
        ("nico", Role.MODERATOR, ("nantes",), "rennes", True),  # ... wherever they type
        ("rita", Role.MODERATOR, ("rennes",), "rennes", False),  # of another agency
        ("rita", Role.MODERATOR, ("rennes",), "nantes", False),  # ... even in its channel
        ("gene", Role.MODERATOR, ("lyon",), "general", False),  # of another agency
        ("stan", Role.STAFF, None, "rennes", True),  # federation staff, anywhere
        ("mel", Role.MEMBER, None, "nantes", False),  # a member, even in the agency's channel
    ],
)
@pytest.mark.parametrize("command", ["edit {id} title:Nouveau", "attendees {id}", "cancel {id}"])
async def test_permission_matrix(
    app,
    forum: int,
    command: str,
    user: str,
    role: Role,
    moderates: tuple[str, ...] | None,
    channel: str,
    allowed: bool,
) -> None:
    line = "/event " + command.format(id=forum)
    reply = await type_in(app, line, user=user, role=role, channel=channel, moderates=moderates)
    assert reply.is_error is not allowed, reply.message.plain_text()
    if not allowed:
        assert "Seuls les organisateurs" in reply.message.text or "réservée" in reply.message.text
    event = await app.services.get(EventRepo).get(forum)
    assert event.cancelled is (allowed and command.startswith("cancel"))


async def test_an_edit_tells_the_channels_and_everyone_who_answered(
    app, forum: int, sent: RecordingSender
) -> None:
    answers = [("ann", "going", "fr"), ("bob", "maybe", "en"), ("cy", "no", "fr")]
    for user, answer, lang in [*answers, ("dee", "going", "fr")]:  # dee: waitlisted
        await type_in(app, f"/event rsvp {forum} {answer}", user=user, lang=lang)
    sent.clear()
    reply = await type_in(app, f'/event edit {forum} start:"5 déc. 18h30" place:"Salle B"')
    assert reply.message.text == (
        f"Événement n° {forum} modifié (date, lieu). 5 messages envoyés (salons et inscrits)."
    )
    assert sorted(sent.targets()) == ["#nantes", "@ann", "@bob", "@cy", "@dee"]
    (notice,) = sent.to("@ann")
    assert notice.title == "Événement modifié : Forum"
    assert plain(notice.text).startswith(
        "Nouvelle date : samedi 5 décembre 2026 à 18 h 30 (au lieu de vendredi 4 décembre 2026 à"
        " 18 h).\nNouveau lieu : Salle B (au lieu de —)."
    )
    (english,) = sent.to("@bob")
    assert english.title == "Event changed: Forum"
    assert [b.label for b in english.buttons] == ["Going", "Maybe", "Not going"]
    nothing = await type_in(app, f'/event edit {forum} place:"Salle B"')
    assert nothing.message.text.startswith("Rien à changer")


async def test_a_cancellation_tells_everyone_with_the_reason(
    app, forum: int, sent: RecordingSender
) -> None:
    await type_in(app, f"/event rsvp {forum} going", user="ann")
    sent.clear()
    reply = await type_in(app, f"/evenement annuler {forum} la salle est inondée")
    assert reply.message.text.startswith(f"Événement n° {forum} « Forum » annulé. 2 messages")
    (notice,) = sent.to("@ann")
    assert notice.title == "ANNULÉ : Forum"
    assert notice.buttons == ()
    assert plain(notice.text).endswith("Raison : la salle est inondée")
    again = await type_in(app, f"/event cancel {forum}")
    assert again.message.text == f"L'événement n° {forum} est annulé."
    show = await type_in(app, f"/event show {forum}")
    assert show.message.title == "ANNULÉ : Forum" and show.message.buttons == ()


async def test_cancelling_a_series_from_one_date_on(app) -> None:
    await setup_agencies(app)
    sent = recorder(app)
    reply = await type_in(app, f'/event create "MOOC" "mardi 10h" repeat:weekly count:4 {NANTES}')
    first = event_id(reply)
    await type_in(app, f"/event rsvp {first + 1} going", user="ann")
    await type_in(app, f"/event rsvp {first + 2} going", user="ann")
    sent.clear()
    done = await type_in(app, f"/event cancel {first + 1} series:oui")
    assert done.message.text.startswith(
        f"3 dates de « MOOC » annulées (à partir du n° {first + 1})"
    )
    assert sorted(sent.targets()) == ["#nantes", "@ann"]  # one notice each, not one per date
    assert "3 dates annulées, jusqu'au 22 décembre 2026." in sent.to("@ann")[0].text
    statuses = [(await app.services.get(EventRepo).get(first + i)).status for i in range(4)]
    assert statuses == ["scheduled", "cancelled", "cancelled", "cancelled"]
    single = await type_in(app, f"/event cancel {first} series:oui")
    assert single.is_error is False  # only the first date was left
    lone = event_id(await type_in(app, f'/event create "Seul" "4 déc. 18h" {NANTES}'))
    assert (
        "ne fait pas partie d'une série"
        in (await type_in(app, f"/event cancel {lone} series:oui")).message.text
    )


async def test_list_pages_filters_and_what_is_not_listed(app, clock) -> None:
    await setup_agencies(app)
    await app.services.agencies.add("Brest Business", "Bretagne", clock.now())
    for day in range(1, 9):  # eight events from 1 to 8 December, alternating agencies
        agency = NANTES if day % 2 else 'agency:"Rennes Atalante"'
        tags = "numerique" if day < 4 else "export"
        await type_in(app, f'/event create "Jour {day}" "{day}/12 18h" tags:{tags} {agency}')
    await type_in(app, "/event cancel 8")
    page = await type_in(app, "/event list", role=Role.MEMBER)
    assert [f.name for f in page.message.fields] == [f"#{i} · Jour {i}" for i in range(1, 7)]
    (more,) = page.message.buttons
    second = await click(app, more.action, more.value, user="mel")
    assert [f.name for f in second.message.fields] == ["#7 · Jour 7"]  # 8 is cancelled
    assert second.message.buttons == ()
    beyond = await type_in(app, "/event list page:5")
    assert beyond.message.text == "Pas d'autre événement : c'était la dernière page."
    rennes = await type_in(app, "/event list region:bretagne tag:export")
    assert [f.name for f in rennes.message.fields] == ["#4 · Jour 4", "#6 · Jour 6"]
    window = await type_in(app, "/event list du:3/12 au:4/12")
    assert [f.name for f in window.message.fields] == ["#3 · Jour 3", "#4 · Jour 4"]
    clock.set(datetime(2026, 12, 5, 17, 30, tzinfo=UTC))  # 5 December, 18:30 in Paris
    now = await type_in(app, '/event list agency:"Rennes Atalante"')
    assert [f.name for f in now.message.fields] == ["#6 · Jour 6"]  # #4 is over
    assert (
        "Aucune agence dans la région"
        in (await type_in(app, "/event list region:Atlantide")).message.text
    )
    assert (await type_in(app, "/event list tag:inconnu")).message.text.startswith(
        "Aucun événement à venir"
    )


async def test_an_ongoing_event_is_still_listed(app, clock) -> None:
    await setup_agencies(app)
    await type_in(app, f'/event create "Salon" "4 déc. 9h" duration:"2 jours" {NANTES}')
    clock.set(datetime(2026, 12, 5, 12, tzinfo=UTC))
    listed = await type_in(app, "/event list")
    assert [f.name for f in listed.message.fields] == ["#1 · Salon"]
    assert "du 4 décembre 2026 à 9 h au 6 décembre 2026 à 9 h" in plain(
        listed.message.fields[0].value
    )


async def test_demo_events_are_upcoming_and_load_once(app) -> None:
    await app.load_demo()
    await app.load_demo()
    first = await type_in(app, "/event list")
    second = await type_in(app, "/event list page:2")
    titles = [f.name.split(" · ", 1)[1] for f in first.message.fields + second.message.fields]
    assert len(titles) == 8  # four single events and a MOOC series of four dates
    for title in (
        "Nuit du numérique pour les TPE",
        "Hackathon Territoires",
        "Forum des tiers-lieux",
    ):
        assert title in titles
    group = next(f for f in first.message.fields if "Groupe de travail" in f.name)
    assert group.value.endswith("3 inscrits sur 3")
    number = group.name.split(" · ")[0].lstrip("#")
    waiting = await type_in(app, f"/event rsvp {number} going", user="operator")
    assert "vous êtes n° 1 sur la liste d'attente" in waiting.message.text


async def test_event_numbers_autocomplete_by_number_or_title(app) -> None:
    await setup_agencies(app)
    night = event_id(
        await type_in(
            app, f'/event create "Nuit du numérique" "demain 18h" {NANTES}', role=Role.STAFF
        )
    )
    forum = event_id(
        await type_in(
            app, f'/event create "Forum export" "après-demain 9h" {NANTES}', role=Role.STAFF
        )
    )
    caller = console_caller()
    by_words = await app.completer.complete("event", app.services, "forum", caller)
    assert [value for _, value in by_words] == [str(forum)]
    assert by_words[0][0].startswith(f"{forum} · Forum export — ")
    everything = await app.completer.complete("event", app.services, "", caller)
    assert [value for _, value in everything] == [str(night), str(forum)]
