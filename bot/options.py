"""Raw option values (text from a console/Slack line, or typed values from Discord) -> checked
Python values. The same rules apply whatever the platform, so validation lives here once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.identity import Caller, ChannelRef
from bot.spec import CommandSpec, OptionSpec, OptionType

_MENTION_USER = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$")
_MENTION_CHANNEL = re.compile(r"^<#([A-Za-z0-9]+)(?:\|[^>]*)?>$")
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# Text a member writes is shown to others (event titles, profiles, questions in digests): bidi
# overrides could make it read backwards, control characters could drive a terminal.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"  # controls, but \t \n \r
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"  # bidi marks, embeddings, isolates
)
_TRUE = {"true", "yes", "oui", "on", "1", "vrai", "o", "y"}
_FALSE = {"false", "no", "non", "off", "0", "faux", "n"}

DateParser = Callable[[str, datetime, ZoneInfo, str], datetime]


def clean(text: str) -> str:
    """User text without bidi controls and control characters (line breaks and tabs kept)."""
    return _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def fold(text: str) -> str:
    """Lowercase without accents, for forgiving comparisons of choices and names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class OptionConverter:
    """Converts and validates the options of one invocation."""

    def __init__(self, tz: ZoneInfo, now: Callable[[], datetime], parse_date: DateParser) -> None:
        self.tz = tz
        self.now = now
        self.parse_date = parse_date

    def convert_all(
        self, spec: CommandSpec, raw: Mapping[str, Any], caller: Caller, lang: str
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for opt in spec.options:
            value = raw.get(opt.name)
            if value is None or (isinstance(value, str) and not value.strip()):
                if opt.required:
                    raise UserError("core.missing_option", option=opt.display_name(lang))
                values[opt.name] = None
                continue
            values[opt.name] = self.convert(opt, value, caller, lang)
        return values

    def convert(self, opt: OptionSpec, value: Any, caller: Caller, lang: str = "fr") -> Any:
        name = opt.display_name(lang)
        match opt.type:
            case OptionType.TEXT:
                return self._text(opt, name, str(value))
            case OptionType.INTEGER:
                return self._integer(opt, name, value)
            case OptionType.BOOLEAN:
                return self._boolean(name, value)
            case OptionType.CHOICE:
                return self._choice(opt, name, str(value))
            case OptionType.DATETIME:
                if isinstance(value, datetime):
                    return value
                return self.parse_date(str(value).strip(), self.now(), self.tz, lang)
            case OptionType.USER:
                return self._user(name, str(value), caller)
            case OptionType.CHANNEL:
                return self._channel(name, str(value), caller)
        raise AssertionError(opt.type)

    @staticmethod
    def _text(opt: OptionSpec, name: str, value: str) -> str:
        value = clean(value).strip()
        if len(value) < opt.min_length:
            raise UserError("core.too_short", option=name, n=opt.min_length)
        if len(value) > opt.max_length:
            raise UserError("core.too_long", option=name, max=opt.max_length)
        return value

    @staticmethod
    def _integer(opt: OptionSpec, name: str, value: Any) -> int:
        if isinstance(value, bool):
            raise UserError("core.not_integer", option=name, value=str(value))
        try:
            number = value if isinstance(value, int) else int(str(value).strip())
        except ValueError:
            raise UserError("core.not_integer", option=name, value=str(value)[:40]) from None
        low = opt.min_value if opt.min_value is not None else -(2**53)
        high = opt.max_value if opt.max_value is not None else 2**53
        if not low <= number <= high:
            raise UserError("core.out_of_range", option=name, min=low, max=high)
        return number

    @staticmethod
    def _boolean(name: str, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        word = fold(str(value).strip())
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise UserError("core.not_boolean", option=name, value=str(value)[:40])

    @staticmethod
    def _choice(opt: OptionSpec, name: str, value: str) -> str:
        wanted = fold(value.strip())
        for choice in opt.choices:
            if wanted in (fold(choice.value), fold(choice.label.fr), fold(choice.label.en)):
                return choice.value
        allowed = ", ".join(c.value for c in opt.choices)
        raise UserError("core.bad_choice", option=name, value=value[:40], allowed=allowed)

    @staticmethod
    def _user(name: str, value: str, caller: Caller) -> str:
        value = value.strip()
        if m := _MENTION_USER.match(value):
            return m.group(1)
        value = value.removeprefix("@")
        if _ID.match(value):
            return value
        raise UserError("core.bad_user", option=name, value=value[:40])

    @staticmethod
    def _channel(name: str, value: str, caller: Caller) -> ChannelRef:
        value = value.strip()
        if m := _MENTION_CHANNEL.match(value):
            return ChannelRef(caller.platform, caller.workspace, m.group(1))
        if value.count(":") == 2:
            try:
                return ChannelRef.parse(value)
            except ValueError:
                pass
        value = value.removeprefix("#")
        if _ID.match(value):
            return ChannelRef(caller.platform, caller.workspace, value)
        raise UserError("core.bad_channel", option=name, value=value[:40])
