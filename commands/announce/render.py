"""What staff and agencies see: the copy, the preview, the status and the alerts (pure).

The announcement's text is relayed as the `Message.text` prose, never interpolated into markup
we build: renderers escape it per platform, so `@everyone`, `<!channel>` or `<@U123>` typed by
staff show as text and ping nobody.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import Translator
from bot.messages import Button, ButtonStyle, Field, Link, Message
from commands.announce.store.announcements import Ack, Announcement, State
from commands.announce.store.outbox_rows import (
    CANCELLED,
    FAILED,
    KEPT,
    PENDING,
    SENDING,
    SENT,
    TO_WITHDRAW,
    WITHDRAWING,
    WITHDRAWN,
    Delivery,
)

PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "console": "console"}
MAX_LISTED = 10  # failures or agencies named in one field; the rest are counted
ACK_ACTION = "announce.ack"


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


@dataclass(frozen=True, slots=True)
class Tally:
    """One platform's rows, grouped the way staff read them."""

    delivered: int = 0
    pending: int = 0
    failed: int = 0
    withdrawing: int = 0
    withdrawn: int = 0
    kept: int = 0

    @classmethod
    def of(cls, states: Mapping[str, int]) -> Tally:
        get = states.get
        return cls(
            delivered=get(SENT, 0),
            pending=get(PENDING, 0) + get(SENDING, 0),
            failed=get(FAILED, 0),
            withdrawing=get(TO_WITHDRAW, 0) + get(WITHDRAWING, 0),
            withdrawn=get(WITHDRAWN, 0) + get(CANCELLED, 0),
            kept=get(KEPT, 0),
        )

    @property
    def total(self) -> int:
        return sum(
            (self.delivered, self.pending, self.failed, self.withdrawing, self.withdrawn, self.kept)
        )


def copy_message(ann: Announcement, t: Translator) -> Message:
    """The copy every agency channel receives, with its acknowledgement button."""
    links = (Link(t("announce.link_label"), ann.link),) if ann.link else ()
    ack = Button(
        t("announce.ack_button"), ACK_ACTION, {"id": str(ann.id)}, style=ButtonStyle.PRIMARY
    )
    return Message(
        text=ann.body,
        title=ann.title,
        links=links,
        buttons=(ack,),
        footer=t("announce.copy_footer", id=ann.id),
    )


def channel_summary(platforms: Mapping[str, int], t: Translator) -> str:
    """ "12 salons : 8 Slack, 3 Discord, 1 console"."""
    parts = ", ".join(f"{n} {platform_name(p)}" for p, n in sorted(platforms.items()) if n)
    return t.plural("announce.channels_on", sum(platforms.values()), parts=parts)


def audience_label(audience: str, target: str, t: Translator) -> str:
    return t(f"announce.audience.{audience}", target=target)


def preview_message(
    ann: Announcement,
    platforms: Mapping[str, int],
    offline: Sequence[str],
    t: Translator,
) -> Message:
    copy = copy_message(ann, t)
    fields = [
        Field(t("announce.field.audience"), audience_label(ann.audience, ann.target, t), False),
        Field(t("announce.field.channels"), channel_summary(platforms, t), False),
    ]
    if ann.send_at:
        fields.append(Field(t("announce.field.when"), t.datetime(ann.send_at, "full"), False))
    notes = [t("announce.preview_note")]
    if offline:
        names = ", ".join(platform_name(p) for p in offline)
        notes.append(t("announce.preview_offline", platforms=names))
    args = {"id": str(ann.id)}
    buttons = (
        Button(t("announce.confirm_button"), "announce.confirm", args, ButtonStyle.PRIMARY),
        Button(t("announce.cancel_button"), "announce.cancel", args, ButtonStyle.DANGER),
    )
    title = t("announce.preview_title", title=ann.title) if ann.title else None
    return Message(
        text=ann.body,
        title=title or t("announce.preview_title_untitled"),
        fields=(*fields, Field(t("announce.field.note"), "\n".join(notes), False)),
        links=copy.links,
        buttons=buttons,
        footer=t("announce.preview_footer", button=t("announce.ack_button")),
    )


def progress_lines(counts: Mapping[str, Mapping[str, int]], t: Translator) -> list[Field]:
    fields = []
    for platform, states in sorted(counts.items()):
        tally = Tally.of(states)
        parts = [t("announce.tally.delivered", n=tally.delivered, total=tally.total)]
        for key in ("pending", "failed", "withdrawing", "withdrawn", "kept"):
            if getattr(tally, key):
                parts.append(t(f"announce.tally.{key}", n=getattr(tally, key)))
        fields.append(Field(platform_name(platform), " · ".join(parts)))
    return fields


def headline(ann: Announcement, counts: Mapping[str, Mapping[str, int]], now: datetime) -> str:
    """The state key of an announcement as staff think of it."""
    tallies = [Tally.of(states) for states in counts.values()]
    if ann.state == State.WITHDRAWN:
        return "withdrawing" if any(x.withdrawing for x in tallies) else "withdrawn"
    if ann.state == State.DRAFT:
        return "draft"
    if ann.send_at and ann.send_at > now and not any(x.delivered for x in tallies):
        return "scheduled"
    if any(x.pending for x in tallies):
        return "sending"
    return "failures" if any(x.failed for x in tallies) else "done"


