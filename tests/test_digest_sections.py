"""Each section of a digest, with and without data, in its scope; the digest's language; and
a digest at its largest, rendered by the Slack and Discord renderers within their limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.discord import render as discord_render
from adapters.slack import render as slack_render
from bot.app import BotApp
from bot.identity import Caller, ChannelRef
from commands.announce.store.announcements import AnnouncementRepo, Destination, Draft
from commands.digest.build import Built, build_digest
from commands.digest.runner import next_run
from commands.digest.store.digests import DigestConfig, DigestRepo
from commands.events.store.events import EventFields, EventRepo
from commands.faq.store.activity import NewQuestion
from commands.faq.store.entries import EntryDraft, FaqRepo
from commands.profile.store.profiles import ProfileChanges, ProfileRepo, Tag
from tests.conftest import T0
from tests.digest_support import app_on, create, plain, recorder, setup_agencies

DAILY = 'schedule:"quotidien 9h" skip_empty:no'  # built at T0, it covers the day before T0
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@pytest.fixture
async def agencies(app: BotApp) -> dict[str, int]:
    # The moderator who creates the digests has been a member for a month: not a newcomer.
    await app.services.members.ensure(Caller("console", "local", "alice", "alice"), T0 - 30 * DAY)
    return await setup_agencies(app)


async def _build(app: BotApp, options: str, channel: str = "nantes") -> Built:
    number = await create(app, f"{DAILY} {options}", channel=channel)
    digest = await app.services.get(DigestRepo).get(number)
    assert isinstance(digest, DigestConfig)
    return await build_digest(app.services, digest, T0, next_run(app.services, digest, T0))


def _section(built: Built, name: str) -> list[str]:
    found = [s for s in built.sections if s.name == name]
    assert len(found) == 1, [s.name for s in built.sections]
    return [plain(line) for line in (*found[0].lines, found[0].more) if line]


async def _event(app: BotApp, title: str, in_days: float, agency: int | None) -> None:
    fields = EventFields(title, T0 + timedelta(days=in_days), agency_id=agency)
    await app.services.get(EventRepo).create([fields], None, T0 - HOUR)


async def _member(app: BotApp, name: str, joined_ago: timedelta) -> int:
    caller = Caller("slack", "T1", name.lower(), name)
    return (await app.services.members.ensure(caller, T0 - joined_ago)).id


async def _profile(
    app: BotApp, member: int, agency: int, tags: tuple[str, ...], *, visible: bool = True
) -> None:
    changes = ProfileChanges(
        agency_id=agency,
        opt_in=True,
        visible=visible,
        tags=tuple(Tag(tag, tag.capitalize()) for tag in tags),
    )
    await app.services.get(ProfileRepo).save(member, changes, T0 - DAY)


# --- upcoming events -----------------------------------------------------------------------


async def test_events_section_follows_the_scope_and_the_days(app, agencies) -> None:
    assert (await _build(app, "sections:events")).sections == ()
    await _event(app, "Atelier nantais", 3, agencies["nantes"])
    await _event(app, "Forum angevin", 5, agencies["angers"])
    await _event(app, "Salon rennais", 4, agencies["rennes"])
    await _event(app, "Webinaire fédéral", 2, None)
    await _event(app, "Nantes, plus tard", 20, agencies["nantes"])
    own = _section(await _build(app, "sections:events scope:agency"), "events")
    assert own == ["• dim. 29 nov. à 10 h — Atelier nantais (n°1)"]
    region = _section(await _build(app, "sections:events scope:region"), "events")
    assert region == [
        "• dim. 29 nov. à 10 h — Atelier nantais · Nantes Métropole Développement (n°1)",
        "• mar. 1er déc. à 10 h — Forum angevin · Aldev Angers (n°2)",
    ]
    everything = _section(await _build(app, "sections:events scope:all"), "events")
    assert [line.split(" — ")[1].split(" (")[0] for line in everything] == [
        "Webinaire fédéral",
        "Atelier nantais · Nantes Métropole Développement",
        "Salon rennais · Rennes Atalante",
        "Forum angevin · Aldev Angers",
    ]
    later = _section(await _build(app, "sections:events days:30", channel="angers"), "events")
    assert later == ["• mar. 1er déc. à 10 h — Forum angevin (n°2)"]
    built = await _build(app, "sections:events days:30")
    assert built.message.fields[0].name == "📅 Agenda des 30 prochains jours"


async def test_events_beyond_the_section_size_are_summed_up(app, agencies) -> None:
    for day in range(1, 8):
        await _event(app, f"Permanence {day}", day, agencies["nantes"])
    lines = _section(await _build(app, "sections:events"), "events")
    assert len(lines) == 6 and lines[-1] == "… et d'autres : /evenement liste"


# --- newcomers -----------------------------------------------------------------------------


async def test_members_section_lists_newcomers_with_their_visible_interests(app, agencies) -> None:
    empty = await _build(app, "sections:members scope:all")
    assert empty.sections == ()
    await _member(app, "Ancienne", 3 * DAY)  # before the window
    camille = await _member(app, "Camille", 2 * HOUR)
    yanis = await _member(app, "Yanis", 3 * HOUR)
    await _member(app, "Léa", 4 * HOUR)  # no profile
    await _profile(app, camille, agencies["nantes"], ("numerique", "tiers-lieux"))
    await _profile(app, yanis, agencies["rennes"], ("export",), visible=False)
    lines = _section(await _build(app, "sections:members scope:all"), "members")
    assert lines == ["• Camille — Numerique, Tiers-lieux", "• Yanis", "• Léa"]
    built = await _build(app, "sections:members scope:all")
    assert built.message.fields[0].name == "👋 3 nouveaux membres"
    # Scoped to the agency: those whose profile names it.
    assert _section(await _build(app, "sections:members scope:agency"), "members") == [
        "• Camille — Numerique, Tiers-lieux"
    ]
    # Angers' region is Nantes' too.
    assert _section(
        await _build(app, "sections:members scope:region", channel="angers"), "members"
    ) == ["• Camille — Numerique, Tiers-lieux"]
    rennes = await _build(app, "sections:members scope:agency", channel="rennes")
    assert _section(rennes, "members") == ["• Yanis"]  # hidden profile: no interests shown


async def test_members_beyond_the_section_size_are_counted(app, agencies) -> None:
    for i in range(8):
        await _member(app, f"Membre {i}", (i + 1) * timedelta(minutes=10))
    lines = _section(await _build(app, "sections:members scope:all"), "members")
    assert lines[:2] == ["• Membre 0", "• Membre 1"] and lines[-1] == "… et 3 autres"
    assert len(lines) == 6


# --- announcements -------------------------------------------------------------------------


async def _announce(
    app: BotApp, title: str, ago: timedelta, to: list[str], audience: str = "all"
) -> None:
    """A broadcast confirmed `ago` before T0 to the console channels `to`."""
    services = app.services
    author = await _member(app, "Claire", 30 * DAY)
    origin = ChannelRef("console", "local", "general")
    draft = Draft(title, "Texte", None, audience, "", "fr", origin, None)
    number = await services.get(AnnouncementRepo).create_draft(draft, author, T0 - ago)
    destinations = []
    for key in to:
        ref = ChannelRef("console", "local", key)
        agency = await services.agencies.agency_of(ref)
        destinations.append(Destination(agency.id, agency.name, ref))
    assert await services.get(AnnouncementRepo).confirm(
        number, destinations, author, origin, T0 - ago
    )


async def test_announcements_section_shows_what_reached_this_channel(app, agencies) -> None:
    assert (await _build(app, "sections:announcements")).sections == ()
    await _announce(app, "Appel à projets", 3 * HOUR, ["nantes", "rennes", "angers"])
    await _announce(app, "Réservé à Rennes", 2 * HOUR, ["rennes"], audience="agencies")
    await _announce(app, "Trop ancien", 3 * DAY, ["nantes", "rennes", "angers"])
    origin = ChannelRef("console", "local", "general")
    draft = Draft("Brouillon jamais confirmé", "x", None, "all", "", "fr", origin, None)
    author = await _member(app, "Claire", 30 * DAY)
    await app.services.get(AnnouncementRepo).create_draft(draft, author, T0 - HOUR)
    nantes = _section(await _build(app, "sections:announcements"), "announcements")
    assert nantes == ["• 26 nov. 2026 — Appel à projets"]
    rennes = _section(
        await _build(app, "sections:announcements", channel="rennes"), "announcements"
    )
    assert rennes == ["• 26 nov. 2026 — Réservé à Rennes", "• 26 nov. 2026 — Appel à projets"]


# --- activity ------------------------------------------------------------------------------


async def test_activity_section_counts_the_window_only(app, agencies) -> None:
    assert (await _build(app, "sections:activity")).sections == ()
    await _member(app, "Ancienne", 3 * DAY)
    await _member(app, "Nouvelle", HOUR)
    await _event(app, "Atelier", 3, agencies["nantes"])
    lines = _section(await _build(app, "sections:activity"), "activity")
    assert lines == ["1 nouveau membre", "1 événement créé"]


# --- match suggestions ---------------------------------------------------------------------


async def test_matches_pair_newcomers_with_visible_opted_in_members(app, agencies) -> None:
    assert (await _build(app, "sections:matches scope:all")).sections == ()
    newcomer = await _member(app, "Camille", HOUR)
    veteran = await _member(app, "Yanis", 10 * DAY)
    hidden = await _member(app, "Léa", 10 * DAY)
    await _profile(app, newcomer, agencies["nantes"], ("hackathon", "tiers-lieux"))
    await _profile(app, veteran, agencies["rennes"], ("hackathon",))
    # Léa shares more, but her profile is not visible: a digest is read by a whole channel.
    await _profile(app, hidden, agencies["rennes"], ("hackathon", "tiers-lieux"), visible=False)
    lines = _section(await _build(app, "sections:matches scope:all"), "matches")
    assert lines == ["• Camille et Yanis : Hackathon"]
    assert (await _build(app, "sections:matches scope:agency", channel="rennes")).sections == ()


async def test_faq_section_lists_entries_added_in_the_window(app, agencies) -> None:
    faq = app.services.get(FaqRepo)
    assert (await _build(app, "sections:faq")).sections == ()
    translated = EntryDraft(
        "fr", "Comment adhérer ?", "Par le site.", translations={"en": ("How to join?", "Online.")}
    )
    await faq.add(EntryDraft("fr", "Ancienne question ?", "Oui."), None, T0 - 3 * DAY)
    await faq.add(translated, None, T0 - 2 * HOUR)
    await faq.add(EntryDraft("fr", "Où trouver les statuts ?", "En ligne."), None, T0 - HOUR)
    lines = _section(await _build(app, "sections:faq"), "faq")
    assert lines == ["• Où trouver les statuts ? (n°3)", "• Comment adhérer ? (n°2)"]
    english = _section(await _build(app, "sections:faq lang:en"), "faq")
    assert english == ["• Où trouver les statuts ? (#3)", "• How to join? (#2)"]


async def test_unanswered_section_shows_questions_asked_often_and_lately(app, agencies) -> None:
    activity = app.services.get(FaqRepo).activity
    assert (await _build(app, "sections:unanswered")).sections == ()

    people = [
        (await app.services.members.ensure(Caller("slack", "T1", f"U{i}"), T0)).id for i in range(4)
    ]

    async def ask(text: str, ago: timedelta, askers: list[int]) -> None:
        for member in askers:
            question = NewQuestion(text.lower(), text, "fr", member, None)
            await activity.record_ask("unknown", None, T0 - ago, unanswered=question)

    await ask("Quel est le calendrier 2027 ?", 2 * HOUR, people[:3])
    await ask("Mon dossier personnel est-il complet ?", HOUR, people[:1])  # one person
    await ask("Qui contacter à Lyon ?", 3 * DAY, people)  # not asked since the last digest
    await ask("Comment devenir ambassadeur ?", HOUR, people[2:])
    # One member asking again and again does not put their words in a channel's digest.
    await ask("Pourquoi mon voisin ne répond pas ?", HOUR, people[:1] * 5)
    lines = _section(await _build(app, "sections:unanswered"), "unanswered")
    assert lines == [
        "• « Quel est le calendrier 2027 ? » — posée 3 fois",
        "• « Comment devenir ambassadeur ? » — posée 2 fois",
    ]


# --- language and size ---------------------------------------------------------------------


async def test_the_digest_speaks_its_own_language(app, agencies) -> None:
    await _event(app, "Atelier nantais", 3, agencies["nantes"])
    await _member(app, "Camille", HOUR)
    built = await _build(app, "lang:en sections:events,members,activity scope:all")
    message = built.message
    assert message.title == "Federation news — Nantes Métropole Développement"
    assert plain(message.text) == "Period: Nov 25 – 26, 2026."
    assert [f.name for f in message.fields] == [
        "📅 Events in the next 14 days",
        "👋 1 new member",
        "📊 Federation activity",
    ]
    assert "Sun, Nov 29 at 10:00 AM — Atelier nantais · Nantes Métropole Développement (#1)" in (
        plain(message.fields[0].value)
    )
    assert message.footer == "Digest #1 · next one: Friday, November 27, 2026 at 9:00 AM"


async def test_a_full_digest_stays_within_slack_and_discord_limits(tmp_path, clock) -> None:
    async with app_on(tmp_path, clock, {"digest": {"max_items": 10}}) as app:
        ids = await setup_agencies(app)
        recorder(app)
        long = "Très long titre " * 12
        for i in range(12):
            await _event(app, f"{long} {i} @everyone <!channel>", 1 + i / 2, None)
            member = await _member(app, f"{long[:100]} {i}", HOUR + i * timedelta(minutes=1))
            tags = tuple(f"thematique-{i}-{k}" for k in range(12)) + ("commun",)
            await _profile(app, member, ids["nantes"], tags)
        for i in range(12):
            await _announce(app, f"{long} {i}", HOUR, ["nantes"])
        built = await _build(app, 'title:"' + "T" * 150 + '" scope:all')
    assert {s.name for s in built.sections} == {
        "events",
        "members",
        "announcements",
        "matches",
        "activity",
    }
    assert all(len(f.value) <= 1000 for f in built.message.fields)
    (slack,) = slack_render.render_message(built.message)
    assert len(slack.blocks) <= slack_render.MAX_BLOCKS
    for block in slack.blocks:
        text = block.get("text", {}).get("text", "")
        assert len(text) <= slack_render.MAX_SECTION_TEXT
        assert "<!channel>" not in text
    assert sum(len(str(b)) for b in slack.blocks) < slack_render.MAX_MESSAGE_CHARS + 2000
    (discord,) = discord_render.render_message(built.message)
    assert len(discord.embeds) <= discord_render.EMBEDS_PER_MESSAGE
    assert sum(len(e) for e in discord.embeds) <= discord_render.MESSAGE_EMBED_CHARS_MAX
    for embed in discord.embeds:
        assert len(embed.fields) <= discord_render.FIELDS_MAX
        assert all(len(f.value or "") <= discord_render.FIELD_VALUE_MAX for f in embed.fields)
        # Every section is one whole field: none was cut in two by the renderer.
        assert all(f.name != discord_render.ZWSP for f in embed.fields)
        assert "@everyone" not in str(embed.to_dict())
