"""`event create`: dates typed in French and English (DST edges included), validation,
recurring series, and the announcement in the agencies' channels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.spec import Role
from commands.events.store.events import EventRepo
from tests.events_support import event_id, recorder, setup_agencies, type_in

NANTES = 'agency:"Nantes Métropole Développement"'


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
async def ready(app):
    await setup_agencies(app)
    return app


@pytest.mark.parametrize(
    ("typed", "lang", "expected"),
    [
        ("4 déc. 18h", "fr", utc(2026, 12, 4, 17, 0)),  # winter: Paris = UTC+1
        ("vendredi 14h30", "fr", utc(2026, 11, 27, 13, 30)),  # now is Thursday 26/11 10:00
        ("tomorrow 9am", "en", utc(2026, 11, 27, 8, 0)),
        ("friday 2:30pm", "en", utc(2026, 11, 27, 13, 30)),
        ("2026-12-04 18:00", "en", utc(2026, 12, 4, 17, 0)),
        ("2026-12-04T18:00Z", "fr", utc(2026, 12, 4, 18, 0)),  # a zone typed wins
        ("31/10/2027 02:30", "fr", utc(2027, 10, 31, 0, 30)),  # repeated hour: the first one
        ("2027-06-04 18:00", "fr", utc(2027, 6, 4, 16, 0)),  # summer: Paris = UTC+2
    ],
)
async def test_start_dates_in_both_languages(ready, typed: str, lang: str, expected) -> None:
    reply = await type_in(ready, f'/event create "Forum" "{typed}" {NANTES}', lang=lang)
    assert not reply.is_error, reply.message.text
    event = await ready.services.get(EventRepo).get(event_id(reply))
    assert event.starts_at == expected


async def test_the_reply_shows_the_date_in_paris_time_in_the_callers_language(ready) -> None:
    fr = await type_in(ready, f'/event create "Forum" "4 déc. 18h" duration:3h {NANTES}')
    assert "vendredi 4 décembre 2026, de 18 h à 21 h" in fr.message.plain_text()
    en = await type_in(ready, f'/event create "Forum" "Dec 4 6pm" end:9pm {NANTES}', lang="en")
    assert "Friday, December 4, 2026, from 6:00 PM to 9:00 PM" in en.message.plain_text()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ('"2026-11-01 10:00"', "est déjà passé"),
        ('"hier 10h"', "(mercredi 25 novembre 2026 à 10\u00a0h) est déjà passé"),
        ('"2099-01-01 18:00"', "à plus de 3 ans d'ici"),
        ('"28/03/2027 02:30"', "n'existe pas"),  # skipped by spring-forward
        ('"4 déc. 18h" end:17h30 duration:2h', "pas les deux"),
        ('"4 déc. 18h" end:"2026-12-04 17:00"', "La fin doit être après le début"),
        ('"4 déc. 18h" end:18h', "La fin doit être après le début"),
        ('"4 déc. 18h" duration:"40 jours"', "au plus 31 jours"),
        ('"4 déc. 18h" link:ftp://example.org', "n'est pas un lien valable"),
        ('"4 déc. 18h" link:javascript:alert(1)', "n'est pas un lien valable"),
        ('"4 déc. 18h" capacity:0', "entre 1 et 100000"),
        ('"4 déc. 18h" tags:"a,b,c,d,e,f,g,h,i"', "Thèmes invalides"),
        ('"4 déc. 18h" repeat:weekly', "nombre de dates"),
        ('"4 déc. 18h" count:3', "vont avec repetition"),
    ],
)
async def test_bad_input_gets_a_clear_message_and_creates_nothing(
    ready, options: str, message: str
) -> None:
    reply = await type_in(ready, f'/event create "Forum" {options} {NANTES}')
    assert reply.is_error
    assert message in reply.message.text
    assert await ready.services.get(EventRepo).get(1) is None


async def test_a_date_just_passed_without_a_year_is_refused_not_moved_a_year(ready, clock) -> None:
    """On 5 December, "4 déc. 18h" used to create an event on 4 December 2027."""
    clock.set(utc(2026, 12, 5, 12, 30))
    for typed in ("4 déc. 18h", "04/12 18h"):
        reply = await type_in(ready, f'/event create "Forum" "{typed}" {NANTES}')
        assert reply.is_error
        assert reply.message.text.startswith("Le 4 décembre est passé\u202f; pour 2027, écrivez")
    assert await ready.services.get(EventRepo).get(1) is None
    again = await type_in(ready, f'/event create "Forum" "4 déc. 2027 18h" {NANTES}')
    assert not again.is_error


async def test_a_period_filter_reads_naturally_in_december(ready, clock) -> None:
    """The README's `/event list from:1/12 to:31/12`, typed on 5 December."""
    await type_in(ready, f'/event create "Forum" "18 déc. 18h" {NANTES}')
    clock.set(utc(2026, 12, 5, 12, 30))
    for filters in ("from:1/12 to:31/12", 'from:"Dec 1" to:"Dec 31"'):
        reply = await type_in(ready, f"/event list {filters}", lang="en")
        assert not reply.is_error, reply.message.text
        assert [f.name for f in reply.message.fields] == ["#1 · Forum"]


