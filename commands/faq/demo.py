"""The demo FAQ (`fedbot run --demo`): demo.yaml beside this module, loaded through the YAML
importer.

Entries carry ids, so loading twice updates nothing (the importer leaves equal entries alone).
"""

from __future__ import annotations

from importlib import resources

from bot.services import Services
from commands.faq.store.entries import FaqRepo
from commands.faq.transfer import import_text


async def load_demo(services: Services) -> None:
    text = (resources.files("commands.faq") / "demo.yaml").read_text("utf-8")
    await import_text(services.get(FaqRepo), text, services.clock.now())
