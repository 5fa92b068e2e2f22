"""`match find`, `match topic` and introductions, through the dispatcher and the database:
rare shared interests first, other agencies favoured, opt-in respected, no repeats."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import commands.profile.store.snapshot as snapshot_module
from bot.app import BotApp
from bot.clock import FixedClock
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.match_support import (
    click,
    member_id,
    plain,
    profile,
    recorder,
    setup_agencies,
    type_in,
)


def names(reply) -> list[str]:
    return [f.name for f in reply.message.fields]


async def _crowd(app: BotApp, count: int, interests: str, agency: str = "lyon") -> None:
    for i in range(count):
        await profile(app, f"crowd{i}", interests, agency=agency)


async def test_a_rare_shared_interest_beats_a_common_one(app: BotApp) -> None:
    await setup_agencies(app)
    await _crowd(app, 8, "numérique")  # 8 people: a common interest
    await profile(app, "rare", "hackathon", agency="lyon")  # 1 person: a rare one
    await profile(app, "alice", "numérique, hackathon")
    reply = await type_in(app, "/match find")
    assert names(reply)[0] == "Rare"
    assert reply.message.fields[0].value.startswith(
        "Vous travaillez tous deux sur : hackathon. (une autre agence)"
    )
    assert len(names(reply)) == 5  # [match] suggestions
    both = await profile(app, "both", "numérique, hackathon", agency="lyon")
    assert not both.is_error
    reply = await type_in(app, "/match find", lang="en")
    assert names(reply)[:2] == ["Both", "Rare"]
    assert reply.message.fields[0].value.startswith("You both work on: hackathon and numérique.")


async def test_another_agency_beats_the_same_agency_at_equal_interests(app: BotApp) -> None:
    await setup_agencies(app)
    await profile(app, "colleague", "tiers-lieux, fablab", agency="nantes")
    await profile(app, "elsewhere", "tiers-lieux, fablab", agency="rennes")
    await profile(app, "alice", "tiers-lieux, fablab", agency="nantes")
    reply = await type_in(app, "/match find")
    assert names(reply) == ["Elsewhere", "Colleague"]
    assert "(une autre agence)" in reply.message.fields[0].value
    assert "(une autre agence)" not in reply.message.fields[1].value


async def test_nobody_who_did_not_opt_in_is_ever_suggested(app: BotApp) -> None:
    await profile(app, "shy", "hackathon, tiers-lieux", match=False)
    await profile(app, "open", "hackathon")
    await profile(app, "alice", "hackathon, tiers-lieux")
    assert names(await type_in(app, "/match find")) == ["Open"]
    topic = await type_in(app, "/match topic tiers-lieux")
    assert topic.message.title == "tiers-lieux : personne d'autre"
    # Opting out later takes effect at once (the in-memory index is invalidated).
    await type_in(app, "/profile set match:no", user="open")
    reply = await type_in(app, "/match find")
    assert reply.is_error and "Personne ne partage encore vos thèmes" in reply.message.text


async def test_the_caller_must_have_opted_in_to_search(app: BotApp) -> None:
    await profile(app, "bob", "hackathon")
    none = await type_in(app, "/match find")
    assert none.is_error and "créez d'abord votre profil" in none.message.text
    await profile(app, "alice", "hackathon", match=False)
    closed = await type_in(app, "/match find")
    assert closed.is_error and "/profil modifier rencontres:oui" in closed.message.text
    topic = await type_in(app, "/match topic hackathon")
    assert topic.is_error


async def test_an_introduction_messages_the_partner_and_hides_them_for_a_while(
    app: BotApp, clock: FixedClock
) -> None:
    sent = recorder(app)
    await setup_agencies(app)
    await profile(app, "bob", "hackathon, tiers-lieux", agency="rennes")
    await profile(app, "carol", "hackathon", agency="lyon")
    await type_in(app, '/profile set visible:yes description:"Je lance un fablab."', user="alice")
    await profile(app, "alice", "hackathon, tiers-lieux", visible=True)
    reply = await type_in(app, "/match find")
    assert [b.label for b in reply.message.buttons] == [
        "Me présenter à Bob",
        "Me présenter à Carol",
    ]
    done = await click(app, reply.message.buttons[0], user="alice")
    assert done.message.text.startswith("C'est fait : Bob a reçu votre présentation")
    (dm,) = sent.to("@bob")
    assert dm.title == "Une mise en relation de fedbot"
    assert dm.text == "Alice aimerait échanger avec vous."
    assert dm.fields[0].name == "Alice"
    assert dm.fields[0].value.splitlines()[0] == (
        "Vous travaillez tous deux sur : tiers-lieux et hackathon."
    )
    assert "Je lance un fablab." in dm.fields[0].value  # Alice's profile is visible
    again = await type_in(app, "/match find")
    assert names(again) == ["Carol"]
    assert again.message.footer.startswith("1 personne rencontrée récemment n'est pas proposée")
    assert names(await type_in(app, "/match find encore:oui")) == ["Bob", "Carol"]
    twice = await click(app, reply.message.buttons[0], user="alice")
    assert twice.is_error and "déjà été présenté à Bob" in plain(twice.message.text)
    clock.set(clock.now() + timedelta(days=91))  # repeat_after_days = 90
    assert names(await type_in(app, "/match find")) == ["Bob", "Carol"]


async def test_introductions_are_limited_per_day(tmp_path: Path, clock: FixedClock) -> None:
    config = make_config(tmp_path, {"match": {"introductions_per_day": 1}})
    async with make_app(config, clock=clock, start_scheduler=False) as app:
        sent = recorder(app)
        await profile(app, "bob", "hackathon")
        await profile(app, "carol", "hackathon")
        await profile(app, "alice", "hackathon")
        buttons = (await type_in(app, "/match find")).message.buttons
        assert not (await click(app, buttons[0], user="alice")).is_error
        refused = await click(app, buttons[1], user="alice")
        assert refused.is_error and "1 présentations en 24 heures" in refused.message.text
        assert len(sent.sent) == 1


async def test_an_introduction_to_someone_unreachable_records_nothing(app: BotApp) -> None:
    recorder(app, failing={"dm:bob"})
    await profile(app, "bob", "hackathon")
    await profile(app, "alice", "hackathon")
    button = (await type_in(app, "/match find")).message.buttons[0]
    reply = await click(app, button, user="alice")
    assert reply.is_error and "Je n'ai pas pu envoyer de message à Bob" in reply.message.text
    assert names(await type_in(app, "/match find")) == ["Bob"]  # not hidden: never introduced


async def test_a_forged_introduction_to_someone_who_did_not_opt_in_is_refused(
    app: BotApp,
) -> None:
    sent = recorder(app)
    await profile(app, "shy", "hackathon", match=False)
    await profile(app, "alice", "hackathon")
    shy = await member_id(app, "shy")
    reply = await type_in(app, f"/match introduce member:{shy}")
    assert reply.is_error  # "no longer" would be untrue: shy never accepted
    assert reply.message.text == "Ce membre n'accepte pas les mises en relation."
    assert sent.sent == []
    unknown = await type_in(app, "/match introduce member:9999")
    assert unknown.message.text.startswith("Aucun membre n°\u00a09999.")


async def test_a_searched_topic_is_never_called_shared(app: BotApp) -> None:
    """Alice works on hackathons; searching fablab finds Bob (fablab, hackathon): they share
    hackathon only, and Bob works on fablab."""
    await setup_agencies(app)
    await profile(app, "bob", "fablab, hackathon", agency="lyon")
    await profile(app, "carol", "fablab", agency="lyon")
    await profile(app, "alice", "hackathon")
    reply = await type_in(app, "/match find topic:fablab")
    why = {f.name: f.value.splitlines()[0] for f in reply.message.fields}
    assert why["Bob"] == (
        "Vous travaillez tous deux sur\u00a0: hackathon. Travaille sur fablab. (une autre agence)"
    )
    assert why["Carol"] == "Travaille sur fablab. (une autre agence)"


async def test_match_topic_lists_members_on_the_topic(app: BotApp) -> None:
    await setup_agencies(app)
    await profile(app, "bob", "third places", agency="rennes")
    await profile(app, "carol", "tiers-lieux, hackathon", agency="lyon")
    await profile(app, "alice", "hackathon")
    reply = await type_in(app, '/match topic "Tiers lieux"')
    assert reply.message.title == "tiers-lieux : 2 membres"
    assert reply.message.fields[0].value.splitlines() == [
        "Bob — Rennes Atalante",
        "Carol — Lyon Attractivité",
    ]
    ranked = await type_in(app, "/match find topic:tiers-lieux")
    assert names(ranked) == ["Carol", "Bob"]  # Carol also shares hackathon
    empty = await type_in(app, "/match topic coworkin")
    assert empty.message.text == (
        "Personne ne travaille encore sur « coworkin ». Thèmes proches : coworking."
    )


async def test_another_process_changes_are_seen(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two bot processes on one database: the index follows the other one's writes."""
    monkeypatch.setattr(snapshot_module, "FINGERPRINT_EVERY", 0.0)
    config = make_config(tmp_path)
    async with (
        make_app(config, clock=clock, start_scheduler=False) as first,
        make_app(config, clock=clock, start_scheduler=False) as second,
    ):
        await profile(first, "alice", "hackathon")
        await profile(second, "bob", "hackathon")
        assert names(await type_in(first, "/match find")) == ["Bob"]
        await type_in(second, "/profile set interests:zythologie", user="bob")
        assert (await type_in(first, "/match find")).is_error
        await type_in(second, "/profile set interests:hackathon", user="bob")
        assert names(await type_in(first, "/match find")) == ["Bob"]
        await second.services.members.erase(await member_id(second, "bob"))
        assert (await type_in(first, "/match find")).is_error
    assert T0 == clock.now()  # the same instant throughout: the fingerprint still saw it all
