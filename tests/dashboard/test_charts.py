"""Charts drawn as SVG, their figures as text and CSV, and the periods they cover (pure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from bot.errors import UserError
from commands.dashboard.charts import Chart, Series, nice_max, svg
from commands.dashboard.period import month_of, parse_period, presets
from commands.dashboard.tables import csv_bytes, formatter

PARIS = ZoneInfo("Europe/Paris")
SVG = "{http://www.w3.org/2000/svg}"


def bars(values: tuple[float, ...], labels: tuple[str, ...] = ("A", "B", "C")) -> Chart:
    return Chart("k", "Titre", labels, (Series("événements", values),))


def drawn(chart: Chart) -> ET.Element:
    return ET.fromstring(str(svg(chart, formatter("fr", chart.percent), "vide")))


def test_bars_are_proportional_and_labelled_for_screen_readers() -> None:
    root = drawn(bars((10, 5, 0)))
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Titre"
    widths = [
        float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None
    ]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0
    tips = [
        r.find(f"{SVG}title").text
        for r in root.iter(f"{SVG}rect")
        if r.find(f"{SVG}title") is not None
    ]
    assert tips[0] == "A — événements : 10"


def test_labels_typed_by_people_are_escaped_and_long_ones_shortened() -> None:
    name = '<script>alert("x")</script> Agence de développement économique du Grand Ouest'
    text = str(svg(bars((3,), (name,)), formatter("fr", False), "vide"))
    assert "<script>" not in text and "&lt;script&gt;" in text
    root = ET.fromstring(text)
    label = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "label")
    assert label.find(f"{SVG}title").text == name  # whole on hover
    assert label.find(f"{SVG}title").tail.endswith("…")


def test_shares_are_drawn_against_a_full_scale() -> None:
    chart = Chart("fill", "Remplissage", ("A", "B"), (Series("taux", (0.5, 1.0)),), percent=True)
    root = drawn(chart)
    values = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"]
    assert values == ["50\u00a0%", "100\u00a0%"]


def test_lines_have_one_point_per_period_and_a_legend() -> None:
    series = (Series("répondues", (1, 4, 2)), Series("sans réponse", (0, 1, 0)))
    chart = Chart("faq", "FAQ", ("1 nov.", "8 nov.", "15 nov."), series, kind="lines")
    root = drawn(chart)
    assert len(root.findall(f"{SVG}polyline")) == 2
    assert len(root.findall(f"{SVG}circle")) == 6
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == ["répondues", "sans réponse"]


def test_an_empty_chart_says_so_instead_of_drawing() -> None:
    assert str(svg(bars((0, 0, 0)), formatter("fr", False), "Rien sur cette période.")) == (
        '<p class="chart-empty">Rien sur cette période.</p>'
    )


def test_the_axis_top_is_a_round_number() -> None:
    assert [nice_max(v) for v in (0, 3, 7, 12, 240, 999)] == [1, 5, 10, 20, 250, 1000]


def test_csv_in_french_and_in_english() -> None:
    chart = Chart(
        "k", "T", ("Rennes", "Nantes; centre"), (Series("taux", (0.5, 0.125)),), percent=True
    )
    fr = csv_bytes(chart, "agence", "fr").decode("utf-8")
    assert fr == '\ufeffagence;taux\r\nRennes;50,0\r\n"Nantes; centre";12,5\r\n'
    en = csv_bytes(chart, "agency", "en").decode("utf-8")
    assert en == "\ufeffagency,rate\r\nRennes,50.0\r\nNantes; centre,12.5\r\n".replace(
        "rate", "taux"
    )


def test_numbers_follow_the_readers_locale() -> None:
    assert formatter("fr", False)(12345) == "12\u202f345"
    assert formatter("en", False)(12345) == "12,345"
    assert formatter("fr", True)(0.256) == "26\u00a0%"  # French: a space before %
    assert formatter("en", True)(0.256) == "26%"


def test_periods_are_whole_days_of_the_federations_zone() -> None:
    today = date(2026, 11, 26)
    period = parse_period({}, today, PARIS)
    assert (period.start, period.end) == (date(2026, 11, 1), today)
    assert period.since.isoformat() == "2026-11-01T00:00:00+01:00"
    assert month_of(date(2026, 2, 10), PARIS).end == date(2026, 2, 28)
    assert parse_period({"month": "2026-03"}, today, PARIS).days == 31
    year = presets(today, PARIS)["this_year"]
    assert not year.weekly and len(year.buckets()) == 11  # months from January


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"from": "2026-12-01", "to": "2026-11-01"}, "dashboard.period.reversed"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "dashboard.period.too_long"),
        ({"from": "hier"}, "dashboard.period.bad_date"),
        ({"month": "novembre"}, "dashboard.period.bad_month"),
    ],
)
def test_a_period_typed_wrong_is_refused_with_its_reason(query: dict, key: str) -> None:
    with pytest.raises(UserError) as err:
        parse_period(query, date(2026, 11, 26), PARIS)
    assert err.value.key == key
