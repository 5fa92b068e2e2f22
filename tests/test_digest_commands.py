"""`digest …` commands through the real dispatcher: settings, schedules in words in both
languages, validation, and who may manage which digest."""

from __future__ import annotations

import pytest

from bot.app import BotApp
from bot.identity import ChannelRef, Place
from bot.spec import Role
from commands.digest.store.digests import DigestRepo
from tests.conftest import console_caller
from tests.digest_support import (
    create,
    digest_id,
    plain,
    recorder,
    setup_agencies,
    type_in,
)

M, S = Role.MODERATOR, Role.STAFF


@pytest.fixture
async def agencies(app: BotApp) -> dict[str, int]:
    return await setup_agencies(app)


async def test_create_shows_the_schedule_in_words_and_the_next_run(app, agencies) -> None:
    reply = await type_in(
        app,
        '/recap creer rythme:"tous les lundis à 9h" rubriques:agenda,annonces',
        channel="nantes",
    )
    assert reply.message.title == "Récap n°1 programmé" and reply.ephemeral
    (field,) = reply.message.fields
    text = plain(field.value)
    assert "#nantes (console), tous les lundis à 9 h" in text
    assert "Prochain envoi : lundi 30 novembre 2026 à 9 h" in text
    assert "Rubriques : agenda (14 jours), annonces · portée : l'agence · langue : fr" in text
    assert [b.action for b in reply.message.buttons] == [
        "digest.preview",
        "digest.run",
        "digest.pause",
    ]
    assert {b.args["id"] for b in reply.message.buttons} == {"1"}
    assert app.services.scheduler.job_ids().count("digest.1") == 1
    stored = await app.services.get(DigestRepo).get(1)
    assert stored.fields.schedule == "weekly monday 09:00"
    assert stored.fields.sections == ("events", "announcements")


async def test_english_caller_reads_english_words_and_cron_is_described(app, agencies) -> None:
    reply = await type_in(
        app,
        '/digest create schedule:"0 8 * * 1-5" lang:fr title:"Morning news"',
        channel="nantes",
        lang="en",
    )
    text = plain(reply.message.fields[0].value)
    assert reply.message.title == "Digest #1 scheduled"
    assert "Monday to Friday at 8:00 AM" in text
    assert "Next run: Friday, November 27, 2026 at 8:00 AM" in text
    assert reply.message.fields[0].name == "#1 · Morning news"
    listed = await type_in(app, "/digest list", channel="nantes")
    assert "du lundi au vendredi à 8 h" in plain(listed.message.fields[0].value)


async def test_presets_every_two_weeks_and_monthly(app, agencies) -> None:
    await create(app, 'schedule:"toutes les 2 semaines vendredi 14h"')
    await create(app, 'schedule:"monthly first monday 9:00" lang:en')
    listed = await type_in(app, "/digest list", lang="en")
    values = [plain(f.value) for f in listed.message.fields]
    assert "every other Friday at 2:00 PM" in values[0]
    assert "Next run: Friday, November 27, 2026 at 2:00 PM" in values[0]
    assert "on the first Monday of the month at 9:00 AM" in values[1]
    assert "Next run: Monday, December 7, 2026 at 9:00 AM" in values[1]
    # The parity of "every 2 weeks" is pinned at creation: stored with its first run's date.
    assert (await app.services.get(DigestRepo).get(1)).fields.schedule == (
        "every 2 weeks friday 14:00 from 2026-11-27"
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ('schedule:"quand ça me chante"', "Je n'ai pas compris la périodicité"),
        ('schedule:"* 9 * * *"', "plus d'une fois par heure"),
        ('schedule:"daily 9h" sections:events,gossip', "Rubrique inconnue : « gossip »"),
        ('schedule:"daily 9h" sections:","', "Choisissez au moins une rubrique"),
        ('schedule:"daily 9h" days:0', "jours"),
        ('schedule:"daily 9h" days:93', "jours"),
        ('schedule:"daily 9h" scope:planet', "portee"),
        ('schedule:"daily 9h" title:' + "x" * 151, "titre"),
        ('schedule:"daily 9h" channel:"irc:net:chan"', "Plateforme inconnue"),
    ],
)
async def test_bad_options_are_refused_clearly(app, agencies, options, expected) -> None:
    reply = await type_in(app, f"/digest create {options}", channel="nantes")
    assert reply.is_error and expected in plain(reply.message.text)
    assert await app.services.get(DigestRepo).active() == []


