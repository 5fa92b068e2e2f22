"""Core messages -> Block Kit: golden output, escaping, and Slack's limits."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.render import (
    MAX_BLOCKS,
    MAX_FALLBACK_TEXT,
    MAX_SECTION_TEXT,
    escape,
    render_message,
    split,
)
from adapters.slack.replies import ack_body
from bot.messages import Button, ButtonStyle, Field, Link, Message, Reply
from tests.slack_harness import golden

ENTITY = re.compile(r"&(amp|lt|gt);")


EVENT = Message(
    title="Nuit du net — 4 décembre",
    text="Soirée <b>ouverte</b> à tous & toutes.\nInscription conseillée.",
    fields=(
        Field("Quand", "jeudi 4 décembre 2026, 18:00"),
        Field("Où", "Nantes, Cantine numérique"),
        Field("Programme", "18:00 accueil\n19:00 tables rondes", inline=False),
    ),
    links=(Link("Billetterie", "https://example.org/nuit?ref=slack&x=1"),),
    buttons=(
        Button("Je viens", "event.rsvp", {"event": "42", "answer": "yes"}, ButtonStyle.PRIMARY),
        Button("Je ne viens pas", "event.rsvp", {"event": "42", "answer": "no"}),
        Button("Annuler l'événement", "event.cancel", {"event": "42"}, ButtonStyle.DANGER),
    ),
    footer="Organisé par Rennes Atalante",
)


def test_event_message_golden() -> None:
    [message] = render_message(EVENT)
    golden("slack_event_message", message.payload())


def test_ack_of_a_public_reply_golden() -> None:
    golden("slack_ack_public_reply", ack_body(Reply(EVENT, ephemeral=False)))


def test_relayed_mentions_are_neutralised_exactly() -> None:
    relayed = "Salut <!channel> <!here> <!everyone> @everyone @here @Channel <@U123> <@&R1> <#C9>"
    assert escape(relayed) == (
        "Salut &lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; @\u200beveryone @\u200bhere "
        "@\u200bChannel &lt;@U123&gt; &lt;@&amp;R1&gt; &lt;#C9&gt;"
    )
    [message] = render_message(Message(title="@here <!channel>", text=relayed))
    assert message.blocks[0]["text"]["text"] == "@\u200bhere <!channel>"  # plain_text: inert
    assert message.blocks[1]["text"]["text"] == escape(relayed)
    assert "<" not in message.text and "@here" not in message.text


def test_error_replies_are_marked() -> None:
    [message] = render_message(Message(text="Option manquante"), error=True)
    assert message.blocks == (
        {"type": "section", "text": {"type": "mrkdwn", "text": ":warning: Option manquante"}},
    )


def test_long_text_is_cut_at_line_ends_within_section_limits() -> None:
    lines = [f"Agence n°{i} : " + "é" * 60 for i in range(120)]
    [message] = render_message(Message(text="\n".join(lines)))
    texts = [b["text"]["text"] for b in message.blocks]
    assert len(texts) == 4
    assert all(len(t) <= MAX_SECTION_TEXT for t in texts)
    assert "\n".join(texts).split("\n") == lines  # nothing lost, cut between lines
    assert len(message.text) <= MAX_FALLBACK_TEXT and message.text.endswith("…")


def test_cuts_never_fall_inside_an_entity_or_a_link() -> None:
    pieces = split(escape("<&>" * 2000), 3000)
    assert all(len(p) <= 3000 and "&" not in ENTITY.sub("", p) for p in pieces)
    link_lines = "\n".join(f"🔗 <https://example.org/{i}|lien {i}>" for i in range(200))
    for piece in split(link_lines, 1000):
        assert piece.count("<") == piece.count(">")


def test_a_long_reply_becomes_several_messages() -> None:
    fields = tuple(Field(f"Champ {i}", "valeur", inline=False) for i in range(120))
    messages = render_message(Message(title="Beaucoup", fields=fields))
    assert [len(m.blocks) for m in messages] == [MAX_BLOCKS, MAX_BLOCKS, 21]
    assert ack_body(Reply(Message(title="Beaucoup", fields=fields))) is None  # not in an ack


def test_fields_labels_and_buttons_respect_slack_limits() -> None:
    inline = tuple(Field(f"F{i}", "v" * 10) for i in range(12))
    buttons = tuple(Button("B" * 100, "ping") for _ in range(30))
    [message] = render_message(Message(title="T" * 400, fields=inline, buttons=buttons))
    header, row1, row2, actions1, actions2 = message.blocks
    assert len(header["text"]["text"]) == 150
    assert (len(row1["fields"]), len(row2["fields"])) == (10, 2)
    assert (len(actions1["elements"]), len(actions2["elements"])) == (25, 5)
    ids = [e["action_id"] for block in (actions1, actions2) for e in block["elements"]]
    assert len(set(ids)) == 30 and ids[:3] == ["ping", "ping#2", "ping#3"]
    assert all(len(e["text"]["text"]) == 75 for e in actions1["elements"])


def test_long_fields_are_shortened_and_spread_over_messages() -> None:
    inline = tuple(Field(f"F{i}", "v" * 3000) for i in range(12))
    messages = render_message(Message(fields=inline))
    fields = [f["text"] for m in messages for block in m.blocks for f in block["fields"]]
    assert len(fields) == 12 and all(len(f) == 2000 and f.endswith("…") for f in fields)
    sizes = [sum(len(f["text"]) for b in m.blocks for f in b["fields"]) for m in messages]
    assert max(sizes) <= 12_000 and len(messages) == 2


def test_links_only_to_web_addresses() -> None:
    links = (Link("ok", "https://a.org/x|y"), Link("pas un lien", "javascript:alert(1)"))
    [message] = render_message(Message(links=links))
    assert message.blocks[0]["text"]["text"] == (
        "🔗 <https://a.org/x%7Cy|ok>\n🔗 pas un lien: javascript:alert(1)"
    )


@given(st.text(max_size=8000))
def test_any_text_renders_within_limits_and_inert(text: str) -> None:
    for message in render_message(Message(text=text)):
        assert len(message.blocks) <= MAX_BLOCKS
        for block in message.blocks:
            shown = block["text"]["text"]
            assert 0 < len(shown) <= MAX_SECTION_TEXT
            assert "<" not in shown and ">" not in shown
            assert not re.search(r"@(channel|here|everyone)\b", shown, re.IGNORECASE)
