"""The Chinese fonts shequ ships (shequ/static/vendor/fonts/, ADR 0041): subsets of Noto
Serif SC and Noto Sans SC, TrueType, under the SIL Open Font License. The server draws
the reports' charts and writes PDFs with them, so a document looks the same on any
machine, whatever fonts it has installed."""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "fonts"

# The standard's typefaces and the free fonts that stand in for them.
SERIF = FONT_DIR / "NotoSerifSC-Regular.ttf"  # 仿宋 / 宋体: body text, tables, page numbers
SERIF_BOLD = FONT_DIR / "NotoSerifSC-Bold.ttf"  # 小标宋: the title
SANS = FONT_DIR / "NotoSansSC-Medium.ttf"  # 黑体: headings, table headers, charts
