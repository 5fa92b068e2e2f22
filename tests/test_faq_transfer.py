"""`fedbot faq import|export`: YAML in and out, idempotent by id, and a file with a mistake
refused whole, with the line of the mistake, changing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.app import BotApp
from bot.i18n import translator
from commands.faq.store.entries import FaqRepo
from commands.faq.transfer import ImportProblem, export_text, import_text, parse_entries
from fedbot.cli import main
from tests.conftest import make_config
from tests.faq_support import EVAL_ENTRIES, load_eval_faq

GOOD = """\
- id: 7
  question: Comment adhérer ?
  answer: Remplissez le formulaire.
  tags: adhésion, membre
  variants:
    - Comment devenir membre ?
  translations:
    en:
      question: How do we join?
      answer: Fill in the form.
- question: Quand payer la cotisation ?
  lang: fr
  answer: |
    Avant le 31 mars,
    par virement.
"""

BAD = [
    # (file, line of the mistake, what the operator reads)
    ("question: x\n", 1, "le fichier doit être une liste d'entrées"),
    ("- question: Comment adhérer ?\n  answer: [oui\n", 3, "YAML invalide"),
    ("- question: Comment adhérer ?\n", 1, "il manque le champ « answer »"),
    ("- question: Q ?\n  answer: R\n  anwser: x\n", 3, "champ inconnu « anwser »"),
    ("- question: Q ?\n  answer: R\n  question: Q2 ?\n", 3, "apparaît deux fois"),
    ("- id: -3\n  question: Q ?\n  answer: R\n", 1, "l'id doit être un nombre entier positif"),
    ("- id: 2\n  question: Q ?\n  answer: R\n- id: 2\n  question: P ?\n  answer: S\n", 4, "l'id 2"),
    ("- question: Q ?\n  answer: R\n  lang: de\n", 3, "Langue inconnue « de »"),
    ("- question: Q ?\n  answer: ''\n", 2, "Une réponse compte de 1 à 2000 caractères."),
    ("- question: Q ?\n  answer: R\n  tags: [a, [b]]\n", 3, "« tags » doit être du texte"),
    (
        "- question: Q ?\n  answer: R\n  translations:\n    fr:\n      question: Q ?\n"
        "      answer: R\n",
        4,
        "La traduction doit être dans l'autre langue",
    ),
    (
        "- question: Q ?\n  answer: R\n  translations:\n    en:\n      question: Q?\n",
        5,
        "il manque le champ « answer »",
    ),
    # YAML's safe subset only: Python tags are refused, never run.
    ("- question: !!python/object/apply:os.system [echo hi]\n  answer: R\n", 1, "du texte"),
    ("- question: Q ?\n  answer: !!python/name:os.system\n", 2, "YAML invalide"),
]


@pytest.mark.parametrize(("text", "line", "said"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_mistakes_are_reported_with_their_line(text: str, line: int, said: str) -> None:
    with pytest.raises(ImportProblem) as caught:
        parse_entries(text)
    message = caught.value.describe(translator("fr"))
    assert caught.value.line == line, message
    assert message.startswith(f"ligne {line}\u00a0: ") and said in message, message


def test_a_good_file_is_read_whole() -> None:
    (first_id, first), (second_id, second) = parse_entries(GOOD)
    assert first_id == 7 and second_id is None
    assert first.tags == ("adhésion", "membre")
    assert first.variants == ("Comment devenir membre ?",)
    assert first.translations == {"en": ("How do we join?", "Fill in the form.")}
    assert second.answer == "Avant le 31 mars,\npar virement."
    assert parse_entries("") == []


async def test_a_malformed_file_changes_nothing(app: BotApp) -> None:
    faq = app.services.get(FaqRepo)
    await load_eval_faq(app)
    before = await faq.all()
    text = EVAL_ENTRIES.read_text("utf-8").replace("sous 15 jours", "sous 10 jours")
    text += "- question: Une question de plus ?\n  answer: R\n  lang: es\n"
    with pytest.raises(ImportProblem):
        await import_text(faq, text, app.clock.now())
    assert await faq.all() == before
    assert "sous 15 jours" in faq.index.doc(1).answer


async def test_an_export_reimports_unchanged_and_without_ids_matches_by_question(
    app: BotApp,
) -> None:
    faq = app.services.get(FaqRepo)
    await import_text(faq, GOOD, app.clock.now())
    exported = export_text(await faq.all())
    assert yaml.safe_load(exported)[0] == {
        "id": 7,
        "lang": "fr",
        "question": "Comment adhérer ?",
        "answer": "Remplissez le formulaire.",
        "tags": ["adhésion", "membre"],
        "variants": ["Comment devenir membre ?"],
        "translations": {"en": {"question": "How do we join?", "answer": "Fill in the form."}},
    }
    counts = await import_text(faq, exported, app.clock.now())
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 2)
    again = await import_text(faq, GOOD, app.clock.now())  # the id-less entry: by question
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert [e.id for e in await faq.all()] == [7, 8]


def test_the_cli_imports_exports_and_refuses(tmp_path: Path, capsys) -> None:
    url = make_config(tmp_path).bot.database_url
    good, bad, out = tmp_path / "faq.yaml", tmp_path / "bad.yaml", tmp_path / "out.yaml"
    good.write_text(GOOD, "utf-8")
    bad.write_text("- question: Q ?\n  answer: R\n  anwser: x\n", "utf-8")
    assert main(["faq", "import", str(good), "--db", url]) == 0
    assert "2 entrées créées, 0 mise à jour, 0 inchangée." in capsys.readouterr().out
    assert main(["faq", "import", str(good), "--db", url]) == 0
    assert "0 entrée créée, 0 mise à jour, 2 inchangées." in capsys.readouterr().out
    assert main(["faq", "import", str(bad), "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad} refusé, rien n'a été modifié : ligne 3 : champ inconnu")
    assert main(["faq", "import", str(tmp_path / "none.yaml"), "--db", url]) == 2
    capsys.readouterr()
    assert main(["faq", "export", str(out), "--db", url]) == 0
    assert capsys.readouterr().out.strip() == f"2 entrées exportées dans {out}."
    assert [e["question"] for e in yaml.safe_load(out.read_text("utf-8"))] == [
        "Comment adhérer ?",
        "Quand payer la cotisation ?",
    ]