async def test_scope_agency_needs_an_agency_channel(app, agencies) -> None:
    reply = await type_in(app, '/digest create schedule:"daily 9h" scope:agency')
    assert reply.is_error and "aucune agence" in reply.message.text
    ok = await type_in(app, '/digest create schedule:"daily 9h"')  # staff, #general: scope all
    assert "portée : toute la fédération" in plain(ok.message.fields[0].value)


async def test_a_channel_has_at_most_the_configured_number_of_digests(app, agencies) -> None:
    for _ in range(5):
        await create(app, 'schedule:"daily 9h"')
    reply = await type_in(app, '/digest create schedule:"daily 10h"', channel="nantes")
    assert reply.is_error and "déjà 5 récaps" in reply.message.text


async def test_edit_pause_resume_delete(app, agencies) -> None:
    number = await create(app, 'schedule:"weekly monday 9:00"')
    edited = await type_in(
        app, f'/digest edit {number} schedule:"daily 7:30" days:30 skip_empty:no title:"Le matin"'
    )
    text = plain(edited.message.fields[0].value)
    assert edited.message.title == "Récap n°1 modifié"
    assert "tous les jours à 7 h 30" in text and "agenda (30 jours)" in text
    assert "Pas d'envoi quand" not in text
    assert edited.message.fields[0].name == "N°1 · Le matin"
    untitled = await type_in(app, f"/digest edit {number} title:-")
    assert untitled.message.fields[0].name == "N°1"
    nothing = await type_in(app, f"/digest edit {number}")
    assert nothing.is_error and "Rien à modifier" in nothing.message.text

    paused = await type_in(app, f"/digest pause {number}")
    assert "En pause" in paused.message.fields[0].value
    assert paused.message.buttons[-1].action == "digest.resume"
    assert "digest.1" not in app.services.scheduler.job_ids()
    again = await type_in(app, f"/digest pause {number}")
    assert again.is_error and "déjà en pause" in again.message.text
    resumed = await type_in(app, f"/digest resume {number}")
    assert "Prochain envoi : vendredi 27 novembre 2026 à 7 h 30" in plain(
        resumed.message.fields[0].value
    )
    assert "digest.1" in app.services.scheduler.job_ids()

    deleted = await type_in(app, f"/digest delete {number}")
    assert "Récap n°1 supprimé" in deleted.message.text
    assert await app.services.get(DigestRepo).get(number) is None
    assert "digest.1" not in app.services.scheduler.job_ids()
    gone = await type_in(app, f"/digest preview {number}")
    assert gone.is_error and "Aucun récap n°1" in gone.message.text


async def test_preview_renders_without_sending_and_run_sends(app, agencies) -> None:
    sender = recorder(app)
    number = await create(app, 'schedule:"weekly monday 9:00" skip_empty:no sections:events')
    preview = await type_in(app, f"/digest preview {number}")
    assert preview.ephemeral
    assert (
        preview.message.title == "Les nouvelles de la fédération — Nantes Métropole Développement"
    )
    assert plain(preview.message.text).startswith(
        "Aperçu, rien n'est envoyé. Destination : #nantes"
    )
    assert "Rien de neuf cette fois-ci." in preview.message.text
    assert sender.sent == []
    ran = await type_in(app, f"/recap envoyer {number}")
    assert ran.message.text == "Récap n°1 envoyé dans #nantes (console)."
    (message,) = sender.to("#nantes")
    assert message.title == preview.message.title
    run = await app.services.runs.get("digest:1:manual:2026-11-26T09:00:00Z")
    assert run is not None and run.outcome == "sent"
    # The same second again (a double click): the ledger has it, nothing is sent twice.
    twice = await type_in(app, f"/digest run {number}")
    assert "vient déjà d'être envoyé" in twice.message.text
    assert len(sender.sent) == 1


async def test_run_reports_an_empty_digest_and_a_failed_send(app, agencies) -> None:
    sender = recorder(app, failing={"angers"})
    empty = await create(app, 'schedule:"daily 9h" sections:events', channel="nantes")
    reply = await type_in(app, f"/digest run {empty}")
    assert "Rien de neuf depuis le dernier récap" in reply.message.text
    failing = await create(app, 'schedule:"daily 9h" skip_empty:no', channel="angers")
    reply = await type_in(app, f"/digest run {failing}")
    assert reply.is_error and "n'a pas pu être envoyé dans #angers" in reply.message.text
    assert "channel_not_found" not in reply.message.text  # platform details stay in the log
    listed = await type_in(app, "/digest list")
    assert "rien de neuf, pas envoyé" in listed.message.fields[0].value
    assert "échec de l'envoi" in listed.message.fields[1].value
    assert sender.sent == []


# --- permissions: staff anywhere; a moderator, the channels of the agencies they moderate ---


