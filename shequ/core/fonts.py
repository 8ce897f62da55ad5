"""The Chinese fonts shequ ships (shequ/static/vendor/fonts/, ADR 0041): subsets of Noto
Serif SC and Noto Sans SC, TrueType, under the SIL Open Font License. The server draws
the reports' charts and writes PDFs with them, so a document looks the same on any
machine, whatever fonts it has installed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "fonts"

# The standard's typefaces and the free fonts that stand in for them.
SERIF = FONT_DIR / "NotoSerifSC-Regular.ttf"  # 仿宋 / 宋体: body text, tables, page numbers
SERIF_BOLD = FONT_DIR / "NotoSerifSC-Bold.ttf"  # 小标宋: the title
SANS = FONT_DIR / "NotoSansSC-Medium.ttf"  # 黑体: headings, table headers, charts


def missing_characters(text: str, font: Path) -> list[str]:
    """The characters of `text` that `font` has no glyph for, each once, in code order:
    drawn with it, each would be an empty box. (The subsets keep every ASCII character.)"""
    covered = _characters(font)
    return sorted({c for c in text if ord(c) > 0x7F and ord(c) not in covered})


@cache
def _characters(font: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # matplotlib's dependency; only documents need it

    with TTFont(font, lazy=True) as face:
        return frozenset(face.getBestCmap())
