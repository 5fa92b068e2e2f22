"""Profiles as messages: the card `profile show` and `profile set` display."""

from __future__ import annotations

from collections.abc import Sequence

from babel.lists import format_list

from bot.i18n import Translator
from bot.messages import Field, Message
from commands.profile.languages import language_names
from commands.profile.store.profiles import Profile
from commands.profile.vocabulary import TypedTag


def profile_fields(profile: Profile, t: Translator, *, own: bool) -> tuple[Field, ...]:
    """The profile's fields; the member's own card also shows consent and snooze."""
    fields = [Field(t("profile.field.agency"), profile.agency_name or t("profile.none"))]
    if profile.organisation:
        fields.append(Field(t("profile.field.organisation"), profile.organisation))
    if profile.role:
        fields.append(Field(t("profile.field.role"), profile.role))
    interests = ", ".join(tag.display for tag in profile.tags) or t("profile.none")
    fields.append(Field(t("profile.field.interests"), interests, inline=False))
    if profile.languages:
        names = language_names(profile.languages, t.lang)
        fields.append(Field(t("profile.field.languages"), format_list(names, locale=t.lang)))
    if profile.description:
        fields.append(Field(t("profile.field.description"), profile.description, inline=False))
    if own:
        fields += _consent_fields(profile, t)
    return tuple(fields)


def _consent_fields(profile: Profile, t: Translator) -> list[Field]:
    match = t("profile.match_on") if profile.opt_in else t("profile.match_off")
    if profile.opt_in and profile.snoozed_until is not None:
        match = t("profile.match_snoozed", until=t.date(profile.snoozed_until, "long"))
    visible = t("profile.visible_on") if profile.visible else t("profile.visible_off")
    intros = t("profile.open_on") if profile.open_intros else t("profile.open_off")
    return [
        Field(t("profile.field.match"), match),
        Field(t("profile.field.visible"), visible),
        Field(t("profile.field.open"), intros),
    ]


def own_profile_message(profile: Profile, t: Translator, *, title: str, text: str = "") -> Message:
    footer = None if profile.opt_in else t("profile.hint_opt_in")
    return Message(
        title=title, text=text, fields=profile_fields(profile, t, own=True), footer=footer
    )


def tags_report(typed: Sequence[TypedTag], t: Translator) -> str:
    """How the typed interests were understood: renamed ones, new ones with "did you mean"."""
    lines = []
    renamed = [
        t("profile.tag_renamed", typed=x.typed, tag=x.tag.display)
        for x in typed
        if x.renamed and not x.new
    ]
    if renamed:
        lines.append(t("profile.tags_normalised", tags=", ".join(renamed)))
    for item in typed:
        if item.new and item.suggestions:
            hints = format_list(list(item.suggestions), style="or", locale=t.lang)
            lines.append(t("profile.tag_new_hint", tag=item.tag.display, hints=hints))
        elif item.new:
            lines.append(t("profile.tag_new", tag=item.tag.display))
    return "\n".join(lines)
