"""Attachments in the console: written to a folder (`--files DIR`, default `./fedbot-files/`)
so a calendar file or a data export can be opened; the reply shows the path.

A file of the same name is replaced (the latest `all.ics` is the one to open). Only the base
name of an attachment is used, so no name can write outside the folder.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from bot.messages import Message

DEFAULT_FOLDER = Path("fedbot-files")


class FileFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, message: Message) -> dict[str, str]:
        """Write the message's attachments; their paths by filename. The folder is created
        on the first file, so a session without attachments leaves nothing behind."""
        saved: dict[str, str] = {}
        for attachment in message.attachments:
            name = PurePath(attachment.filename.replace("\\", "/")).name or "attachment"
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / name
            path.write_bytes(attachment.content)
            saved[attachment.filename] = str(path)
        return saved
