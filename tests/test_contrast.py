"""The palette's text colours keep WCAG 2.1 AA contrast (4.5:1 for normal text) on every background they are used on:
the header and page (--surface, --bg), sunken panels, the accent's soft fill and the callouts. Read from the
stylesheet, so a palette change that breaks it fails here (axe checks the rendered pages in tests/e2e)."""
import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parent.parent / "static" / "css" / "readout.css").read_text()
TOKENS = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b", CSS))

TEXT = ["text", "text-soft", "muted", "accent", "accent-hover", "success", "warning", "danger", "info", "neutral",
        "chart-1", "chart-2", "chart-3", "chart-4", "chart-5"]  # chart-2 is also the extremized aggregate's text
BACKGROUNDS = ["surface", "bg", "surface-sunken", "accent-soft", "neutral-soft"]


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_on_known_pairs():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic lightest AA grey
    assert contrast("#d9822b", "#ffffff") == pytest.approx(2.93, abs=0.01)  # the old orange aggregate


@pytest.mark.parametrize("text", TEXT)
def test_text_colours_reach_4_5_to_1_on_every_background(text):
    low = {bg: round(contrast(TOKENS[text], TOKENS[bg]), 2) for bg in BACKGROUNDS}
    assert min(low.values()) >= 4.5, (text, TOKENS[text], low)


@pytest.mark.parametrize("text, background", [
    ("accent-text", "accent"), ("accent-text", "accent-hover"),  # buttons, the header's Sign up
    ("warning", "warning-soft"), ("success", "success-soft"), ("danger", "danger-soft"), ("info", "info-soft"),
])
def test_filled_pairs_reach_4_5_to_1(text, background):
    assert contrast(TOKENS[text], TOKENS[background]) >= 4.5, (text, background)


def test_placeholder_text_reaches_4_5_to_1():
    colour = re.search(r"::placeholder\s*\{\s*color:\s*(#[0-9a-fA-F]{6})", CSS).group(1)
    assert contrast(colour, TOKENS["surface"]) >= 4.5
