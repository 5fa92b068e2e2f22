"""Core messages -> Discord payloads (pure rendering), pinned as golden dictionaries.

Every message must fit Discord's limits (a payload over a limit is refused outright, and the
user sees nothing), and user text must never ping.
"""

from __future__ import annotations

from typing import Any

from adapters.discord.render import (
    NO_MENTIONS,
    ZWSP,
    Outgoing,
    clip,
    defuse,
    render_message,
    render_reply,
    split_text,
)
from bot.messages import Attachment, Button, ButtonStyle, Field, Link, Message, Reply

BLUE, RED = 0x1F6FB2, 0xC0392B


def payload(part: Outgoing) -> dict[str, Any]:
    """What discord.py would send for this part (content, embeds, components, file names)."""
    view = part.view()
    return {
        "content": part.content,
        "embeds": [embed.to_dict() for embed in part.embeds],
        "components": view.to_components() if view is not None else [],
        "files": [file.filename for file in part.files()],
    }


def embed_chars(part: Outgoing) -> int:
    return sum(len(embed) for embed in part.embeds)


def test_a_short_plain_reply_is_message_content() -> None:
    (part,) = render_message(Message(text="Pong ! fedbot fonctionne."))
    assert payload(part) == {
        "content": "Pong ! fedbot fonctionne.",
        "embeds": [],
        "components": [],
        "files": [],
    }
    assert part.send_kwargs() == {
        "allowed_mentions": NO_MENTIONS,
        "content": "Pong ! fedbot fonctionne.",
    }
    assert NO_MENTIONS.to_dict() == {"parse": []}


def test_a_rich_message_becomes_an_embed_with_buttons() -> None:
    message = Message(
        title="Forum des agences",
        text="Rendez-vous jeudi à Nantes.",
        fields=(
            Field("Lieu", "Nantes"),
            Field("Programme", "9h accueil\n10h ateliers", inline=False),
        ),
        links=(
            Link("Inscription", "https://example.org/forum"),
            Link("Contact", "mailto:contact@example.org"),  # not a link button on Discord
        ),
        buttons=(
            Button("J'y vais", "event.rsvp", {"id": "12"}, ButtonStyle.PRIMARY),
            Button("Annuler", "event.cancel", {"id": "12"}, ButtonStyle.DANGER),
            Button("Détails", "event.show", {"id": "12"}),
        ),
        footer="fedbot",
    )
    (part,) = render_message(message)
    assert payload(part) == {
        "content": None,
        "embeds": [
            {
                "type": "rich",
                "flags": 0,
                "color": BLUE,
                "title": "Forum des agences",
                "description": "Rendez-vous jeudi à Nantes.\nContact: mailto:contact@example.org",
                "fields": [
                    {"name": "Lieu", "value": "Nantes", "inline": True},
                    {"name": "Programme", "value": "9h accueil\n10h ateliers", "inline": False},
                ],
                "footer": {"text": "fedbot"},
            }
        ],
        "components": [
            {
                "type": 1,
                "components": [
                    {
                        "type": 2,
                        "style": 1,
                        "disabled": False,
                        "label": "J'y vais",
                        "custom_id": "fb:event.rsvp:id=12",
                    },
                    {
                        "type": 2,
                        "style": 4,
                        "disabled": False,
                        "label": "Annuler",
                        "custom_id": "fb:event.cancel:id=12",
                    },
                    {
                        "type": 2,
                        "style": 2,
                        "disabled": False,
                        "label": "Détails",
                        "custom_id": "fb:event.show:id=12",
                    },
                    {
                        "type": 2,
                        "style": 5,
                        "disabled": False,
                        "label": "Inscription",
                        "url": "https://example.org/forum",
                    },
                ],
            }
        ],
        "files": [],
    }


def test_errors_are_red() -> None:
    (part,) = render_reply(Reply(Message(title="Erreur", text="Agence inconnue"), is_error=True))
    assert part.embeds[0].colour is not None and part.embeds[0].colour.value == RED
    (plain,) = render_reply(Reply.error("Agence inconnue"))
    assert plain.content == "Agence inconnue"


def test_mentions_are_defused_everywhere() -> None:
    hostile = "@everyone @here <@&42> <@!7> <@7>"
    assert defuse(hostile) == (f"@{ZWSP}everyone @{ZWSP}here <@{ZWSP}&42> <@{ZWSP}!7> <@{ZWSP}7>")
    assert defuse("écrire à contact@here.fr") == f"écrire à contact@{ZWSP}here.fr"  # harmless
    message = Message(
        title=hostile,
        text=hostile,
        fields=(Field(hostile, hostile),),
        buttons=(Button(hostile, "event.rsvp"),),
        links=(Link(hostile, "https://example.org"),),
        footer=hostile,
    )
    (part,) = render_message(message)
    shown = str(payload(part))
    assert "@everyone" not in shown and "@here" not in shown and "<@&" not in shown
    assert "<@7>" not in shown and "<@!7>" not in shown
    (plain,) = render_message(Message(text=hostile))
    assert plain.content == defuse(hostile)


