"""The interactive console, driven through prompt_toolkit's pipe input as a terminal would
type: commands, Ctrl-C, Ctrl-D, Tab completion in the caller's language, kept history."""

from __future__ import annotations

import io
from pathlib import Path

from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from adapters.console.adapter import ConsoleAdapter, ConsoleOptions
from adapters.console.prompt import CommandCompleter, InteractiveConsole
from bot.app import BotApp
from bot.roles import Access
from bot.spec import Role


async def _session(app: BotApp, tmp_path: Path, keys: str, lang: str = "fr") -> str:
    out = io.StringIO()
    options = ConsoleOptions(user="alice", lang=lang, history=tmp_path / "history")
    console = ConsoleAdapter(app, options, stdout=out)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(keys)
        await InteractiveConsole(console).run()
    return out.getvalue()


async def test_commands_run_and_ctrl_c_twice_leaves_on_a_new_line(app: BotApp, tmp_path) -> None:
    text = await _session(app, tmp_path, "/ping\r/help ping\x03\x03")
    assert "Pong" in text
    assert "Aide" not in text  # Ctrl-C dropped the half-typed line
    assert text.endswith("\n\n")
    assert "/ping" in (tmp_path / "history").read_text("utf-8")  # kept for the next session


async def test_ctrl_d_leaves_and_the_banner_offers_the_other_language(app, tmp_path) -> None:
    english = await _session(app, tmp_path, "\x04", lang="en")
    assert "--lang fr" in english and "--lang en" not in english
    french = await _session(app, tmp_path, "\x04")
    assert "--lang en" in french


def _complete(app: BotApp, text: str, lang: str) -> list[str]:
    access = Access(rank=Role.ADMIN)
    completer = CommandCompleter(app.services.registry, access, lang)
    found = completer.get_completions(Document(text), CompleteEvent(completion_requested=True))
    return [c.text for c in found]


async def test_tab_completes_commands_and_options_in_the_callers_language(app: BotApp) -> None:
    assert _complete(app, "/even", "fr") == ["/evenement"]
    assert _complete(app, "/even", "en") == ["/event"]
    assert "liste" in _complete(app, "/evenement li", "fr")
    assert _complete(app, "/event list fr", "en") == ["from:"]
    assert _complete(app, "/evenement liste th", "fr") == ["theme:"]
