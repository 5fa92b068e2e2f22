"""Bolt's endpoints on the bot's one web server, which HTTP mode and OAuth need.

They are added before the server starts (its routes are fixed then) and answer 503 until the
adapter has built its bolt app. Slack's signed requests are never rate-limited: refusing Slack
would drop a user's command; the install pages, for anyone's browser, are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from adapters.slack import manifest
from adapters.slack.install_gate import install_page, oauth_redirect
from bot.app import BotApp

log = logging.getLogger(__name__)

# Slack refuses requests whose timestamp is more than 5 minutes off: a signature seen within
# that window again is a replay.
SIGNATURE_TTL = timedelta(minutes=5)


class SlackEndpoints:
    def __init__(
        self, app: BotApp, bolt: Callable[[], AsyncApp | None], *, events: bool, install: bool
    ) -> None:
        """`events`: Slack's requests (HTTP mode); `install`: the install pages (OAuth);
        `bolt`: the adapter's bolt app, None until it has started."""
        self.app = app
        self.bolt = bolt
        self.verifier: SignatureVerifier | None = None
        if events:
            self.verifier = SignatureVerifier(app.config.secrets.slack_signing_secret or "")
            app.web.app.router.add_post(manifest.EVENTS_PATH, self._events)
        if install:  # pages for anyone's browser: rate-limited per client
            app.web.add_get(manifest.INSTALL_PATH, self._install, public=True)
            app.web.add_get(manifest.REDIRECT_PATH, self._redirect, public=True)

    async def _events(self, request: web.Request) -> web.Response:
        """Signed requests only, each once (a request replayed within Slack's 5 minutes is
        refused like a forged one), checked here alone: bolt's own check is off."""
        bolt = self.bolt()
        if bolt is None or self.verifier is None:
            return _not_started()
        body = await request.text()
        signature = request.headers.get("X-Slack-Signature", "")
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not _signed(self.verifier, body, timestamp, signature):
            log.warning("Slack request with a bad or stale signature: refused")
            return web.Response(status=401, text="")
        key = f"slack:sig:{signature}"
        deliveries = self.app.services.deliveries
        if not await deliveries.first(key, self.app.clock.now(), SIGNATURE_TTL):
            log.warning("Slack request replayed (signature seen before): refused")
            return web.Response(status=401, text="")
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def _install(self, request: web.Request) -> web.Response:
        bolt = self.bolt()
        if bolt is None or bolt.oauth_flow is None:
            return _not_started()
        federation = self.app.services.federation
        return await install_page(request, bolt.oauth_flow, federation, self.app.clock)

    async def _redirect(self, request: web.Request) -> web.Response:
        bolt = self.bolt()
        if bolt is None or bolt.oauth_flow is None:
            return _not_started()
        return await oauth_redirect(request, bolt.oauth_flow)


def _not_started() -> web.Response:
    return web.Response(status=503, text="starting")


def _signed(verifier: SignatureVerifier, body: str, timestamp: str, signature: str) -> bool:
    try:
        return verifier.is_valid(body, timestamp, signature)
    except ValueError:  # a timestamp that is not a number
        return False
