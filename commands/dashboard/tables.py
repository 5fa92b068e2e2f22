"""The figures of a chart as the reader's locale writes them, and as a CSV file.

A CSV follows the reader's language so that a spreadsheet opens it in columns: in French,
fields are separated by ";" and decimals use a comma (what French spreadsheets expect); in
English, "," and a point. The file starts with a UTF-8 byte-order mark so accents survive.
Shares are written as percentages with one decimal.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from html import escape

from babel.numbers import format_percent, get_decimal_symbol, get_group_symbol
from markupsafe import Markup

from commands.dashboard.charts import Chart, Format


@cache
def formatter(lang: str, percent: bool) -> Format:
    """Numbers as the locale writes them ("12 345", "26 %" in French; "12,345", "26%" in
    English). Babel gives the symbols and the percent pattern once; formatting itself is
    Python's: a report shows thousands of figures, and Babel costs tens of µs each."""
    group, decimal = get_group_symbol(lang), get_decimal_symbol(lang)
    sample = format_percent(0.5, locale=lang)  # "50 %", "50%": where the sign goes
    before, _, after = sample.partition("50")

    def number(value: float) -> str:
        rounded = round(value, 1)
        text = f"{int(rounded):,}" if rounded == int(rounded) else f"{rounded:,.1f}"
        return text.replace(",", "\0").replace(".", decimal).replace("\0", group)

    if percent:
        return lambda value: f"{before}{number(round(value * 100))}{after}"
    return number


def table_html(chart: Chart, first_column: str, fmt: Format) -> Markup:
    """The chart's figures as an HTML table (built here rather than in the template: a report
    has hundreds of cells, and a Jinja macro call per cell is what made pages slow)."""
    head = "".join(f'<th scope="col" class="num">{escape(s.name)}</th>' for s in chart.series)
    rows = "".join(
        f'<tr><th scope="row">{escape(label)}</th>'
        + "".join(f'<td class="num">{escape(fmt(v))}</td>' for v in values)
        + "</tr>"
        for label, values in chart.rows()
    )
    return Markup(
        f'<div class="table-wrap"><table><caption>{escape(chart.title)}</caption>'
        f'<thead><tr><th scope="col">{escape(first_column)}</th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def csv_bytes(chart: Chart, group_label: str, lang: str) -> bytes:
    separator, decimal = (";", ",") if lang == "fr" else (",", ".")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow([group_label, *(s.name for s in chart.series)])
    for label, values in chart.rows():
        writer.writerow([label, *(_number(v, chart.percent, decimal) for v in values)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _number(value: float, percent: bool, decimal: str) -> str:
    if percent:
        text = f"{value * 100:.1f}"
    elif float(value).is_integer():
        text = str(int(value))
    else:
        text = f"{value:.2f}"
    return text.replace(".", decimal)
