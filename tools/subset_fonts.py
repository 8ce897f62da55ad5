"""Rebuild the vendored Chinese fonts in shequ/static/vendor/fonts/ (ADR 0041).

The fonts are Google's Noto Serif SC and Noto Sans SC (SIL Open Font License 1.1) as
static TrueType files from the npm packages below; the full files are about 15 MB a weight,
so the repository keeps subsets: every character of GB 2312 (6,763 汉字 and its symbols),
every character of the region names and texts that ship with shequ, and printable ASCII.

    npm pack @expo-google-fonts/noto-serif-sc@0.4.3 @expo-google-fonts/noto-sans-sc@0.4.3
    .venv/bin/python tools/subset_fonts.py expo-google-fonts-noto-*-0.4.3.tgz

Each archive is checked against the integrity value the npm registry publishes for it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "shequ" / "static" / "vendor" / "fonts"

PACKAGES = {
    "expo-google-fonts-noto-serif-sc-0.4.3.tgz": (
        "sha512-fSmUpiSFtSeyHV45/2xUOy5SdfExklQwwMKN3cQjAZAujITHDmSbpMHCVdCMhRqMjQtu0ZRgc29u8A+CU3akfw==",
        {
            "package/400Regular/NotoSerifSC_400Regular.ttf": "NotoSerifSC-Regular.ttf",
            "package/700Bold/NotoSerifSC_700Bold.ttf": "NotoSerifSC-Bold.ttf",
        },
    ),
    "expo-google-fonts-noto-sans-sc-0.4.3.tgz": (
        "sha512-9rAwdFTFHbO/u6Cs0gj2jZbW74TGIiaFNQnXYH2s5wA1bzVkwbaviL4t8YUV642eGYjg86eH6DkAEQmfNHDncQ==",
        {"package/500Medium/NotoSansSC_500Medium.ttf": "NotoSansSC-Medium.ttf"},
    ),
}
LICENCE = "package/LICENSE_FONT"


def gb2312() -> set[str]:
    """Every character GB 2312 encodes (rows 0xA1–0xF7)."""
    characters = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                characters.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return characters


def shipped_text() -> set[str]:
    """Every character of the data files, templates and code shequ ships (place names)."""
    characters = set()
    for pattern in ("*.csv", "*.py", "*.html", "*.md"):
        for path in (ROOT / "shequ").rglob(pattern):
            characters |= set(path.read_text(encoding="utf-8", errors="ignore"))
    return characters


def wanted() -> str:
    ascii_ = {chr(code) for code in range(0x20, 0x7F)}
    extra = set("—–·…“”‘’　、。，；：？！（）《》【】〔〕％㎡×÷±≤≥①②③④⑤")
    return "".join(sorted(gb2312() | shipped_text() | ascii_ | extra))


def verified(archive: Path, integrity: str) -> tarfile.TarFile:
    data = archive.read_bytes()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != integrity:
        sys.exit(f"{archive.name}: checksum differs from the registry's ({digest})")
    return tarfile.open(fileobj=io.BytesIO(data))


def subset_font(data: bytes, text: str) -> TTFont:
    font = TTFont(io.BytesIO(data))
    options = subset.Options()
    options.hinting = False  # printed and on screen at document sizes
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    cmap = font.getBestCmap()
    subsetter.populate(text="".join(c for c in text if ord(c) in cmap))
    subsetter.subset(font)
    return font


def main(archives: list[str]) -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    text = wanted()
    for name in archives:
        archive = Path(name)
        integrity, files = PACKAGES[archive.name]
        with verified(archive, integrity) as tar:
            for member, output in files.items():
                font = subset_font(tar.extractfile(member).read(), text)
                font.save(TARGET / output)
                print(f"{output}: {(TARGET / output).stat().st_size:,} bytes")
            (TARGET / "OFL.txt").write_bytes(tar.extractfile(LICENCE).read())


if __name__ == "__main__":
    main(sys.argv[1:])
