"""Reading PDFs back with Debian's poppler-utils (pdftotext, pdffonts, pdfinfo).

`.ci/run` installs them; the tests fail, rather than skip, without them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def _poppler(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return done.stdout


def pdf_text(path: Path) -> str:
    """The PDF's text with whitespace collapsed (lines are where layout put them)."""
    return " ".join(_poppler("pdftotext", "-enc", "UTF-8", str(path), "-").split())


def pdf_fonts(path: Path) -> list[dict[str, str]]:
    """pdffonts' table: one row per font, with its type and whether embedded."""
    lines = _poppler("pdffonts", str(path)).splitlines()[2:]
    rows = []
    for line in lines:
        # name type... encoding emb sub uni object ID: the last five are fixed.
        parts = line.split()
        rows.append({"name": parts[0], "emb": parts[-5], "uni": parts[-3]})
    return rows


def pdf_info(path: Path) -> dict[str, str]:
    """pdfinfo's fields ("Page size", "Pages", "CreationDate", ...)."""
    info = {}
    for line in _poppler("pdfinfo", str(path)).splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def pdf_metadata(path: Path) -> str:
    """The PDF's XMP metadata (where PDF/A declares its part and conformance)."""
    return _poppler("pdfinfo", "-meta", str(path))