async def test_an_end_is_read_from_the_start(ready) -> None:
    late = await type_in(ready, f'/event create "Hackathon" "4 déc. 21h" end:6h {NANTES}')
    event = await ready.services.get(EventRepo).get(event_id(late))
    assert event.ends_at == utc(2026, 12, 5, 5, 0)  # 06:00 the next morning
    span = await type_in(ready, f'/event create "Forum" "4 déc. 9h" duration:"2 jours" {NANTES}')
    assert (await ready.services.get(EventRepo).get(event_id(span))).ends_at == utc(
        2026, 12, 6, 8, 0
    )


async def test_creation_announces_in_the_agencys_channels_with_rsvp_buttons(ready) -> None:
    sent = recorder(ready)
    reply = await type_in(
        ready,
        '/event create "Nuit du numérique pour les TPE" "4 déc. 18h" duration:3h '
        f'place:"Cantine numérique" capacity:40 tags:"Numérique, TPE" {NANTES}',
    )
    assert "Annoncé dans 1 salon." in reply.message.text
    assert sent.targets() == ["#nantes"]
    card = sent.to("#nantes")[0]
    assert card.title == "Nouvel événement : Nuit du numérique pour les TPE"
    assert ("Thèmes", "numerique, tpe") in [(f.name, f.value) for f in card.fields]
    assert [b.label for b in card.buttons] == ["Je viens", "Peut-être", "Je ne viens pas"]
    assert all(len(b.custom_id) <= 100 for b in card.buttons)
    assert card.buttons[0].custom_id == "fb:event.rsvp:answer=going&event=1"


async def test_a_moderator_organises_for_the_agencies_they_moderate(ready) -> None:
    sent = recorder(ready)
    rennes = ("rennes",)
    here = await type_in(
        ready, '/event create "Atelier" "4 déc. 18h"', channel="rennes", role=Role.MODERATOR,
        moderates=rennes,
    )  # fmt: skip
    assert not here.is_error
    assert sent.targets() == ["#rennes"]
    elsewhere = await type_in(
        ready, f'/event create "Atelier" "4 déc. 18h" {NANTES}', channel="rennes",
        role=Role.MODERATOR, moderates=rennes,
    )  # fmt: skip
    assert "Vous ne modérez pas l'agence « Nantes Métropole Développement »" in (
        elsewhere.message.text
    )
    # Typed in another agency's channel, the event is still for the agency they moderate.
    sent.clear()
    anywhere = await type_in(
        ready, '/event create "Atelier" "5 déc. 18h"', channel="general", role=Role.MODERATOR,
        moderates=rennes,
    )  # fmt: skip
    assert not anywhere.is_error and sent.targets() == ["#rennes"]
    sent.clear()
    in_nantes = await type_in(
        ready, '/event create "Atelier" "5 déc. 18h"', channel="nantes", role=Role.MODERATOR,
        moderates=rennes,
    )  # fmt: skip
    assert not in_nantes.is_error and sent.targets() == ["#rennes"]
    two = ("rennes", "lyon")
    nowhere = await type_in(
        ready, '/event create "Atelier" "4 déc. 18h"', role=Role.MODERATOR, moderates=two
    )
    assert "Pour quelle agence ?" in nowhere.message.text
    member = await type_in(ready, '/event create "Atelier" "4 déc. 18h"', role=Role.MEMBER)
    assert member.is_error and "réservée aux modérateurs" in member.message.text


