"""Matching as messages: suggestions, introductions, round introductions, "did you meet?".

Names and descriptions are members' own text: renderers escape them per platform, and no
mention syntax is ever built from them (nobody is pinged by someone else's display name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from babel.lists import format_list

from bot.i18n import Translator
from bot.messages import Button, ButtonStyle, Field, Message
from commands.match.ranking import Suggestion
from commands.profile.store.profiles import Card
from commands.profile.tags import TagVocabulary

INTRODUCE = "match.introduce"
MET = "match.met"
PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "console": "console"}
LABEL_NAME = 40  # characters of a name on a button (Discord caps labels at 80)


def tag_list(slugs: Sequence[str], vocab: TagVocabulary, t: Translator) -> str:
    return format_list([vocab.display(s) for s in slugs], locale=t.lang)


def card_line(card: Card, t: Translator, *, platform: str | None = None) -> str:
    """ "Chargée de mission · Nantes Métropole Développement (sur Discord)"."""
    parts = dict.fromkeys(x for x in (card.role, card.organisation, card.agency_name) if x)
    line = " · ".join(parts)  # an agency's own staff: organisation and agency are one
    if platform is not None and card.platform != platform:
        where = t("match.on_platform", platform=PLATFORM_NAMES.get(card.platform, card.platform))
        line = f"{line} {where}".strip()
    return line


def card_field(card: Card, t: Translator, *, why: str, platform: str | None = None) -> Field:
    lines = [why, card_line(card, t, platform=platform)]
    if card.description:
        lines.append(card.description)
    return Field(card.display_name, "\n".join(x for x in lines if x), inline=False)


def suggestions_message(
    found: Sequence[tuple[Suggestion, Card]],
    vocab: TagVocabulary,
    t: Translator,
    *,
    caller_platform: str,
    topic: str | None,
    hidden: int,
    again: bool,
    proofs: Mapping[int, str],
    mine: frozenset[str] = frozenset(),
) -> Message:
    """`proofs`: each partner's tag (`finding.intro_proof`), carried by their "introduce me"
    button so that only a member shown this partner can ask for the introduction. `mine`:
    the caller's own tags; only those are said to be shared (a topic searched for is the
    partner's, not necessarily the caller's)."""
    fields, buttons = [], []
    for suggestion, card in found:
        common = [tag for tag in suggestion.shared if tag in mine]
        reasons = [t("match.why", tags=tag_list(common, vocab, t))] if common else []
        if topic is not None and topic not in mine:
            reasons.append(t("match.works_on", topic=vocab.display(topic)))
        if suggestion.other_agency:
            reasons.append(t("match.other_agency"))
        why = " ".join(reasons)
        fields.append(card_field(card, t, why=why, platform=caller_platform))
        args = {"member": str(card.member_id), "proof": proofs[card.member_id]}
        args |= {"again": "yes"} if again else {}
        label = t("match.introduce_button", name=card.display_name[:LABEL_NAME])
        buttons.append(Button(label, INTRODUCE, args, ButtonStyle.PRIMARY))
    intro = t("match.topic_intro", topic=vocab.display(topic)) if topic else t("match.intro")
    footer = t.plural("match.hidden", hidden) if hidden else None
    return Message(
        title=t("match.title"),
        text=intro,
        fields=tuple(fields),
        buttons=tuple(buttons),
        footer=footer,
    )


def introduction_message(
    me: Card, shared: Sequence[str], vocab: TagVocabulary, t: Translator
) -> Message:
    """The DM a partner receives when a member asks to be introduced to them."""
    why = t("match.why", tags=tag_list(shared, vocab, t)) if shared else ""
    where = PLATFORM_NAMES.get(me.platform, me.platform)
    return Message(
        title=t("match.introduction_title"),
        text=t("match.introduction_text", name=me.display_name),
        fields=(card_field(me, t, why=why, platform=None),),
        footer=t("match.introduction_footer", platform=where),
    )


def round_message(
    others: Sequence[Card],
    shared: Sequence[str],
    vocab: TagVocabulary,
    when: datetime,
    t: Translator,
    *,
    for_name: str | None = None,
) -> Message:
    """A round's introduction for one member (`for_name` when posted in a channel)."""
    names = format_list([c.display_name for c in others], locale=t.lang)
    text = t("match.round_text", names=names)
    if shared:
        text += "\n" + t("match.round_shared", tags=tag_list(shared, vocab, t))
    if for_name is not None:
        text = t("match.round_for", name=for_name) + "\n" + text
    fields = tuple(card_field(card, t, why="") for card in others)
    return Message(
        title=t("match.round_title", date=t.date(when, "long")),
        text=text,
        fields=fields,
        footer=t("match.round_footer"),
    )


def question_message(
    group_id: int, others: Sequence[Card], when: datetime, t: Translator
) -> Message:
    names = format_list([c.display_name for c in others], style="or", locale=t.lang)
    args = {"group": str(group_id)}
    return Message(
        title=t("match.question_title"),
        text=t("match.question_text", names=names, date=t.date(when, "long")),
        buttons=(
            Button(t("match.answer_yes"), MET, args | {"answer": "yes"}, ButtonStyle.PRIMARY),
            Button(t("match.answer_no"), MET, args | {"answer": "no"}),
        ),
    )
