"""The overview's figures are the federation's: a month of activity made with the chat
commands, then the charts' tables, the CSV files and the printable report read back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import BotApp
from bot.identity import Caller, ChannelRef, Place
from commands.announce.store.reports import AnnounceReports
from commands.match.store.matching import MatchingRepo
from tests.announce_support import Recorder
from tests.dashboard.support import NANTES, STAFF, client, slack_user, web_bot

RENNES = "Rennes Atalante"
NANTES_CHANNEL = Place(ChannelRef("console", "local", "nantes"))
MONTH = "from=2026-11-01&to=2026-11-30"


def person(user: str) -> Caller:
    return Caller("slack", "T1", user, user.title(), "fr")


async def say(app: BotApp, user: str, line: str, place: Place = NANTES_CHANNEL) -> str:
    reply = await app.dispatcher.handle_text(person(user), place, line)
    assert reply is not None and not reply.is_error, reply and reply.message.plain_text()
    return reply.message.plain_text()


async def a_month_of_activity(app: BotApp) -> None:
    app.outbound.register(Recorder(platform="console"))  # the agencies' channels
    for user, agency in (("U0NANTES1", NANTES), ("U0NANTES2", NANTES), ("U0RENNES1", RENNES)):
        await say(app, user, f'/profile set agency:"{agency}"')
    created = await say(
        app, STAFF, f'/event create "Atelier export" "27/11 18h" agency:"{NANTES}" capacity:4'
    )
    event_id = int(created.split("n° ", 1)[1].split()[0].strip(" :."))
    for user in ("U0NANTES1", "U0NANTES2", "U0RENNES1"):
        await say(app, user, f"/event rsvp {event_id} going")
    preview = await app.dispatcher.handle_text(
        person(STAFF), NANTES_CHANNEL, "/announce send all Bonjour"
    )
    confirm = next(b for b in preview.message.buttons if b.action == "announce.confirm")
    await app.dispatcher.handle_action(person(STAFF), NANTES_CHANNEL, confirm.action, confirm.value)
    for _ in range(100):  # the courier sends in the background
        if all(c.state == "sent" for c in await app.services.get(AnnounceReports).copies(1)):
            break
        await asyncio.sleep(0.05)
    await say(app, "U0NANTES1", "/announce ack 1")
    await say(app, "U0RENNES1", "/faq ask xylophone quantique ?")
    members = app.services.members
    a = await members.find("slack", "T1", "U0NANTES2")
    b = await members.find("slack", "T1", "U0RENNES1")
    await app.services.get(MatchingRepo).record_introduction(a.id, b.id, app.clock.now())


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_the_overview_counts_what_happened(tmp_path: Path, engine: str) -> None:
    async with web_bot(tmp_path, engine=engine) as app:
        await a_month_of_activity(app)
        async with client(app, slack_user(STAFF)) as browser:
            page = await browser.get(f"/admin/?{MONTH}")
            assert page.status == 200 and page.text.count("<svg") >= 6
            assert page.has("Du 1 novembre 2026 au 30 novembre 2026")
            events = await browser.get(f"/admin/overview/events.csv?{MONTH}")
            assert events.headers["Content-Disposition"].startswith("attachment;")
            rows = events.text.lstrip("\ufeff").splitlines()
            assert rows == [
                "agence;événements;inscriptions",
                f"{RENNES};0;0",
                f"{NANTES};1;3",
            ]  # Bretagne before Pays de la Loire: by region, then name
            fill = await browser.get(f"/admin/overview/attendance.csv?{MONTH}")
            assert fill.text.lstrip("\ufeff").splitlines()[2] == f"{NANTES};75,0"
            reach = await browser.get(f"/admin/overview/announcements.csv?{MONTH}")
            assert reach.text.lstrip("\ufeff").splitlines()[1:] == [
                f"{RENNES};1;0",
                f"{NANTES};1;1",
            ]
            members = await browser.get(f"/admin/overview/members.csv?{MONTH}")
            assert members.text.lstrip("\ufeff").splitlines()[1:] == [
                f"{RENNES};1;1",
                f"{NANTES};2;2",
            ]
            intros = await browser.get(f"/admin/overview/introductions.csv?{MONTH}")
            assert intros.text.lstrip("\ufeff").splitlines()[1:] == [
                f"{RENNES};1;1;0",
                f"{NANTES};1;1;0",
            ]
            unanswered = await browser.get(f"/admin/overview/unanswered.csv?{MONTH}")
            assert unanswered.text.lstrip("\ufeff").splitlines()[1:] == [
                f"{RENNES};0;0",
                f"{NANTES};1;1",
            ]
            regions = await browser.get(f"/admin/overview/events.csv?{MONTH}&group=region")
            assert regions.text.lstrip("\ufeff").splitlines()[1:] == [
                "Bretagne;0;0",
                "Pays de la Loire;1;3",
            ]


async def test_a_csv_follows_the_readers_language(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        await a_month_of_activity(app)
        async with client(app, slack_user(STAFF)) as browser:
            await browser.submit("/admin/me", "/admin/lang", {"lang": "en"})
            fill = await browser.get(f"/admin/overview/attendance.csv?{MONTH}")
            assert fill.text.lstrip("\ufeff").splitlines() == [
                "agency,fill rate",
                f"{RENNES},0.0",
                f"{NANTES},75.0",
            ]
            faq = await browser.get(f"/admin/overview/faq.csv?{MONTH}")
            header, *weeks = faq.text.lstrip("\ufeff").splitlines()
            assert header == "period,answered,suggestions,unanswered"
            # Weeks from Monday: the first is the month's part of the week of Oct 26.
            assert [w.split(",")[0] for w in weeks] == [
                "Nov 1", "Nov 2", "Nov 9", "Nov 16", "Nov 23", "Nov 30"
            ]  # fmt: skip
            assert sum(int(w.split(",")[-1]) for w in weeks) == 1


async def test_a_period_typed_wrong_is_said_and_the_form_kept(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app, client(app, slack_user(STAFF)) as browser:
        page = await browser.get("/admin/?from=2026-12-01&to=2026-11-01")
        assert page.status == 400 and page.has("La fin de la période est avant son début")
        bad = await browser.get("/admin/?from=bientôt")
        assert bad.status == 400 and bad.has("«\u00a0bientôt\u00a0» illisible")


async def test_the_monthly_report_prints_every_chart_with_its_table(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        await a_month_of_activity(app)
        async with client(app, slack_user(STAFF)) as browser:
            report = await browser.get("/admin/report?month=2026-11")
            assert report.has("Rapport d'impact — novembre 2026")
            assert report.text.count("<svg") == report.text.count("<table>") >= 7
            assert "<details>" not in report.text  # tables shown, so they print
            assert report.has("Pays de la Loire")  # by region by default
            css = await browser.get("/admin/static/dashboard.css")
            assert "@media print" in css.text and "@page" in css.text
