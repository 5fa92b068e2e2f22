"""`profile set / show / tags` as members use them: normalised interests, "did you mean",
consent off until given, visibility, validation that loses nothing, tag autocomplete."""

from __future__ import annotations

from bot.app import BotApp
from tests.match_support import caller, member_id, plain, profile, setup_agencies, type_in


def _field(reply, name: str) -> str:
    found = [f.value for f in reply.message.fields if f.name == name]
    assert found, [f.name for f in reply.message.fields]
    return found[0]


async def test_interests_are_normalised_and_the_reply_says_how(app: BotApp) -> None:
    await setup_agencies(app)
    reply = await type_in(
        app,
        '/profile set interests:"Tiers lieux, Hackathons, third places, Numérique" '
        'role:"Chargée de mission"',
        channel="nantes",
    )
    assert reply.message.title == "Votre profil est créé"
    # "third places" means tiers-lieux: kept once, in the federation's spelling.
    assert _field(reply, "Thèmes") == "hackathon, numérique, tiers-lieux"  # alphabetical
    assert "« Tiers lieux » → tiers-lieux" in reply.message.text
    assert "« Hackathons » → hackathon" in reply.message.text
    assert _field(reply, "Agence") == "Nantes Métropole Développement"  # the channel's
    assert _field(reply, "Fonction") == "Chargée de mission"


async def test_a_new_tag_gets_a_did_you_mean_towards_tags_in_use(app: BotApp) -> None:
    await profile(app, "bob", "économie circulaire")
    reply = await type_in(app, '/profile set interests:"economie circulair, zythologie"')
    text = reply.message.text
    assert (
        "« economie circulair » est un nouveau thème. Vouliez-vous dire économie circulaire ?"
        in text
    )
    assert "« zythologie » est un nouveau thème : vous êtes le premier à l'utiliser." in text
    english = await type_in(app, '/profile set interests:"economie circulair"', lang="en")
    assert "Did you mean économie circulaire?" in english.message.text


async def test_matching_is_off_until_the_member_says_yes(app: BotApp) -> None:
    reply = await type_in(app, '/profile set interests:"hackathon"')
    assert _field(reply, "Mises en relation").startswith("non")
    assert "tant que vous n'aurez pas dit oui" in reply.message.footer
    assert _field(reply, "Profil visible").startswith("non")
    reply = await type_in(app, "/profil modifier rencontres:oui")
    assert _field(reply, "Mises en relation").startswith("oui")
    assert reply.message.footer is None
    assert _field(reply, "Thèmes") == "hackathon"  # untouched fields stay


async def test_another_members_profile_shows_only_if_they_allow_it(app: BotApp) -> None:
    await profile(app, "bob", "hackathon", visible=False)
    refused = await type_in(app, "/profile show user:bob")
    assert refused.is_error and refused.message.text == "Le profil de ce membre n'est pas visible."
    # Nobody learns whether a profile exists: the answer is the same for an unknown member.
    unknown = await type_in(app, "/profile show user:nobody")
    assert unknown.message.text == refused.message.text
    await type_in(app, "/profile set visible:yes", user="bob")
    shown = await type_in(app, "/profile show user:bob", lang="en")
    assert shown.message.title == "Bob's profile"
    assert _field(shown, "Topics") == "hackathon"
    assert "Introductions" not in [f.name for f in shown.message.fields]  # consent is private


async def test_mistakes_are_explained_and_change_nothing(app: BotApp) -> None:
    await type_in(app, '/profile set interests:"hackathon" languages:fr')
    too_many = ", ".join(f"sujet {i}" for i in range(21))
    cases = {
        f'/profile set interests:"{too_many}"': "Trop de thèmes : 20 au plus",
        '/profile set interests:"x, hackathon"': "Le thème « x » est trop court",
        '/profile set interests:"' + "a" * 41 + '"': "est trop long (40 caractères au plus)",
        '/profile set interests:"!!!"': "« !!! » n'est pas un thème",
        "/profile set languages:zz": "Je ne connais pas la langue « zz »",
        '/profile set agency:"Agence inconnue"': "Agence inconnue",
        f'/profile set description:"{"x" * 501}"': "500 caractères au maximum",
        "/profile set": "Dites ce qu'il faut changer",
    }
    for line, expected in cases.items():
        reply = await type_in(app, line)
        assert reply.is_error and expected in reply.message.text, (line, reply.message.text)
    shown = await type_in(app, "/profile show")
    assert _field(shown, "Thèmes") == "hackathon"
    assert _field(shown, "Langues") == "français"


async def test_dash_empties_a_field_and_languages_read_in_the_readers_language(
    app: BotApp,
) -> None:
    await setup_agencies(app)
    await type_in(
        app, '/profile set languages:"fr, anglais, breton" role:Fabmanager', channel="lyon"
    )
    shown = await type_in(app, "/profile show", lang="en")
    assert plain(_field(shown, "Languages")) == "French, English, and Breton"
    reply = await type_in(app, "/profile set role:- agency:-")
    assert "Fonction" not in [f.name for f in reply.message.fields]
    assert _field(reply, "Agence") == "—"


async def test_profile_tags_lists_tags_in_use_then_the_federations(app: BotApp) -> None:
    await profile(app, "bob", "hackathon, tiers-lieux")
    await profile(app, "carol", "hackathon, zythologie")
    reply = await type_in(app, "/profile tags")
    used = reply.message.fields[0].value.splitlines()
    assert used[0] == "hackathon (2)"
    assert {"tiers-lieux (1)", "zythologie (1)"} <= set(used)
    assert "coworking" in reply.message.fields[1].value  # canonical, unused yet
    found = await type_in(app, "/profile tags search:third")
    assert found.message.fields[0].value.splitlines()[0] == "tiers-lieux (1)"


async def test_tag_autocomplete_completes_the_last_tag_of_the_list(app: BotApp) -> None:
    await profile(app, "bob", "hackathon")
    completer = app.completer
    choices = await completer.complete("tag", app.services, "tiers-lieux, hack", caller("a"))
    assert choices[0] == ("hackathon (1)", "tiers-lieux, hackathon")
    synonyms = await completer.complete("tag", app.services, "third pl", caller("a"))
    assert synonyms[0][1] == "tiers-lieux"
    empty = await completer.complete("tag", app.services, "", caller("a"))
    assert empty[0] == ("hackathon (1)", "hackathon") and len(empty) == 25


async def test_profile_set_creates_the_member_row_only_then(app: BotApp) -> None:
    await type_in(app, "/profile show")
    assert await app.services.members.find("console", "local", "alice") is None
    await type_in(app, "/profile set match:yes")
    assert await member_id(app, "alice") > 0
