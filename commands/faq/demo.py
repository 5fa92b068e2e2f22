"""The demo FAQ (`fedbot run --demo`): bot/demo/faq.yaml, loaded through the YAML importer.

Entries carry ids, so loading twice updates nothing (the importer leaves equal entries alone).
"""

from __future__ import annotations

from importlib import resources

from bot.services import Services
from commands.faq.transfer import import_text


async def load_demo_faq(services: Services) -> None:
    text = (resources.files("bot.demo") / "faq.yaml").read_text("utf-8")
    await import_text(services.faq, text, services.clock.now())
