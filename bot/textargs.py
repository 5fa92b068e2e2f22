"""Free text -> command path and raw option values (console and Slack share this).

Grammar: `[/]group [sub] [value ...] [name:value ...]`. Positional values fill the required
options in order, then the free-text ("rest") option; optional options are always named.
Values may be quoted with "…", “…” or «…»; a quote that never closes is refused (showing
where it opens) rather than guessed. Single quotes never quote: French writes `l'adhésion`,
and an apostrophe must not open a string. A `name:value` token whose name is no option of the
command is refused unless quoted (`/agency add member:true` must not create an agency named
"member:true"); a bare `word:` (`faq ask prix: combien ?`), a link (`https://…`) and a value
for a channel or member option (`slack:T1:C1`) are not option names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import UserError
from bot.spec import CommandSpec, OptionType

_QUOTES = {'"': '"', "“": "”", "«": "»", "„": "“"}
_OPTION_LIKE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
# Types whose values may contain a colon of their own (`slack:T1:C1`, `discord:G:U`).
_COLON_VALUES = (OptionType.CHANNEL, OptionType.USER)
_EXCERPT = 40


@dataclass(frozen=True, slots=True)
class Token:
    value: str  # unquoted
    start: int
    end: int
    key: str | None = None  # the text before `:` when the token looks like name:value
    key_value: str | None = None

    @property
    def looks_named(self) -> bool:
        """`word:value` with a word that could be an option name and a value that is no
        link's `//…`: `prix:` alone, `18:00` and `https://x` are not."""
        return (
            self.key is not None
            and bool(self.key_value)
            and _OPTION_LIKE.match(self.key) is not None
            and not (self.key_value or "").startswith("/")
        )


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        tokens.append(_read_token(text, i))
        i = tokens[-1].end
    return tokens


def _read_token(text: str, start: int) -> Token:
    n = len(text)
    colon = -1
    i = start
    if text[i] in _QUOTES:
        value, i = _read_quoted(text, i, start)
        return Token(value, start, i)
    while i < n and not text[i].isspace():
        if text[i] == ":" and colon < 0:
            colon = i
            if i + 1 < n and text[i + 1] in _QUOTES:
                value, end = _read_quoted(text, i + 1, start)
                return Token(text[start:end], start, end, text[start:i].lower(), value)
        i += 1
    raw = text[start:i]
    if colon > start:
        return Token(raw, start, i, text[start:colon].lower(), text[colon + 1 : i])
    return Token(raw, start, i)


def _read_quoted(text: str, i: int, token_start: int) -> tuple[str, int]:
    """Read a quoted value; a quote that never closes is refused, showing where it opens."""
    close = _QUOTES[text[i]]
    end = text.find(close, i + 1)
    if end < 0 and close in "“”":
        end = text.find('"', i + 1)
    if end < 0:
        at = excerpt(text, token_start)
        raise UserError("core.unclosed_quote", quote=text[i], close=close, at=at)
    return text[i + 1 : end], end + 1


def excerpt(text: str, start: int) -> str:
    """The text from `start`, cut to a readable length."""
    piece = text[start:].split("\n", 1)[0]
    return piece if len(piece) <= _EXCERPT else piece[: _EXCERPT - 1] + "…"


def split_path(text: str) -> tuple[list[str], list[Token], str]:
    """Tokenize a command line; returns lowercased words, tokens and the text sans slash."""
    stripped = text.strip()
    if stripped.startswith("/"):
        stripped = stripped[1:]
    tokens = tokenize(stripped)
    words = [t.value.lower() for t in tokens[:2] if t.key is None]
    return words, tokens, stripped


def bind_options(spec: CommandSpec, tokens: list[Token], source: str) -> dict[str, str]:
    """Assign tokens (after the path) to the command's options, by name or by position."""
    named: dict[str, str] = {}
    positional: list[Token] = []
    for token in tokens:
        opt = spec.option(token.key) if token.key else None
        if opt is None:
            positional.append(token)
            continue
        if opt.name in named:
            raise UserError("core.duplicate_option", option=token.key, usage=spec.name)
        named[opt.name] = token.key_value or ""
    # Positional values fill the required options in order, then the free-text option;
    # optional options must be named, so `/faq ask c'est quoi…` never lands in `lang`.
    free = [o for o in spec.options if o.name not in named and (o.required or o.rest)]
    for index, token in enumerate(positional):
        if not free:
            _refuse_named(spec, token)
            raise UserError("core.unexpected_argument", value=token.value[:60])
        opt = free.pop(0)
        if opt.rest:
            for later in positional[index:]:
                _refuse_named(spec, later)
            named[opt.name] = _rest_text(positional[index:], source)
            break
        if opt.type not in _COLON_VALUES:
            _refuse_named(spec, token)
        named[opt.name] = token.value
    return named


def _refuse_named(spec: CommandSpec, token: Token) -> None:
    """A `word:value` the command has no option for: say so rather than take it as text."""
    if not token.looks_named:
        return
    key = token.key or ""
    if (reason := spec.fixed_reason(key)) is not None:
        raise UserError(reason)
    raise UserError("core.unknown_option", option=key)


def _rest_text(tokens: list[Token], source: str) -> str:
    """The remaining free text exactly as typed (quotes and line breaks kept), minus the
    name:value tokens bound elsewhere (they are not in `tokens`)."""
    pieces: list[str] = [source[tokens[0].start : tokens[0].end]]
    for previous, token in zip(tokens, tokens[1:], strict=False):
        gap = source[previous.end : token.start]
        pieces.append(gap if gap.strip() == "" else " ")
        pieces.append(source[token.start : token.end])
    return "".join(pieces)
