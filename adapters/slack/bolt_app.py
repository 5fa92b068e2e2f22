"""The bolt `AsyncApp` the Slack adapter runs: one client aimed at `api_base_url`, acks that
carry the reply (`process_before_response`), and, with OAuth, the installation store, the
gated install pages and token rotation."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.logger import get_bolt_logger
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import manifest
from adapters.slack.install_gate import CALLBACKS
from adapters.slack.installations import InstallationStore
from adapters.slack.oauth_state import SignedStateStore
from bot.clock import Clock
from bot.config import Config
from bot.i18n import translator
from bot.storage.database import Database

log = logging.getLogger(__name__)


def token_rotator(config: Config) -> AsyncTokenRotator:
    """Renews rotating tokens (Slack's token rotation) through our own API base URL."""
    secrets = config.secrets
    return AsyncTokenRotator(
        client_id=secrets.slack_client_id or "",
        client_secret=secrets.slack_client_secret or "",
        client=AsyncWebClient(base_url=config.slack.api_base_url),
    )


def _authorize(config: Config, store: InstallationStore) -> AsyncInstallationStoreAuthorize:
    """auth.test once per token, not once per command; a rotating token is renewed before it
    expires (bolt calls our rotator, which talks to `api_base_url`, not slack.com)."""
    secrets = config.secrets
    authorize = AsyncInstallationStoreAuthorize(
        logger=log,
        installation_store=store,
        client_id=secrets.slack_client_id,
        client_secret=secrets.slack_client_secret,
        bot_only=True,
        cache_enabled=True,
    )
    authorize.token_rotator = token_rotator(config)
    return authorize


def build_bolt(
    config: Config, store: InstallationStore | None, db: Database, clock: Clock
) -> AsyncApp:
    secrets, settings = config.secrets, config.slack
    t = translator(config.bot.default_locale)
    token = None if store is not None else secrets.slack_bot_token
    options: dict[str, Any] = {
        "name": "fedbot",
        # only client=, never token= as well: the client carries token and base URL
        "client": AsyncWebClient(token=token, base_url=settings.api_base_url),
        "signing_secret": secrets.slack_signing_secret or "",
        # HTTP requests reach bolt only through the adapter, which has checked the signature
        # (and recorded it against replays); Socket Mode envelopes are not signed.
        "request_verification_enabled": False,
        "process_before_response": True,
        "user_facing_authorize_error_message": t("slack.not_installed"),
    }
    if store is not None:
        public = config.http.public_url.rstrip("/")
        options |= {
            "installation_store": store,
            "installation_store_bot_only": True,
            "authorize": _authorize(config, store),
            "oauth_settings": AsyncOAuthSettings(
                client_id=secrets.slack_client_id,
                client_secret=secrets.slack_client_secret,
                scopes=manifest.bot_scopes(settings),
                user_scopes=[],
                redirect_uri=public + manifest.REDIRECT_PATH if public else None,
                install_path=manifest.INSTALL_PATH,
                redirect_uri_path=manifest.REDIRECT_PATH,
                installation_store=store,
                installation_store_bot_only=True,
                state_store=SignedStateStore(db, clock, secrets.slack_client_secret or ""),
                callback_options=CALLBACKS,
            ),
        }
    _quiet_token_warning()
    return AsyncApp(**options)


def _quiet_token_warning() -> None:
    """Bolt reads SLACK_BOT_TOKEN from the environment even when given a client, then warns at
    every start that the token "will be unused": it is in use, through our client. Only that
    line is dropped; bolt's other warnings still reach the log."""
    logger = get_bolt_logger(AsyncApp)
    if not any(isinstance(f, _TokenUnused) for f in logger.filters):
        logger.addFilter(_TokenUnused())


class _TokenUnused(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()