async def test_announcing_to_all_agencies_is_for_staff(ready) -> None:
    sent = recorder(ready)
    refused = await type_in(
        ready, '/event create "Forum" "4 déc. 18h" audience:all', channel="rennes",
        role=Role.MODERATOR,
    )  # fmt: skip
    assert "réservé à l'équipe fédérale" in refused.message.text
    reply = await type_in(
        ready, '/event create "Forum" "4 déc. 18h" diffusion:toutes', role=Role.STAFF
    )
    assert "Annoncé dans 3 salons." in reply.message.text
    assert sorted(sent.targets()) == ["#lyon", "#nantes", "#rennes"]
    federation = await ready.services.get(EventRepo).get(event_id(reply))
    assert federation.fields.agency_id is None and federation.agency_name is None


async def test_a_failed_announcement_is_reported_and_the_event_still_exists(ready, caplog) -> None:
    recorder(ready, failing={"lyon"})
    reply = await type_in(ready, '/event create "Forum" "4 déc. 18h" audience:all', role=Role.STAFF)
    assert "Annoncé dans 2 salons. 1 échec (voir le journal)." in reply.message.text
    assert await ready.services.get(EventRepo).get(event_id(reply)) is not None
    assert "channel_not_found" in caplog.text
    posts = await ready.services.get(EventRepo).posts(event_id(reply))
    assert sorted(p.channel.channel_id for p in posts) == ["nantes", "rennes"]


async def test_an_agency_without_channels_is_told_nothing_was_announced(app) -> None:
    await app.services.agencies.add("Agence sans salon", "Bretagne", app.clock.now())
    reply = await type_in(app, '/event create "Forum" "4 déc. 18h" agency:"Agence sans salon"')
    assert "l'événement n'a pas été annoncé" in reply.message.text


async def test_weekly_series_keep_the_wall_clock_time_across_dst(ready) -> None:
    sent = recorder(ready)
    reply = await type_in(
        ready,
        f'/event create "Groupe de travail" "2027-03-20 18:00" repeat:weekly count:3 {NANTES}',
    )
    assert "Série de 3 dates créée" in reply.message.text
    first = await ready.services.get(EventRepo).get(event_id(reply))
    series = [
        first,
        *await ready.services.get(EventRepo).series_after(first.series_id, first.starts_at),
    ]
    assert [e.starts_at for e in series] == [
        utc(2027, 3, 20, 17, 0),
        utc(2027, 3, 27, 17, 0),
        utc(2027, 4, 3, 16, 0),  # summer time since 28 March: still 18:00 in Paris
    ]
    assert len(sent.sent) == 1  # one announcement for the series
    assert "Série de 3 dates, jusqu'au 3 avril 2027." in sent.sent[0][1].text


async def test_monthly_series_clamp_to_the_end_of_shorter_months(ready) -> None:
    reply = await type_in(
        ready,
        f'/event create "MOOC" "31/12 18h" repetition:"chaque mois" jusqua:31/03/2027 {NANTES}',
    )
    first = await ready.services.get(EventRepo).get(event_id(reply))
    later = await ready.services.get(EventRepo).series_after(first.series_id, first.starts_at)
    assert [e.starts_at.date().isoformat() for e in [first, *later]] == [
        "2026-12-31", "2027-01-31", "2027-02-28", "2027-03-31",
    ]  # fmt: skip
    too_many = await type_in(
        ready, f'/event create "MOOC" "31/12 18h" repeat:weekly count:60 {NANTES}'
    )
    assert "entre 2 et 52" in too_many.message.text


async def test_user_text_is_relayed_as_is_never_as_a_mention(ready) -> None:
    sent = recorder(ready)
    await type_in(ready, f'/event create "<!channel> @everyone" "4 déc. 18h" {NANTES}')
    card = sent.to("#nantes")[0]
    assert card.title == "Nouvel événement : <!channel> @everyone"  # renderers escape it