def progress_message(
    ann: Announcement, counts: Mapping[str, Mapping[str, int]], t: Translator, now: datetime
) -> Message:
    """The live message in the staff channel, edited as delivery goes."""
    state = headline(ann, counts, now)
    text = t(f"announce.state.{state}")
    if state == "scheduled" and ann.send_at:
        text = t("announce.state.scheduled_at", when=t.datetime(ann.send_at, "short"))
    return Message(
        title=t("announce.progress_title", id=ann.id, title=ann.title or _excerpt(ann.body)),
        text=text,
        fields=tuple(progress_lines(counts, t)),
        footer=t("announce.progress_footer", id=ann.id),
    )


def failure_lines(failures: Sequence[Delivery], total: int, t: Translator) -> str:
    lines = [
        t(
            "announce.failure_line",
            agency=f.agency_name,
            channel=f"{platform_name(f.ref.platform)} {f.ref.channel_id}",
            reason=f.last_error or "?",
            attempts=f.attempts,
        )
        for f in failures[:MAX_LISTED]
    ]
    if total > MAX_LISTED:
        lines.append(t("announce.and_more", n=total - MAX_LISTED))
    return "\n".join(lines)


def status_message(
    ann: Announcement,
    counts: Mapping[str, Mapping[str, int]],
    problems: Sequence[Delivery],
    agencies: Sequence[tuple[int, str]],
    acks: Sequence[Ack],
    t: Translator,
    now: datetime,
) -> Message:
    live = progress_message(ann, counts, t, now)
    fields = list(live.fields)
    if problems:
        fields.append(
            Field(t("announce.field.failures"), failure_lines(problems, len(problems), t), False)
        )
    fields += ack_fields(agencies, acks, t)
    author = ann.author_name or t("announce.someone")
    meta = t(
        "announce.meta",
        author=author,
        when=t.datetime(ann.confirmed_at or ann.created_at, "short"),
        audience=audience_label(ann.audience, ann.target, t),
    )
    buttons = ()
    if any(Tally.of(s).failed for s in counts.values()) and ann.state != State.WITHDRAWN:
        buttons = (Button(t("announce.retry_button"), "announce.retry", {"id": str(ann.id)}),)
    return Message(
        title=live.title,
        text=f"{live.text}\n{meta}",
        fields=tuple(fields),
        buttons=buttons,
        footer=live.footer,
    )


def ack_fields(
    agencies: Sequence[tuple[int, str]], acks: Sequence[Ack], t: Translator
) -> list[Field]:
    if not agencies:
        return []
    names = dict(agencies)
    by_agency = {a.agency_id: a for a in acks if a.agency_id in names}
    share = round(100 * len(by_agency) / len(names))
    title = t("announce.field.acks", n=len(by_agency), total=len(names), share=share)
    seen = [
        t(
            "announce.ack_line",
            agency=names[a.agency_id],
            name=a.member_name or t("announce.someone"),
            when=t.datetime(a.acked_at, "short"),
        )
        for a in sorted(by_agency.values(), key=lambda a: names[a.agency_id])
    ]
    waiting = [name for agency_id, name in agencies if agency_id not in by_agency]
    body = "\n".join(seen[:MAX_LISTED])
    if len(seen) > MAX_LISTED:
        body += "\n" + t("announce.and_more", n=len(seen) - MAX_LISTED)
    fields = [Field(title, body or t("announce.no_ack_yet"), False)]
    if waiting:
        shown = ", ".join(waiting[: MAX_LISTED * 3])
        if len(waiting) > MAX_LISTED * 3:
            shown += ", " + t("announce.and_more", n=len(waiting) - MAX_LISTED * 3)
        fields.append(Field(t("announce.field.waiting", n=len(waiting)), shown, False))
    return fields


def alert_message(
    ann: Announcement, failures: Sequence[Delivery], total: int, t: Translator
) -> Message:
    args = {"id": str(ann.id)}
    return Message(
        title=t.plural("announce.alert_title", total, id=ann.id),
        text=failure_lines(failures, total, t),
        buttons=(
            Button(t("announce.retry_button"), "announce.retry", args, ButtonStyle.PRIMARY),
            Button(t("announce.status_button"), "announce.status", args),
        ),
        footer=t("announce.alert_footer"),
    )


def list_message(
    anns: Sequence[Announcement],
    totals: Mapping[int, Mapping[str, int]],
    t: Translator,
    now: datetime,
) -> Message:
    fields = []
    for ann in anns:
        tally = Tally.of(totals.get(ann.id, {}))
        state = headline(ann, {"all": totals.get(ann.id, {})}, now)
        value = t(
            "announce.list_line",
            state=t(f"announce.state.{state}"),
            delivered=tally.delivered,
            total=tally.total,
            failed=tally.failed,
            author=ann.author_name or t("announce.someone"),
            when=t.datetime(ann.confirmed_at or ann.created_at, "short"),
        )
        fields.append(Field(f"#{ann.id} · {ann.title or _excerpt(ann.body)}", value, False))
    return Message(title=t("announce.list_title"), fields=tuple(fields))


def _excerpt(text: str, size: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= size else line[: size - 1].rstrip() + "…"
