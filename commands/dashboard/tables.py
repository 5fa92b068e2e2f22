"""The figures of a chart as the reader's locale writes them, and as a CSV file.

A CSV follows the reader's language so that a spreadsheet opens it in columns: in French,
fields are separated by ";" and decimals use a comma (what French spreadsheets expect); in
English, "," and a point. The file starts with a UTF-8 byte-order mark so accents survive.
Shares are written as percentages with one decimal.
"""

from __future__ import annotations

import csv
import io

from babel.numbers import format_decimal, format_percent

from commands.dashboard.charts import Chart, Format


def formatter(lang: str, percent: bool) -> Format:
    if percent:
        return lambda value: format_percent(value, locale=lang)
    return lambda value: format_decimal(value, "#,##0.#", locale=lang)


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
