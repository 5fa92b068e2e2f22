"""The stylesheet's colours are readable: text at least 4.5:1 against the backgrounds it is
written on (WCAG AA), chart series at least 3:1 against the page (WCAG's graphics)."""

from __future__ import annotations

import re
from pathlib import Path

CSS = (Path(__file__).resolve().parents[2] / "commands/dashboard/static/dashboard.css").read_text()


def colour(name: str) -> str:
    found = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS)
    assert found, name
    return found.group(1)


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_meet_wcag_aa() -> None:
    pairs = [
        (colour("ink"), colour("paper")),
        (colour("ink"), colour("soft")),
        (colour("muted"), colour("paper")),
        (colour("muted"), colour("soft")),
        (colour("brand"), colour("paper")),
        ("#ffffff", colour("brand-dark")),  # the header
        ("#ffffff", colour("brand")),  # primary buttons
        (colour("ok"), "#e3f2e8"),  # "remise"
        (colour("bad"), "#fbecec"),  # "échec"
        (colour("warn"), "#fff4e0"),  # "en attente"
    ]
    assert [(a, b) for a, b in pairs if contrast(a, b) < 4.5] == []


def test_chart_colours_stand_out_from_the_page() -> None:
    series = [colour(f"s{i}") for i in range(3)]
    assert [s for s in series if contrast(s, colour("paper")) < 3] == []
