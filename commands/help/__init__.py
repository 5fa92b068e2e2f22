"""`help` (the commands the caller may use, in the caller's language) and `ping`."""

from __future__ import annotations

from functools import lru_cache

from bot.context import CommandContext
from bot.feature import Feature
from bot.i18n import translator
from bot.messages import Field, Message, Reply
from bot.registry import Registry
from bot.roles import Access
from bot.spec import CommandSpec, L10n, OptionSpec, OptionType, Role


async def show_help(ctx: CommandContext) -> Reply:
    topic = ctx.options["topic"]
    registry = ctx.services.registry
    if topic:
        return Reply(_detail(registry, topic.lower().removeprefix("/"), ctx.access, ctx.lang))
    return Reply(_overview(registry, _rights(ctx.access), ctx.lang, ctx.t.tz.key))


def _rights(access: Access) -> Access:
    """Access without the agency ids: what help shows depends on the kind of rights only,
    so the cache below holds a handful of entries."""
    return Access(rank=access.rank, faq_editor=access.faq_editor, every_agency=access.is_moderator)


@lru_cache(maxsize=64)
def _overview(registry: Registry, access: Access, lang: str, tz: str) -> Message:
    """Cached per (rights, language): help is the most typed command and never changes."""
    t = translator(lang, tz)
    lines = [t("core.help.intro", role=t(f"core.role_name.{access.role.key}"))]
    by_group: dict[str, list[CommandSpec]] = {}
    for spec in registry.visible(access):
        by_group.setdefault(spec.path[0] if len(spec.path) == 2 else "", []).append(spec)
    fields = []
    for group, specs in sorted(by_group.items()):
        body = _lines(registry, specs, lang)
        title = registry.groups[group].description.get(lang) if group else t("core.help.general")
        heading = f"{registry.group_label(group, lang)} · {title}" if group else title
        fields.append(Field(heading, body, inline=False))
    return Message(
        title=t("core.help.title"),
        text="\n".join(lines),
        fields=tuple(fields),
        footer=t("core.help.footer"),
    )


def _lines(registry: Registry, specs: list[CommandSpec], lang: str) -> str:
    return "\n".join(f"/{registry.label(s, lang)} — {s.description.get(lang)}" for s in specs)


def _detail(registry: Registry, topic: str, access: Access, lang: str) -> Message:
    t = translator(lang)
    spec, used = registry.resolve(topic.split()[:2])
    if spec is None and registry.is_group(topic.split()[0]):
        group = registry.group_commands(topic.split()[0])
        specs = [s for s in group if not s.hidden and access.may(s.role)]
        return Message(
            title=t("core.help.group_title", group=topic.split()[0]),
            text=_lines(registry, specs, lang),
        )
    if spec is None or spec.hidden:
        return Message(text=t("core.help.unknown", topic=topic[:40]))
    fields = [
        Field(
            f"{opt.display_name(lang)} ({t(_NEED[opt.required])})",
            opt.description.get(lang) + _choices(opt, lang),
            inline=False,
        )
        for opt in spec.options
    ]
    text = [spec.description.get(lang), t("core.usage", usage=registry.usage(spec, lang))]
    if spec.role > Role.MEMBER:
        text.append(t("core.help.role_needed", role=t(f"core.role.{spec.role.key}")))
    if spec.examples:
        text.append(t("core.help.examples") + "\n" + "\n".join(examples(registry, spec, lang)))
    return Message(
        title=t("core.help.detail_title", command=registry.label(spec, lang)),
        text="\n".join(text),
        fields=tuple(fields),
    )


def examples(registry: Registry, spec: CommandSpec, lang: str) -> list[str]:
    """The command's examples in `lang`: its values as written for that language, its command
    and option names translated."""
    return [
        registry.localise(x.get(lang) if isinstance(x, L10n) else x, lang) for x in spec.examples
    ]


_NEED = {True: "core.help.required", False: "core.help.optional"}


def _choices(opt: OptionSpec, lang: str) -> str:
    if not opt.choices:
        return ""
    return " — " + ", ".join(f"{c.value} ({c.label.get(lang)})" for c in opt.choices)


async def ping(ctx: CommandContext) -> Reply:
    when = ctx.t.datetime(ctx.now())
    return Reply.text(ctx.t("core.ping.pong", platform=ctx.caller.platform, when=when))


FEATURE = Feature(
    "help",
    groups=(),
    commands=(
        CommandSpec(
            ("help",),
            L10n("Liste les commandes que vous pouvez utiliser", "List the commands you may use"),
            show_help,
            options=(
                OptionSpec(
                    "topic",
                    OptionType.TEXT,
                    L10n(
                        "Une commande ou un groupe, ex. « faq ask »",
                        "A command or group, e.g. 'faq ask'",
                    ),
                    fr_name="sujet",
                    rest=True,
                    max_length=60,
                ),
            ),
            fr_name="aide",
        ),
        CommandSpec(
            ("ping",),
            L10n("Vérifie que le bot répond", "Check that the bot answers"),
            ping,
        ),
    ),
)
