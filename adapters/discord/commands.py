"""Core command specs -> discord.py application (slash) commands, in French and English.

Each spec becomes an `app_commands.Command` (a group's subcommands go into an
`app_commands.Group`); hidden specs (button targets) are never registered. Every option is a
`Transformer` built from its `OptionSpec`, so Discord gets the option's type, bounds, choices
and autocomplete from the one declaration, and the callback receives values the core takes
as they are (user and channel options arrive as ids). Names and descriptions are
`locale_str`s carrying both languages in their extras; `SpecTranslator` hands them to Discord
as localisations, so a French client shows `/agence ajouter` while the interaction still names
`agency add`.
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Iterable
from typing import Any, Protocol

import discord
from discord import app_commands
from discord.app_commands import locale_str

from adapters.discord.render import clip
from bot.registry import Registry
from bot.spec import CommandSpec, GroupSpec, L10n, OptionSpec, OptionType

DESCRIPTION_MAX = 100
CHOICE_MAX = 100  # characters of a choice's name and of its value
TEXT_LENGTH_MAX = 6000
OPTIONS_MAX = 25
SUBCOMMANDS_MAX = 25

#: The Discord locales we localise for, and the core language each one gets.
LOCALES: dict[discord.Locale, str] = {
    discord.Locale.french: "fr",
    discord.Locale.american_english: "en",
    discord.Locale.british_english: "en",
}

_OPTION_TYPES = {
    OptionType.TEXT: discord.AppCommandOptionType.string,
    OptionType.DATETIME: discord.AppCommandOptionType.string,  # the core parses "demain 18h"
    OptionType.CHOICE: discord.AppCommandOptionType.string,
    OptionType.INTEGER: discord.AppCommandOptionType.integer,
    OptionType.BOOLEAN: discord.AppCommandOptionType.boolean,
    OptionType.USER: discord.AppCommandOptionType.user,
    OptionType.CHANNEL: discord.AppCommandOptionType.channel,
}
_CHANNEL_TYPES = [discord.ChannelType.text, discord.ChannelType.news]


class CommandHooks(Protocol):
    """What the generated commands call back into (the adapter implements it)."""

    async def run_command(
        self, interaction: discord.Interaction, spec: CommandSpec, options: dict[str, Any]
    ) -> None: ...

    async def complete(
        self, interaction: discord.Interaction, source: str, current: str
    ) -> list[tuple[str, str]]: ...

    def completes(self, source: str) -> bool: ...


class SpecTranslator(app_commands.Translator):
    """Localisations come from the specs themselves: each `locale_str` carries `fr` and `en`."""

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        lang = LOCALES.get(locale)
        return string.extras.get(lang) if lang else None


def localised_name(name: str, fr_name: str | None) -> locale_str:
    return locale_str(name, fr=fr_name or name, en=name)


def localised_text(text: L10n, default_lang: str, limit: int = DESCRIPTION_MAX) -> locale_str:
    """Discord shows the plain message to locales we do not localise: our default language."""
    return locale_str(
        clip(text.get(default_lang), limit), fr=clip(text.fr, limit), en=clip(text.en, limit)
    )


class OptionTransformer(app_commands.Transformer):
    """One option as Discord sees it, and its value as the core wants it."""

    def __init__(self, option: OptionSpec, default_lang: str) -> None:
        self.option = option
        self.default_lang = default_lang

    @property
    def type(self) -> discord.AppCommandOptionType:
        return _OPTION_TYPES[self.option.type]

    @property
    def min_value(self) -> int | None:
        """Discord reads this as min_length for a text option."""
        if self.option.type is OptionType.TEXT:
            return min(self.option.min_length, TEXT_LENGTH_MAX)
        return self.option.min_value if self.option.type is OptionType.INTEGER else None

    @property
    def max_value(self) -> int | None:
        if self.option.type is OptionType.TEXT:
            return min(self.option.max_length, TEXT_LENGTH_MAX)
        return self.option.max_value if self.option.type is OptionType.INTEGER else None

    @property
    def choices(self) -> list[app_commands.Choice[str]] | None:
        if not self.option.choices:
            return None
        return [
            app_commands.Choice(
                name=localised_text(choice.label, self.default_lang, CHOICE_MAX),
                value=choice.value,
            )
            for choice in self.option.choices
        ]

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return _CHANNEL_TYPES if self.option.type is OptionType.CHANNEL else []

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> Any:
        if self.option.type in (OptionType.USER, OptionType.CHANNEL):
            return str(value.id)  # the core builds the user id / ChannelRef itself
        return value


class CompletingTransformer(OptionTransformer):
    """An option whose values are suggested while typing (a `bot.completion` source)."""

    def __init__(self, option: OptionSpec, default_lang: str, hooks: CommandHooks) -> None:
        super().__init__(option, default_lang)
        self.hooks = hooks

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str, /
    ) -> list[app_commands.Choice[str]]:
        source = self.option.autocomplete or ""
        suggestions = await self.hooks.complete(interaction, source, str(value or ""))
        if self.option.type is OptionType.INTEGER:  # Discord wants numbers for a number option
            return [
                app_commands.Choice(name=clip(label, CHOICE_MAX), value=int(found))
                for label, found in suggestions
                if label.strip() and found.isdigit()
            ]
        return [
            app_commands.Choice(name=clip(label, CHOICE_MAX), value=found[:CHOICE_MAX])
            for label, found in suggestions
            if label.strip() and found
        ]


_COMPLETABLE = (OptionType.TEXT, OptionType.INTEGER)


def _transformer(option: OptionSpec, default_lang: str, hooks: CommandHooks) -> OptionTransformer:
    source = option.autocomplete
    # Only free text is completed (Discord refuses choices and autocomplete together), and only
    # from a source that exists: an option declared for a source still to come is plain text.
    if source and option.type in _COMPLETABLE and hooks.completes(source):
        return CompletingTransformer(option, default_lang, hooks)
    return OptionTransformer(option, default_lang)


def _python_name(name: str) -> str:
    """Option names may hold `-` or be Python keywords; the Discord name is set by rename."""
    python = name.replace("-", "_")
    return f"{python}_" if keyword.iskeyword(python) else python


def build_command(
    spec: CommandSpec,
    hooks: CommandHooks,
    default_lang: str,
    parent: app_commands.Group | None = None,
) -> app_commands.Command[Any, ..., None]:
    if len(spec.options) > OPTIONS_MAX:
        raise ValueError(f"{spec.name}: Discord allows {OPTIONS_MAX} options")
    by_python = {_python_name(opt.name): opt for opt in spec.options}

    async def invoke(interaction: discord.Interaction, **values: Any) -> None:
        options = {by_python[key].name: value for key, value in values.items()}
        await hooks.run_command(interaction, spec, options)

    # discord.py reads a command's options from its callback's signature: this one is
    # generated from the spec, one keyword parameter per option, typed by its transformer.
    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for python, opt in by_python.items():
        parameters.append(
            inspect.Parameter(
                python,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_transformer(opt, default_lang, hooks),
                default=inspect.Parameter.empty if opt.required else None,
            )
        )
    invoke.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    invoke.__qualname__ = invoke.__name__ = "_".join(spec.path)
    descriptions = {p: localised_text(o.description, default_lang) for p, o in by_python.items()}
    app_commands.describe(**descriptions)(invoke)
    app_commands.rename(**{p: localised_name(o.name, o.fr_name) for p, o in by_python.items()})(
        invoke
    )
    return app_commands.Command(
        name=localised_name(spec.path[-1], spec.fr_name),
        description=localised_text(spec.description, default_lang),
        callback=invoke,
        parent=parent,
        extras={"spec": spec},
    )


def build_group(group: GroupSpec, default_lang: str) -> app_commands.Group:
    return app_commands.Group(
        name=localised_name(group.name, group.fr_name),
        description=localised_text(group.description, default_lang),
        extras={"group": group},
    )


def build_commands(
    registry: Registry, hooks: CommandHooks, default_lang: str
) -> list[app_commands.Command[Any, ..., None] | app_commands.Group]:
    """Top-level commands and groups, in declaration order; hidden specs left out."""
    roots: dict[str, app_commands.Command[Any, ..., None] | app_commands.Group] = {}
    for spec in _visible(registry.commands.values()):
        if len(spec.path) == 1:
            roots[spec.path[0]] = build_command(spec, hooks, default_lang)
            continue
        group = roots.get(spec.path[0])
        if group is None:
            group = roots[spec.path[0]] = build_group(registry.groups[spec.path[0]], default_lang)
        assert isinstance(group, app_commands.Group)
        if len(group.commands) == SUBCOMMANDS_MAX:
            raise ValueError(f"{spec.name}: Discord allows {SUBCOMMANDS_MAX} subcommands")
        group.add_command(build_command(spec, hooks, default_lang, parent=group))
    return list(roots.values())


def _visible(specs: Iterable[CommandSpec]) -> Iterable[CommandSpec]:
    return (spec for spec in specs if not spec.hidden)
