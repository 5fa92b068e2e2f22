"""Who gets in and what they see: sign-in links, cookies, sessions, CSRF, roles, the
federation's allow-list, languages. Over HTTP, against the real server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clock import FixedClock
from bot.spec import Role
from commands.dashboard.store.sessions import digest
from commands.dashboard.store.tables import dashboard_sessions, dashboard_tokens
from tests.conftest import T0
from tests.dashboard.support import (
    EDITOR,
    MEMBER,
    MODERATOR,
    STAFF,
    client,
    console,
    link_token,
    slack_user,
    web_bot,
)

STAFF_PAGES = ("/admin/announcements", "/admin/report", "/admin/overview/events.csv")


async def test_a_visitor_without_a_session_is_sent_to_sign_in_in_french(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app, client(app) as browser:
        page = await browser.get("/admin/faq", follow=False)
        assert page.status == 303
        assert page.headers["Location"] == "/admin/signin"
        signin = await browser.get("/admin/signin")
        assert signin.status == 200 and '<html lang="fr">' in signin.text
        assert signin.has("Connexion")
        english = await browser.get("/admin/signin?lang=en")
        assert '<html lang="en">' in english.text and english.has("Sign in")


async def test_a_link_signs_in_once_with_a_safe_cookie(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app, client(app) as browser:
        token = await link_token(app, slack_user(STAFF))
        shown = await browser.get(f"/admin/link/{token}")
        assert shown.status == 200 and shown.has("Me connecter")  # a GET spends nothing
        used = await browser.post(f"/admin/link/{token}", {}, follow=False)
        assert used.status == 303 and used.headers["Location"] == "/admin/"
        cookie = used.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin" in cookie
        assert "Secure" not in cookie  # plain http on 127.0.0.1
        again = await browser.post(f"/admin/link/{token}", {})
        assert again.status == 400 and again.has("déjà servi")
        async with app.db.read() as conn:
            hashes = set((await conn.execute(select(dashboard_tokens.c.token_hash))).scalars())
            sessions = (await conn.execute(select(dashboard_sessions))).all()
        assert hashes == {digest(token)}  # the link's hash, never the link
        cookie_value = cookie.split(";")[0].split("=", 1)[1]
        assert [s.token_hash for s in sessions] == [digest(cookie_value)]


async def test_a_link_expires_after_ten_minutes(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    async with web_bot(tmp_path, clock=clock) as app, client(app) as browser:
        late, in_time = await link_token(app, console()), await link_token(app, console())
        clock.set(clock.now() + timedelta(minutes=9, seconds=59))
        assert (await browser.post(f"/admin/link/{in_time}", {})).status == 200
        clock.set(clock.now() + timedelta(seconds=2))
        assert (await browser.post(f"/admin/link/{late}", {})).status == 400


async def test_the_cookie_is_secure_behind_an_https_public_url(tmp_path: Path) -> None:
    raw = {"http": {"enabled": True, "port": 0, "public_url": "https://bot.example.org"}}
    async with web_bot(tmp_path, raw) as app, client(app) as browser:
        token = await link_token(app, console())
        used = await browser.post(f"/admin/link/{token}", {}, follow=False)
        assert "Secure" in used.headers["Set-Cookie"]


async def test_sessions_expire(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    raw = {"dashboard": {"session_hours": 2}}
    async with web_bot(tmp_path, raw, clock=clock) as app, client(app, console()) as browser:
        assert (await browser.get("/admin/me")).status == 200
        clock.set(clock.now() + timedelta(hours=2, seconds=1))
        page = await browser.get("/admin/me", follow=False)
        assert page.status == 303 and page.headers["Location"] == "/admin/signin"


async def test_a_member_sees_their_own_page_and_gets_403_elsewhere(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app, client(app, slack_user(MEMBER)) as browser:
        home = await browser.get("/admin/")
        assert home.url.endswith("/admin/me") and home.has("Mon profil")
        assert "/admin/announcements" not in home.text  # no link to what they may not open
        for path in ("/admin/faq", "/admin/events", "/admin/digests", *STAFF_PAGES):
            page = await browser.get(path)
            assert page.status == 403, path
            assert page.has("Accès refusé")


async def test_each_role_opens_the_pages_of_its_commands(tmp_path: Path) -> None:
    expected = {
        MODERATOR: {"/admin/events": 200, "/admin/digests": 200, "/admin/faq": 403,
                    "/admin/announcements": 403, "/admin/report": 403},
        EDITOR: {"/admin/faq": 200, "/admin/faq/entries": 200, "/admin/events": 403,
                 "/admin/announcements": 403},
        STAFF: {"/admin/": 200, "/admin/report": 200, "/admin/announcements": 200,
                "/admin/faq": 200, "/admin/events": 200, "/admin/matching": 200},
    }  # fmt: skip
    async with web_bot(tmp_path) as app:
        for user, pages in expected.items():
            async with client(app, slack_user(user)) as browser:
                found = {path: (await browser.get(path)).status for path in pages}
                assert found == pages, user


async def test_a_console_link_carries_the_operators_role(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        async with client(app, console(Role.MODERATOR)) as browser:
            assert (await browser.get("/admin/events")).status == 200
            assert (await browser.get("/admin/announcements")).status == 403
        async with client(app, console(Role.STAFF)) as browser:
            assert (await browser.get("/admin/announcements")).status == 200


async def test_a_form_without_its_csrf_token_is_refused(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app, client(app, slack_user(STAFF)) as browser:
        for form in ({"lang": "en"}, {"lang": "en", "csrf": "forged"}):
            refused = await browser.post("/admin/lang", form)
            assert refused.status == 403 and refused.has("Accès refusé")
        assert (await browser.get("/admin/me")).has("Mon profil")  # nothing changed
        switched = await browser.submit(
            "/admin/me", "/admin/lang", {"lang": "en", "next": "/admin/me"}
        )
        assert switched.status == 200 and switched.has("My profile")


async def test_a_stranger_gets_no_session_and_no_member_row(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app, client(app) as browser:
        token = await link_token(app, slack_user("U0STRANGE", workspace="T9STRANGER"))
        page = await browser.post(f"/admin/link/{token}", {})
        assert page.status == 403 and page.has("n'appartient à aucun espace de la fédération")
        assert await app.services.members.find("slack", "T9STRANGER", "U0STRANGE") is None
        assert (await browser.get("/admin/me", follow=False)).status == 303


async def test_a_workspace_revoked_signs_its_people_out_at_once(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app:
        federation = app.services.federation
        await federation.approve("slack", "T0APPROVED", app.clock.now())
        async with client(app, slack_user(MEMBER, workspace="T0APPROVED")) as browser:
            assert (await browser.get("/admin/me")).status == 200
            await federation.revoke("slack", "T0APPROVED", app.clock.now())
            assert (await browser.get("/admin/me")).status == 403
            await federation.approve("slack", "T0APPROVED", app.clock.now())
            assert (await browser.get("/admin/me", follow=False)).status == 303  # signed out


async def test_signing_out_ends_the_session(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app, client(app, console()) as browser:
        out = await browser.submit("/admin/me", "/admin/signout", {})
        assert out.url.endswith("/admin/signin?lang=fr")
        assert (await browser.get("/admin/me", follow=False)).status == 303
        async with app.db.read() as conn:
            assert (await conn.execute(select(dashboard_sessions))).all() == []


async def test_pages_carry_the_security_headers(tmp_path: Path) -> None:
    async with web_bot(tmp_path) as app, client(app, console()) as browser:
        for path in ("/admin/signin", "/admin/me", "/admin/nowhere"):
            page = await browser.get(path)
            csp = page.headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "script-src 'self'" in csp, path
            assert page.headers["X-Frame-Options"] == "DENY"
            assert page.headers["Referrer-Policy"] == "same-origin"
            assert page.headers["Cache-Control"] == "no-store"
        assert (await browser.get("/admin/nowhere")).status == 404


async def test_the_dashboard_can_be_switched_off(tmp_path: Path) -> None:
    async with web_bot(tmp_path, {"dashboard": {"enabled": False}}) as app, client(app) as browser:
        assert (await browser.get("/admin/signin")).status == 404
        assert (await browser.get("/calendar/all.ics")).status == 200  # the rest still serves
