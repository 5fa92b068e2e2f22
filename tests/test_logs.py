"""JSON logs (`--log-format json`, `bot.log_format`): one object per line, secrets still
redacted, and the ids that tie a line to what a member saw (the command id is the reference
an internal error shows) and to the platform request it came from."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.context import CommandContext
from bot.logs import command_context, log_handler, request_context
from bot.messages import Reply
from bot.spec import CommandSpec, L10n
from tests.discord_harness import fake_discord, running_bot
from tests.fakes.slack_server import FakeSlack
from tests.slack_harness import ALICE, add_people, slack_bot


@contextmanager
def json_logs(secrets: tuple[str, ...] = ()) -> Iterator[io.StringIO]:
    """The handler `fedbot` installs, in JSON, on the root logger for the test's duration."""
    out = io.StringIO()
    handler = log_handler(secrets, out, "json")
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def events(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]  # one object per line


async def _broken(ctx: CommandContext) -> Reply:
    raise RuntimeError(f"failed for token {ctx.services.config.secrets.slack_bot_token}")


BROKEN = CommandSpec(("explode",), L10n("Casse", "Breaks"), _broken)


def test_each_record_is_one_json_object_with_its_ids_and_no_secret() -> None:
    log = logging.getLogger("tests.logs")
    with json_logs(("s3cret-value-42",)) as out:
        log.info("plain")
        with request_context("slack:Ev1"), command_context("c0ffee01"):
            log.warning("token s3cret-value-42 and xoxb-1234-5678-abcdefgh\nsecond line")
            try:
                raise ValueError("s3cret-value-42")
            except ValueError:
                log.exception("it broke")
    plain, warned, broke = events(out)
    assert set(plain) == {"time", "level", "logger", "message"}
    assert plain["logger"] == "tests.logs" and plain["level"] == "INFO"
    assert str(plain["time"]).endswith("+00:00")
    assert warned["message"] == "token [redacted] and [redacted]\nsecond line"
    assert (warned["request_id"], warned["command_id"]) == ("slack:Ev1", "c0ffee01")
    assert "ValueError: [redacted]" in str(broke["exception"])
    assert "s3cret" not in out.getvalue()


async def test_a_slack_command_logs_its_request_and_the_reference_the_member_saw(
    tmp_path: Path,
) -> None:
    async with FakeSlack() as fake:
        add_people(fake)
        async with slack_bot(tmp_path, fake, specs=[BROKEN]) as bot:
            token = bot.app.config.secrets.slack_bot_token or ""
            with json_logs((token,)) as out:
                ack = await bot.http.slash_command(
                    command="/explode", user_id=ALICE, trigger_id="1337.42.abcd"
                )
    [failure] = [e for e in events(out) if str(e["message"]).startswith("command explode failed")]
    assert failure["request_id"] == "slack:1337.42.abcd"
    assert f"réf. {failure['command_id']}" in ack.body["text"]
    assert token not in out.getvalue() and "[redacted]" in str(failure["exception"])


async def test_a_discord_interaction_logs_its_id(tmp_path: Path) -> None:
    def declare(registry: object) -> None:
        registry.add(BROKEN)  # type: ignore[attr-defined]

    async with (
        fake_discord() as fake,
        running_bot(tmp_path, fake, declare=declare, sync_on_start=True),
    ):
        with json_logs() as out:
            sent = await fake.dispatch_interaction(fake.slash_interaction("explode"))
            await fake.wait_for_callback(sent)
    [failure] = [e for e in events(out) if str(e["message"]).startswith("command explode failed")]
    assert failure["request_id"] == f"discord:{sent['id']}"
    assert len(str(failure["command_id"])) == 8