async def test_members_cannot_manage_digests(app, agencies) -> None:
    reply = await type_in(
        app, '/digest create schedule:"daily 9h"', channel="nantes", role=Role.MEMBER
    )
    assert reply.is_error and "modérateur" in reply.message.text
    reply = await type_in(app, "/digest list", channel="nantes", role=Role.MEMBER)
    assert reply.is_error


@pytest.mark.parametrize(
    ("typed_in", "target", "allowed"),
    [
        ("nantes", None, True),  # this channel
        ("nantes", "discord:G1:555", True),  # the same agency's channel on another platform
        ("nantes", "rennes", False),  # another agency
        ("nantes", "angers", False),  # another agency of the same region
        ("nantes", "general", False),  # a channel of no agency
        ("general", "nantes", True),  # typed anywhere: the digest's channel is what counts
        ("rennes", None, False),  # in another agency's channel, for that channel
    ],
)
async def test_moderator_creates_only_for_their_agency(
    app, agencies, typed_in, target, allowed
) -> None:
    channel = f" channel:{target}" if target else ""
    reply = await type_in(
        app, f'/digest create schedule:"daily 9h"{channel}', channel=typed_in, role=M,
        moderates=("nantes",),
    )  # fmt: skip
    assert reply.is_error is not allowed, reply.message.plain_text()


NANTES = ("nantes",)


async def test_moderator_manages_only_their_agency_digests(app, agencies) -> None:
    sender = recorder(app)
    nantes = await create(app, 'schedule:"daily 9h" skip_empty:no', channel="nantes")
    rennes = await create(app, 'schedule:"daily 9h" skip_empty:no', channel="rennes")
    federation = await create(app, 'schedule:"daily 9h" skip_empty:no', channel="general")
    for command in ("preview", "run", "pause", "edit {} days:3", "delete"):
        for number in (rennes, federation):
            line = "/digest " + (
                command.format(number) if "{}" in command else f"{command} {number}"
            )
            reply = await type_in(app, line, channel="nantes", role=M, moderates=NANTES)
            assert reply.is_error and f"n°{number} appartient" in reply.message.text, line
    listed = await type_in(app, "/digest list", channel="nantes", role=M, moderates=NANTES)
    assert [f.name for f in listed.message.fields] == [f"N°{nantes}"]
    assert listed.message.title == "1 récap programmé"
    # Wherever they type: the agencies they moderate decide, not the channel.
    elsewhere = await type_in(app, "/digest list", channel="general", role=M, moderates=NANTES)
    assert [f.name for f in elsewhere.message.fields] == [f"N°{nantes}"]
    ran = await type_in(app, f"/digest run {nantes}", channel="rennes", role=M, moderates=NANTES)
    assert not ran.is_error
    moved = await type_in(
        app, f"/digest edit {nantes} channel:rennes", channel="nantes", role=M, moderates=NANTES
    )
    assert moved.is_error and "appartient à Rennes Atalante, que vous ne modérez pas" in (
        moved.message.text
    )
    # Staff manage them all, from anywhere.
    everything = await type_in(app, "/digest list", role=S)
    assert len(everything.message.fields) == 3
    for number in (nantes, rennes, federation):
        assert not (await type_in(app, f"/digest run {number}", role=S)).is_error
    # Nantes' digest was sent by its moderator this very second: that run is not repeated.
    assert [target for target, _ in sender.sent] == ["#nantes", "#rennes", "#general"]


async def test_buttons_reenter_the_dispatcher_with_role_checks(app, agencies) -> None:
    reply = await type_in(app, '/digest create schedule:"daily 9h"', channel="nantes")
    assert digest_id(reply) == 1
    preview = next(b for b in reply.message.buttons if b.action == "digest.preview")
    place = Place(ChannelRef("console", "local", "nantes"))
    for role, refused in ((Role.MEMBER, True), (M, False)):
        answer = await app.dispatcher.handle_action(
            console_caller(role), place, preview.action, preview.value
        )
        assert answer is not None and answer.is_error is refused


async def test_the_demo_digest_loads_once_and_previews(app) -> None:
    await app.load_demo()
    await app.load_demo()
    listed = await type_in(app, "/digest list")
    assert listed.message.title == "1 récap programmé"
    assert "#nantes (console), tous les lundis à 9 h" in plain(listed.message.fields[0].value)
    assert "digest.1" in app.services.scheduler.job_ids()
    preview = await type_in(app, "/digest preview 1")
    assert preview.message.title == "La semaine de Nantes Métropole Développement"
    assert any(f.name.startswith("📅") for f in preview.message.fields)
