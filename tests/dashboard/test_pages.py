"""The pages' actions, over HTTP: each runs the chat command through the dispatcher, so the
same checks and messages apply, and what the page shows next is what the store holds."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.app import BotApp
from bot.identity import Caller, ChannelRef, Place
from commands.announce.store.announcements import AnnouncementRepo, State
from commands.announce.store.reports import AnnounceReports
from commands.digest.store.digests import DigestRepo
from commands.events.store.events import EventRepo
from commands.faq.store.entries import FaqRepo
from commands.faq.store.reports import FaqReports
from tests.announce_support import Recorder
from tests.dashboard.support import (
    EDITOR,
    MEMBER,
    MODERATOR,
    STAFF,
    Client,
    client,
    slack_user,
    web_bot,
)

WHERE = Place(ChannelRef("slack", "T1", "C0ENTRAIDE"))


async def ask(app: BotApp, user: str, question: str) -> None:
    caller = Caller("slack", "T1", user, user.title(), "fr")
    reply = await app.dispatcher.handle_text(caller, WHERE, f"/faq ask {question}")
    assert reply is not None and not reply.is_error


async def unanswered(app: BotApp) -> list[str]:
    found, _ = await app.services.get(FaqReports).queue(0, 50)
    return [q.text for q in found]


async def act_on_first_question(browser: Client, route: str, data: dict[str, str]) -> str:
    page = await browser.get("/admin/faq")
    question_id = page.text.split('id="q', 1)[1].split('"', 1)[0]
    done = await browser.post(
        f"/admin/faq/questions/{question_id}/{route}", {"csrf": page.csrf, **data}
    )
    assert done.status == 200 and done.url.endswith("/admin/faq?page=1")
    return done.text


async def test_an_editor_promotes_an_unanswered_question_to_an_entry(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        await app.load_demo()
        for user in ("U0ASKER01", "U0ASKER02"):
            await ask(app, user, "où garer mon vélo au congrès de Tours ?")
        async with client(app, slack_user(EDITOR)) as browser:
            queue = await browser.get("/admin/faq")
            assert queue.has("où garer mon vélo au congrès de Tours ?")
            assert queue.has("2 personnes") and queue.has("posée 2 fois")
            text = await act_on_first_question(
                browser, "promote", {"answer": "Un parking vélo est devant l'entrée.", "lang": "fr"}
            )
            assert "créée" in text or "ajoutée" in text
        assert await unanswered(app) == []
        faq = app.services.get(FaqRepo)
        entry = next(e for e in await faq.all() if "vélo" in e.draft.question)
        assert entry.draft.answer == "Un parking vélo est devant l'entrée."


async def test_a_question_becomes_a_variant_or_is_dismissed(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        await app.load_demo()
        await ask(app, "U0ASKER01", "xylophone quantique pour le congrès")
        faq = app.services.get(FaqRepo)
        target = (await faq.all())[0]
        async with client(app, slack_user(EDITOR)) as browser:
            await act_on_first_question(browser, "promote", {"variant_of": str(target.id)})
            assert (
                "xylophone quantique pour le congrès" in (await faq.get(target.id)).draft.variants
            )
            await ask(app, "U0ASKER01", "kangourou violet du mardi")
            text = await act_on_first_question(browser, "dismiss", {})
            assert "écartée" in text or "retirée" in text or "supprimée" in text
        assert await unanswered(app) == []


async def test_a_wrong_entry_number_is_said_and_changes_nothing(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        await app.load_demo()
        await ask(app, "U0ASKER01", "question orpheline sur le stationnement")
        async with client(app, slack_user(EDITOR)) as browser:
            text = await act_on_first_question(browser, "promote", {"variant_of": "999"})
            assert 'class="notice error"' in text and "999" in text
        assert await unanswered(app) == ["question orpheline sur le stationnement"]


async def test_an_entry_is_edited_variants_added_and_removed(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        await app.load_demo()
        faq = app.services.get(FaqRepo)
        entry = next(e for e in await faq.all() if e.draft.variants)
        kept = entry.draft.variants[1:]
        async with client(app, slack_user(EDITOR)) as browser:
            page = await browser.get(f"/admin/faq/entries/{entry.id}")
            assert page.has(entry.draft.question)
            form = {
                "csrf": page.csrf,
                "question": entry.draft.question,
                "answer": "Une réponse revue.",
                "tags": ", ".join(entry.draft.tags),
                "remove_variant": "1",
                "add_variants": "nouvelle façon de demander\nune autre encore",
            }
            done = await browser.post(f"/admin/faq/entries/{entry.id}", form)
            assert done.status == 200 and 'class="notice ok"' in done.text
        edited = (await faq.get(entry.id)).draft
        assert edited.answer == "Une réponse revue."
        assert edited.variants == (*kept, "nouvelle façon de demander", "une autre encore")
        entries = await browser_page(app, "/admin/faq/entries")
        assert "Utile" in entries


async def browser_page(app: BotApp, path: str) -> str:
    async with client(app, slack_user(STAFF)) as browser:
        page = await browser.get(path)
        assert page.status == 200
        return page.text


async def test_digests_are_listed_previewed_paused_and_resumed(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        await app.load_demo()
        (digest,), _ = await app.services.get(DigestRepo).first(5)
        async with client(app, slack_user(MODERATOR)) as browser:  # Nantes' moderator
            page = await browser.get("/admin/digests")
            assert page.has("tous les lundis à 9\u00a0h") and page.has(
                "Nantes Métropole Développement"
            )
            preview = await browser.get(f"/admin/digests/{digest.id}/preview")
            assert preview.has("La semaine de Nantes Métropole Développement")
            form = {"csrf": page.csrf, "action": "digest.pause", "value": f"id={digest.id}",
                    "next": "/admin/digests"}  # fmt: skip
            paused = await browser.post("/admin/act", form)
            assert paused.url.endswith("/admin/digests") and paused.has("en pause")
            assert (await app.services.get(DigestRepo).get(digest.id)).paused
            form["action"] = "digest.resume"
            await browser.post("/admin/act", form)
            assert not (await app.services.get(DigestRepo).get(digest.id)).paused


async def test_a_moderator_sees_their_agencys_attendees_only(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        await app.load_demo()
        events = app.services.get(EventRepo)
        ours = await events.by_source("demo:nuit-numerique-tpe")  # Nantes
        theirs = await events.by_source("demo:hackathon-territoires")  # Bordeaux
        async with client(app, slack_user(MODERATOR)) as browser:
            month = ours.starts_at.strftime("%Y-%m")
            calendar = await browser.get(f"/admin/events?month={month}")
            assert calendar.has(ours.title) and calendar.has("/calendar/all.ics")
            page = await browser.get(f"/admin/events/{ours.id}")
            assert page.has("Viennent (2)") and page.has("Camille")
            assert page.has(f"/calendar/event/{ours.id}.ics")
            other = await browser.get(f"/admin/events/{theirs.id}")
            assert other.status == 200 and other.has("Seuls les organisateurs")
            assert not other.has("Viennent (")


async def test_staff_compose_confirm_and_follow_an_announcement(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        await app.load_demo()
        console = Recorder(platform="console")  # the demo agencies' channels, as a platform
        app.outbound.register(console)
        async with client(app, slack_user(STAFF)) as browser:
            form = await browser.get("/admin/announcements/new")
            text = "Réunion des directeurs le 12 : ordre du jour en ligne."
            wrong = await browser.post(
                "/admin/announcements/new",
                {"csrf": form.csrf, "to": "region", "target": "Atlantide", "text": text},
            )
            assert wrong.status == 400 and wrong.has("Atlantide") and wrong.has(text)
            preview = await browser.post(
                "/admin/announcements/new",
                {"csrf": form.csrf, "to": "all", "title": "Directeurs", "text": text},
            )
            assert preview.has("Confirmer l'envoi") and preview.has("Sur Slack")
            assert preview.has("Sur Discord") and preview.has(text)
            ann = (await app.services.get(AnnouncementRepo).in_state(State.DRAFT))[-1]
            confirm = {"csrf": form.csrf, "action": "announce.confirm", "value": f"id={ann.id}",
                       "next": f"/admin/announcements/{ann.id}"}  # fmt: skip
            status = await browser.post("/admin/act", confirm)
            assert status.url.endswith(f"/admin/announcements/{ann.id}")
            reports = app.services.get(AnnounceReports)
            for _ in range(200):  # the courier sends in the background
                if [c.state for c in await reports.copies(ann.id)] == ["sent"] * 5:
                    break
                await asyncio.sleep(0.05)
            assert len(console.sent) == 5
            page = await browser.get(f"/admin/announcements/{ann.id}")
            assert page.has("remise partout") and page.text.count('data-state="sent"') == 5
            nothing = await browser.post(
                f"/admin/announcements/{ann.id}/retry", {"csrf": form.csrf}
            )
            assert 'class="notice error"' in nothing.text
            unconfirmed = await browser.post(
                f"/admin/announcements/{ann.id}/withdraw", {"csrf": form.csrf}
            )
            assert unconfirmed.has("Cochez la case")
            assert (await app.services.get(AnnouncementRepo).get(ann.id)).state == State.DONE
            await browser.post(
                f"/admin/announcements/{ann.id}/withdraw", {"csrf": form.csrf, "confirm": "yes"}
            )
            assert (await app.services.get(AnnouncementRepo).get(ann.id)).state == State.WITHDRAWN


async def test_only_its_author_confirms_a_draft(tmp_path: Path) -> None:
    raw = {"roles": {"staff": [f"slack:T1:{STAFF}", "slack:T1:U0STAFF02"]}}
    async with web_bot(tmp_path, raw) as app:
        await app.load_demo()
        async with client(app, slack_user(STAFF)) as author:
            form = await author.get("/admin/announcements/new")
            await author.post(
                "/admin/announcements/new", {"csrf": form.csrf, "to": "all", "text": "Texte"}
            )
        ann = (await app.services.get(AnnouncementRepo).in_state(State.DRAFT))[-1]
        async with client(app, slack_user("U0STAFF02")) as other:
            page = await other.get(f"/admin/announcements/{ann.id}")
            form = {"csrf": page.csrf, "action": "announce.confirm", "value": f"id={ann.id}"}
            done = await other.post("/admin/act", {**form, "next": "/admin/"})
            assert 'class="notice error"' in done.text
        assert (await app.services.get(AnnouncementRepo).get(ann.id)).state == State.DRAFT


async def test_a_member_exports_and_erases_their_data(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app, client(app, slack_user(MEMBER)) as browser:
        page = await browser.get("/admin/me")
        assert page.has("Télécharger mes données") and page.has(f"slack:T1:{MEMBER}")
        export = await browser.get("/admin/me/export")
        data = json.loads(export.text)
        assert data["schema"] == "fedbot-personal-data"
        (identity,) = data["identities"]  # the same document as `profile export`
        assert identity["member"]["user_id"] == MEMBER
        assert len(identity["dashboard"]["sessions"]) == 1
        assert "token" not in export.text and page.csrf not in export.text
        refused = await browser.post("/admin/me/erase", {"csrf": page.csrf})
        assert refused.has("Cochez la case")
        assert await app.services.members.find("slack", "T1", MEMBER) is not None
        gone = await browser.post("/admin/me/erase", {"csrf": page.csrf, "confirm": "yes"})
        assert gone.has("Vos données ont été effacées")
        assert await app.services.members.find("slack", "T1", MEMBER) is None
        assert (await browser.get("/admin/me", follow=False)).status == 303
