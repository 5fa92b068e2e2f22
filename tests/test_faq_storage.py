"""FAQ storage on SQLite, and on PostgreSQL when FEDBOT_TEST_POSTGRES_URL is set: imports by
id, the index kept in step with the tables (also when another process writes), one vote per
member, one answer per channel message, and what erasing a member removes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import BotApp
from bot.clock import FixedClock
from bot.identity import Caller, ChannelRef
from bot.privacy import erase_member, export_member
from commands.faq.drafts import make_draft
from commands.faq.store.activity import NewQuestion
from commands.faq.store.entries import FaqRepo
from fedbot.assembly import make_app
from tests.conftest import T0, make_config
from tests.faq_support import EVAL_ENTRIES, load_eval_faq
from tests.postgres import PG_URL, postgres_database

CHANNEL = ChannelRef("slack", "T1", "C1")


@pytest.fixture(params=["sqlite", "postgresql"])
async def app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotApp]:
    config = make_config(tmp_path)
    if request.param == "sqlite":
        async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as bot_app:
            yield bot_app
        return
    if not PG_URL:
        pytest.skip("set FEDBOT_TEST_POSTGRES_URL to run the PostgreSQL variant")
    async with postgres_database(PG_URL) as url:
        config = replace(config, bot=replace(config.bot, database_url=url))
        async with make_app(config, clock=FixedClock(T0), start_scheduler=False) as bot_app:
            yield bot_app


async def test_reimporting_updates_by_id_and_leaves_equal_entries_alone(app: BotApp) -> None:
    faq = app.services.get(FaqRepo)
    assert (await load_eval_faq(app)).created == 50
    before = {e.id: e.updated_at for e in await faq.all()}
    app.clock.set(T0 + timedelta(hours=1))  # type: ignore[attr-defined]
    again = await load_eval_faq(app)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 50)
    assert {e.id: e.updated_at for e in await faq.all()} == before
    edited = EVAL_ENTRIES.read_text("utf-8").replace("sous 15 jours", "sous 10 jours")
    from commands.faq.transfer import import_text

    counts = await import_text(faq, edited, app.clock.now())
    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 49)
    entry = await faq.get(1)
    assert entry is not None and "sous 10 jours" in entry.draft.answer
    assert len(await faq.all()) == 50


async def test_new_entries_follow_imported_ids(app: BotApp) -> None:
    await load_eval_faq(app)
    draft = make_draft("fr", "Où garer sa voiture au forum ?", "Parking P2, gratuit.")
    added = await app.services.get(FaqRepo).add(draft, None, app.clock.now())
    assert added.id == 51  # PostgreSQL: the id sequence was moved past the imported ids


async def test_another_process_s_changes_are_seen_after_a_refresh(app: BotApp) -> None:
    mine = app.services.get(FaqRepo)
    await load_eval_faq(app)
    assert not await mine.refresh()  # my own writes are already in my index
    other = FaqRepo(app.db)  # a second process on the same database
    now = app.clock.now()
    draft = make_draft("fr", "Où garer sa voiture au forum ?", "Parking P2, gratuit.")
    added = await other.add(draft, None, now)
    await other.remove(29)
    await other.set_passive(CHANNEL, True, None, now)
    assert (await mine.search("parking au forum")).verdict != "answer"
    assert not mine.passive_in(CHANNEL)
    assert await mine.refresh()
    found = await mine.search("où se garer pour le forum ?")
    assert found.verdict != "unknown" and found.hits[0].doc_id == added.id
    assert 29 not in mine.index and mine.passive_in(CHANNEL)
    assert not await mine.refresh()


async def test_a_local_write_after_a_foreign_one_still_triggers_a_rebuild(app: BotApp) -> None:
    mine, other = app.services.get(FaqRepo), FaqRepo(app.db)
    await load_eval_faq(app)
    await other.remove(29)  # not seen yet
    await mine.set_passive(CHANNEL, True, None, app.clock.now())
    assert 29 in mine.index  # stale, and known to be
    assert await mine.refresh()
    assert 29 not in mine.index


async def test_one_vote_per_member_and_one_answer_per_message(app: BotApp) -> None:
    await load_eval_faq(app)
    activity, now = app.services.get(FaqRepo).activity, app.clock.now()
    ann = await app.services.members.ensure(Caller("slack", "T1", "U1", "Ann"), now)
    assert await activity.give_feedback(1, ann.id, True, now)
    assert await activity.give_feedback(1, ann.id, False, now)  # changed her mind
    assert not await activity.give_feedback(999, ann.id, True, now)
    [votes] = await activity.votes()
    assert (votes.entry_id, votes.helpful, votes.unhelpful) == (1, 0, 1)
    assert await activity.claim_message(str(CHANNEL), "1.1", 1, now)
    assert not await activity.claim_message(str(CHANNEL), "1.1", 1, now)
    assert await activity.claim_message(str(CHANNEL), "1.2", 1, now)


async def test_an_unhelpful_answer_s_question_waits_once_per_member(app: BotApp) -> None:
    await load_eval_faq(app)
    activity, now = app.services.get(FaqRepo).activity, app.clock.now()
    ann = await app.services.members.ensure(Caller("slack", "T1", "U1", "Ann"), now)
    ben = await app.services.members.ensure(Caller("slack", "T1", "U2", "Ben"), now)

    def asked(member_id: int) -> NewQuestion:
        return NewQuestion(
            "cotisation", "la cotisation ?", "fr", member_id, str(CHANNEL), 2, unhelpful=True
        )

    assert await activity.add_unanswered(asked(ann.id), now)
    assert not await activity.add_unanswered(asked(ann.id), now)  # Ann clicked twice
    assert await activity.add_unanswered(asked(ben.id), now)
    [question] = (await activity.unanswered())[0]
    assert (question.count, question.askers, question.nearest_entry_id) == (2, 2, 2)
    assert question.unhelpful == 2
    phrasings = activity.phrasings
    for member in (ann, ben):
        await phrasings.propose(3, "la cotisation ?", "cotisation", "fr", member.id, now)
    assert await phrasings.withdraw(3, "cotisation", ann.id)
    assert not await phrasings.withdraw(3, "cotisation", ann.id)
    [left], _ = await phrasings.pending()
    assert left.supporters == 1
    assert await phrasings.withdraw(3, "cotisation", ben.id)
    assert (await phrasings.pending())[1] == 0  # nobody backs it any more


async def test_erasing_a_member_removes_their_questions_and_votes_not_the_entries(
    app: BotApp,
) -> None:
    services, now = app.services, app.clock.now()
    await load_eval_faq(app)
    ann = await services.members.ensure(Caller("slack", "T1", "U1", "Ann"), now)
    ben = await services.members.ensure(Caller("slack", "T1", "U2", "Ben"), now)
    draft = make_draft("fr", "Où garer sa voiture au forum ?", "Parking P2, gratuit.")
    added = await services.get(FaqRepo).add(draft, ann.id, now)
    for member, text in ((ann, "code wifi ?"), (ben, "recette des crêpes")):
        question = NewQuestion(text, text, "fr", member.id, str(CHANNEL))
        await services.get(FaqRepo).activity.record_ask("unknown", None, now, unanswered=question)
    await services.get(FaqRepo).activity.give_feedback(1, ann.id, True, now)
    exported = await export_member(services, ann.id)
    assert exported is not None
    assert [q["text"] for q in exported["faq"]["unanswered_questions"]] == ["code wifi ?"]
    assert [(f["entry_id"], f["helpful"]) for f in exported["faq"]["feedback"]] == [(1, True)]
    assert [e["id"] for e in exported["faq"]["entries_written"]] == [added.id]
    assert not {t for t in exported.get("other_tables", {}) if t.startswith("faq_")}
    assert await erase_member(services, ann.id)
    found, _ = await services.get(FaqRepo).activity.unanswered()
    assert [q.text for q in found] == ["recette des crêpes"]
    assert await services.get(FaqRepo).activity.votes() == []
    entry = await services.get(FaqRepo).get(added.id)
    assert entry is not None and entry.created_by is None
    assert (await services.get(FaqRepo).activity.asks_since(now - timedelta(days=1))).unknown == 2
