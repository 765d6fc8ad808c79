"""How wide a text is drawn: the diagram's estimate, without a font at hand.

Text widths are estimated with the metrics of DejaVu Sans, which is wider than
Helvetica and Arial, so a label fits its box whichever font renders it.
"""

from __future__ import annotations

import unicodedata

# em widths of DejaVu Sans, in groups; any other character 0.66 (0.72 non-ASCII)
_EM = {
    c: em
    for chars, em in {
        "'ijlIJ,. ": 0.32,
        '/:;\\|f-()[]t!r"': 0.42,
        "*_`szc?L": 0.56,
        "AVXZBRCUNHDG": 0.76,
        "&OQw#+<=>^~M": 0.86,
        "%mW@æÆœŒ": 1.0,
    }.items()
    for c in chars
}


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """A generous estimate of the width of `text` in a sans-serif font."""
    em = 0.0
    for c in text:
        if unicodedata.east_asian_width(c) in "WF":
            em += 1.0
        elif not unicodedata.combining(c):
            em += _EM.get(c, 0.66 if c.isascii() else 0.72)
    return em * size * (1.15 if bold else 1.0) * 1.04