def test_long_text_is_split_within_discords_limits() -> None:
    paragraph = "Les agences se retrouvent jeudi pour le forum annuel. " * 20  # ~1 000 chars
    text = "\n\n".join([paragraph.strip()] * 14)  # ~15 000 chars
    buttons = (Button("Lu", "news.read"),)
    files = (Attachment("programme.pdf", b"%PDF"),)
    message = Message(title="Compte rendu", text=text, buttons=buttons, attachments=files)
    parts = render_message(message)

    assert len(parts) == 4
    for part in parts:
        assert part.content is None
        assert embed_chars(part) <= 6000 and len(part.embeds) <= 10
        assert all(len(embed.description or "") <= 4096 for embed in part.embeds)
    assert parts[0].embeds[0].title == "Compte rendu"
    # Cut between paragraphs, and nothing lost.
    descriptions = [embed.description or "" for part in parts for embed in part.embeds]
    assert all(d.endswith("annuel.") for d in descriptions)
    assert "\n\n".join(descriptions) == text
    # Buttons and files ride on the last message only.
    assert [bool(p.buttons) for p in parts] == [False, False, False, True]
    assert [p.files() and p.files()[0].filename for p in parts][-1] == "programme.pdf"


def test_fields_beyond_what_an_embed_holds_continue_in_the_next() -> None:
    fields = tuple(Field(f"Agence {i}", f"Région {i}") for i in range(30))
    long_value = Field("Programme", "atelier " * 300)  # 2 400 chars > 1 024
    (part,) = render_message(Message(title="Agences", fields=(*fields, long_value)))
    first, second = part.embeds
    assert len(first.fields) == 25 and len(second.fields) == 5 + 3
    continued = second.fields[-3:]
    assert [f.name for f in continued] == ["Programme", ZWSP, ZWSP]
    assert all(len(f.value or "") <= 1024 for f in continued)
    assert " ".join(f.value or "" for f in continued).strip() == long_value.value.strip()


def test_more_than_ten_files_take_several_messages() -> None:
    files = tuple(Attachment(f"f{i}.ics", b"BEGIN:VCALENDAR") for i in range(12))
    parts = render_message(Message(text="Vos invitations", attachments=files))
    assert [payload(p)["files"] for p in parts] == [
        [f"f{i}.ics" for i in range(10)],
        ["f10.ics", "f11.ics"],
    ]
    assert parts[0].content == "Vos invitations" and parts[1].content is None


def test_components_stay_within_limits() -> None:
    buttons = tuple(Button(f"Choix {i}", "poll.vote", {"n": str(i)}) for i in range(30))
    too_long = Button("Trop long", "poll.vote", {"text": "x" * 120})
    long_label = Button("É" * 90, "poll.vote")
    links = (Link("Site", "https://example.org"),)
    (part,) = render_message(
        Message(text="Votez", buttons=(too_long, long_label, *buttons), links=links)
    )
    rows = payload(part)["components"]
    assert len(rows) == 5 and all(len(row["components"]) == 5 for row in rows)
    labels = [c["label"] for row in rows for c in row["components"]]
    assert labels[0] == "É" * 79 + "…" and "Trop long" not in labels
    assert "Site" not in labels  # no room left: the link is written out instead
    assert part.content == "Votez\nSite: https://example.org"


def test_an_empty_message_still_says_something() -> None:
    (part,) = render_message(Message())
    assert part.content == "…"
    (buttons_only,) = render_message(Message(buttons=(Button("OK", "x.ok"),)))
    assert buttons_only.content is None and buttons_only.view() is not None


def test_edits_replace_every_part_of_the_message() -> None:
    (part,) = render_message(Message(text="Inscription enregistrée"))
    assert part.edit_kwargs() == {
        "content": "Inscription enregistrée",
        "embeds": [],
        "view": None,
        "attachments": [],
        "allowed_mentions": NO_MENTIONS,
    }


def test_text_helpers() -> None:
    assert clip("Forum des agences de développement", 20) == "Forum des agences…"
    assert clip("x" * 30, 10) == "x" * 9 + "…"
    assert split_text("un deux trois", 8) == ["un deux", "trois"]
    assert split_text("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert split_text("", 10) == []
