"""How a digest's settings are shown to moderators: its schedule in words, its next run in
local time, its sections, how its last run went (pure functions)."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import Translator
from bot.messages import Button, ButtonStyle, Field
from bot.schedules import describe, parse_schedule
from commands.digest.build import WHEN
from commands.digest.sections import shorten
from commands.digest.store.digests import DigestConfig


def channel_label(digest: DigestConfig) -> str:
    channel = digest.channel
    return f"#{channel.channel_id} ({channel.platform})"


def sections_text(digest: DigestConfig, t: Translator) -> str:
    names = []
    for name in digest.fields.sections:
        label = t(f"digest.section.{name}.label")
        if name == "events":
            label = t.plural("digest.section.events.label_days", digest.fields.days, label=label)
        names.append(label)
    return ", ".join(names)


def schedule_words(digest: DigestConfig, t: Translator) -> str:
    return describe(parse_schedule(digest.fields.schedule), t.lang)


def summary_field(digest: DigestConfig, next_run: datetime | None, t: Translator) -> Field:
    f = digest.fields
    if f.title:
        name = t("digest.summary.name", id=digest.id, title=shorten(f.title, 80))
    else:
        name = t("digest.summary.name_untitled", id=digest.id)
    when = t("digest.summary.paused") if digest.paused else t("digest.summary.next_none")
    if next_run is not None:
        when = t("digest.summary.next", next=t.datetime(next_run, WHEN))
    lines = [
        t(
            "digest.summary.where",
            channel=channel_label(digest),
            schedule=schedule_words(digest, t),
        ),
        when,
        t(
            "digest.summary.content",
            sections=sections_text(digest, t),
            scope=t(f"digest.scope.{f.scope}"),
            lang=f.lang,
        ),
    ]
    if f.skip_empty:
        lines.append(t("digest.summary.skip_empty"))
    if digest.last_outcome and digest.last_finished_at:
        lines.append(
            t(
                "digest.summary.last",
                when=t.datetime(digest.last_finished_at, WHEN),
                outcome=t(f"digest.outcome.{digest.last_outcome}"),
            )
        )
    return Field(name, "\n".join(lines), inline=False)


def digest_buttons(digest: DigestConfig, t: Translator) -> tuple[Button, ...]:
    """Preview, send now, pause or resume: each re-enters the dispatcher (roles re-checked)."""
    args = {"id": str(digest.id)}
    toggle = "resume" if digest.paused else "pause"
    return (
        Button(t("digest.button.preview"), "digest.preview", args, ButtonStyle.PRIMARY),
        Button(t("digest.button.run"), "digest.run", args),
        Button(t(f"digest.button.{toggle}"), f"digest.{toggle}", args),
    )
