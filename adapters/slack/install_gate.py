"""The OAuth install page, gated: who may install fedbot, and what an install from outside does.

Anyone can reach `/slack/install`. With `federation.require_invite`, the page needs a
single-use invite (`fedbot workspaces invite` prints the link); the token rides along in a
short-lived cookie and is spent when Slack sends the installer back. When the installation
arrives, the workspace asks to join the federation (`bot.federation`): listed or invited, it is
admitted; otherwise it is held as pending until an admin approves it, or refused, as config
says. A refused installation's token is never stored.

Which outcome an install had is carried from the installation store to the page shown after it
by an `InstallAttempt` held in a context variable: bolt calls both within our request handler.
"""

from __future__ import annotations

import html
import logging
from contextvars import ContextVar
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.response import BoltResponse

from adapters.slack.manifest import REDIRECT_PATH
from bot.clock import Clock
from bot.federation import Federation
from bot.i18n import normalise_lang, translator

log = logging.getLogger(__name__)

INVITE_COOKIE = "fedbot_invite"
INVITE_PARAM = "invite"


@dataclass
class InstallAttempt:
    """One pass through the OAuth redirect: the invite it carried, the admission it got."""

    invite: str | None
    lang: str = "fr"
    status: str | None = None  # approved, pending or refused, set by the installation store


CURRENT_ATTEMPT: ContextVar[InstallAttempt | None] = ContextVar("install_attempt", default=None)


def language(accept_language: str | None) -> str:
    first = (accept_language or "").split(",", 1)[0].strip()
    return normalise_lang(first)


def page(lang: str, key: str, status: int) -> BoltResponse:
    """A small HTML page in the visitor's language (the install page's only answers)."""
    t = translator(lang)
    body = (
        f'<!doctype html><html lang="{lang}"><meta charset="utf-8">'
        f"<title>fedbot</title><body><h1>fedbot</h1><p>{html.escape(t(key))}</p></body></html>"
    )
    return BoltResponse(
        status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"}
    )


async def _success(args: AsyncSuccessArgs) -> BoltResponse:
    attempt = CURRENT_ATTEMPT.get()
    lang = attempt.lang if attempt else "fr"
    status = attempt.status if attempt else "approved"
    if status == "refused":
        return page(lang, "slack.install_refused", 403)
    if status == "pending":
        return page(lang, "slack.install_pending", 200)
    return page(lang, "slack.install_done", 200)


async def _failure(args: AsyncFailureArgs) -> BoltResponse:
    log.warning("Slack install failed: %s", args.reason)
    attempt = CURRENT_ATTEMPT.get()
    return page(attempt.lang if attempt else "fr", "slack.install_failed", 400)


CALLBACKS = AsyncCallbackOptions(success=_success, failure=_failure)


async def install_page(
    request: web.Request, flow: AsyncOAuthFlow, federation: Federation, clock: Clock
) -> web.Response:
    """The install page; with `require_invite`, only through a valid invite link, whose token
    rides to the redirect in a short-lived cookie."""
    lang = language(request.headers.get("Accept-Language"))
    invite = request.query.get(INVITE_PARAM)
    if federation.settings.require_invite and not (
        invite and await federation.repo.invite_valid(invite, clock.now())
    ):
        return await to_aiohttp_response(page(lang, "slack.install_invite_needed", 403))
    response = await to_aiohttp_response(
        await flow.handle_installation(await to_bolt_request(request))
    )
    if invite:
        response.set_cookie(
            INVITE_COOKIE,
            invite,
            max_age=600,
            path=REDIRECT_PATH,
            httponly=True,
            samesite="Lax",
            secure=request.secure,
        )
    return response


async def oauth_redirect(request: web.Request, flow: AsyncOAuthFlow) -> web.Response:
    """Slack sends the installer back here: the invite (if any) and the admission travel to
    the installation store and the result page in an `InstallAttempt`."""
    attempt = InstallAttempt(
        invite=request.cookies.get(INVITE_COOKIE),
        lang=language(request.headers.get("Accept-Language")),
    )
    CURRENT_ATTEMPT.set(attempt)
    response = await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))
    if attempt.invite:
        response.del_cookie(INVITE_COOKIE, path=REDIRECT_PATH)
    return response
