"""The dashboard in a real browser (headless Chromium through Playwright): sign in with a link,
read the overview's charts, compose and follow an announcement to "delivered" on the fake Slack
and Discord, promote an unanswered question, and be refused: a member on staff pages, a form
without its CSRF token. Every page visited is screenshotted into tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

from bot.clock import FixedClock
from bot.identity import Caller, ChannelRef, Place
from bot.spec import Role
from commands.announce.store.reports import AnnounceReports
from commands.faq.store.entries import FaqRepo
from tests.announce_wire import STAFF, TEAM, Network, running, seed, slack_id
from tests.conftest import T0
from tests.dashboard.browser import chromium, shot
from tests.dashboard.dataset import Sizes, populate
from tests.dashboard.support import EDITOR, MEMBER, console, link_token, slack_user, web_bot
from tests.fakes.slack_server import DEFAULT_TEAM_ID

NOW = T0  # a Thursday in November 2026


async def sign_in(page, app, who) -> None:  # type: ignore[no-untyped-def]
    token = await link_token(app, who)
    await page.goto(f"{app.web.base_url}/admin/link/{token}")
    await page.get_by_role("button", name=re.compile("Me connecter|Sign me in")).click()
    await page.wait_for_load_state()


async def test_sign_in_with_a_link_and_read_the_overview(tmp_path: Path) -> None:
    async with web_bot(tmp_path, clock=FixedClock(NOW)) as app:
        await populate(app, NOW, Sizes())
        await app.services.get(FaqRepo).load()
        base = app.web.base_url
        async with chromium() as page:
            await page.goto(f"{base}/admin/signin")
            await shot(page, "signin", full_page=False)
            await sign_in(page, app, console())
            await page.goto(f"{base}/admin/?from=2026-09-01&to=2026-11-26")
            assert await page.title() == "Vue d'ensemble — fedbot"
            charts = page.locator("svg.chart")
            assert await charts.count() == 7
            assert await page.locator("svg.chart rect").count() > 100
            await shot(page, "overview")
            await shot(page, "overview-top", docs=True, full_page=False)
            await page.keyboard.press("Tab")  # the first stop: skip to the content
            assert await page.evaluate("document.activeElement.className") == "skip"
            await page.keyboard.press("Enter")
            assert await page.evaluate("document.activeElement.id") == "main"
            table = page.locator("#events details")
            await table.locator("summary").click()
            assert await table.locator("tbody tr").count() == 14  # 12 + the 2 configured
            csv = page.locator("#events a[download]")
            assert "/admin/overview/events.csv?" in (await csv.get_attribute("href") or "")
            for name, path in (
                ("faq-queue", "/admin/faq"),
                ("faq-entries", "/admin/faq/entries"),
                ("events", "/admin/events?month=2026-11"),
                ("digests", "/admin/digests"),
                ("matching", "/admin/matching"),
                ("announcements", "/admin/announcements"),
                ("me", "/admin/me"),
            ):
                response = await page.goto(f"{base}{path}")
                assert response is not None and response.status == 200, path
                await shot(page, name, docs=name in ("faq-queue", "events"), full_page=False)
            await page.goto(f"{base}/admin/report?month=2026-10")
            await page.emulate_media(media="print")
            assert not await page.locator("header.top").is_visible()  # the print stylesheet
            await shot(page, "report-print")
        async with chromium(width=390, height=844) as phone:  # readable on a phone
            await sign_in(phone, app, console())
            await phone.goto(f"{base}/admin/events?month=2026-11")
            width = await phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390
            await shot(phone, "phone-events", docs=True, full_page=False)
            await phone.goto(f"{base}/admin/?from=2026-09-01&to=2026-11-26")
            await shot(phone, "phone-overview", full_page=False)


async def test_compose_confirm_and_follow_an_announcement_to_delivered(tmp_path: Path) -> None:
    net = Network(agencies=3)
    async with net.slack, net.discord:
        net.slack.add_user(STAFF, name="sam", display_name="Sam", locale="fr-FR")
        async with running(tmp_path, net) as app:  # Slack's HTTP mode serves the web
            await seed(app, net)  # 3 agencies, each with a Slack and a Discord channel
            staff = Caller("slack", DEFAULT_TEAM_ID, STAFF, "Sam Martin", "fr")
            await app.services.members.ensure(staff, app.clock.now())  # as chat made it
            async with chromium() as page:
                await sign_in(page, app, slack_user(STAFF, workspace=DEFAULT_TEAM_ID))
                await page.get_by_role("link", name="Annonces").first.click()
                await page.get_by_role("link", name="Nouvelle annonce").click()
                await page.get_by_label("toutes les agences").check()
                await page.get_by_label("Titre (facultatif)").fill("Appel à projets 2027")
                await page.get_by_label("Texte de l'annonce").fill(
                    "Appel à projets 2027 : le dossier est en ligne. @everyone"
                )
                await shot(page, "compose", full_page=False)
                await page.get_by_role("button", name="Voir l'aperçu").click()
                await page.get_by_text("Sur Discord").wait_for()
                assert await page.get_by_text("6 salons").count() >= 1  # 3 Slack, 3 Discord
                await shot(page, "preview", docs=True)
                await page.get_by_role("button", name="Confirmer l'envoi").click()
                await page.get_by_text("remise partout").wait_for(timeout=30_000)  # live, by JS
                rows = page.locator("#copies tbody tr")
                assert await rows.count() == 6
                assert await page.locator("#copies .copy-sent").count() == 6
                await shot(page, "status", docs=True)
                assert net.delivered() == 6
                (copy,) = [c for c in await app.services.get(AnnounceReports).copies(1)
                           if c.ref.channel_id == slack_id(0)]  # fmt: skip
                clicker = Caller("slack", TEAM, "U0CLICK01", "Clic", "fr")
                place = Place(ChannelRef("slack", TEAM, slack_id(0)))
                await app.dispatcher.handle_action(clicker, place, "announce.ack", "id=1")
                await page.reload()
                row = page.locator("#copies tbody tr", has_text=copy.agency_name).first
                assert await row.get_by_text("Bien reçu").count() == 1


async def test_an_editor_promotes_an_unanswered_question(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        await app.load_demo()
        caller = Caller("slack", "T1", "U0ASKER01", "Asker", "fr")
        where = Place(ChannelRef("console", "local", "nantes"))
        await app.dispatcher.handle_text(caller, where, "/faq ask où garer mon vélo au congrès ?")
        async with chromium() as page:
            await sign_in(page, app, slack_user(EDITOR))
            await page.goto(f"{app.web.base_url}/admin/faq")
            card = page.locator("article.question", has_text="où garer mon vélo au congrès ?")
            await card.get_by_text("Traiter cette question").click()
            await card.get_by_label("Réponse").fill("Un parking vélo est devant l'entrée.")
            await shot(page, "faq-promote")
            await card.get_by_role("button", name="Créer l'entrée").click()
            await page.locator(".notice.ok").wait_for()
            assert await page.locator("article.question").count() == 0
            await shot(page, "faq-promoted", full_page=False)
        entries = await app.services.get(FaqRepo).all()
        assert any(e.draft.answer == "Un parking vélo est devant l'entrée." for e in entries)


async def test_a_member_gets_403_on_staff_pages(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        async with chromium() as page:
            await sign_in(page, app, slack_user(MEMBER))
            assert page.url.endswith("/admin/me")
            assert await page.get_by_role("link", name="Annonces").count() == 0
            for path in ("/admin/", "/admin/announcements/new", "/admin/faq", "/admin/report"):
                response = await page.goto(f"{app.web.base_url}{path}")
                assert response is not None
                expected = 200 if path == "/admin/" else 403  # home: their own page
                assert response.status == expected, path
            assert await page.get_by_role("heading", name="Accès refusé").count() == 1
            await shot(page, "forbidden", full_page=False)


async def test_a_form_without_its_csrf_token_is_refused(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        async with chromium() as page:
            await sign_in(page, app, slack_user(MEMBER))
            form = page.locator("form.danger-zone")
            await form.locator("input[name=csrf]").evaluate("input => input.remove()")
            await form.get_by_label("Oui, effacer toutes mes données").check()
            async with page.expect_response(re.compile("/admin/me/erase")) as answer:
                await form.get_by_role("button", name="Effacer mes données").click()
            assert (await answer.value).status == 403
            assert await page.get_by_role("heading", name="Accès refusé").count() == 1
            await shot(page, "csrf-refused", full_page=False)
        assert await app.services.members.find("slack", "T1", MEMBER) is not None


async def test_english_and_the_role_of_a_console_link(tmp_path: Path) -> None:
    async with web_bot(tmp_path, clock=FixedClock(NOW)) as app:
        async with chromium(locale="en-GB") as page:
            await sign_in(page, app, console(Role.MODERATOR))
            await page.get_by_role("button", name="English").click()
            await page.get_by_role("link", name="Events").wait_for()
            assert await page.get_by_role("link", name="Announcements").count() == 0
            assert await page.locator("html").get_attribute("lang") == "en"
