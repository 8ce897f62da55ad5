"""Uploaded documents (销号 evidence, street implementation plans): checked by size and by
content, never by the name or the type the browser claims, and stored under a generated
name. A file whose name says another kind than its content is refused (ADR 0040): a page
renamed to .png, a picture renamed to .pdf — what it is served as comes from its content,
and a download saved under a name that lies would open in the wrong program."""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.base import ContentFile

from shequ.core.errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

PDF = (b"%PDF-", ".pdf")
PNG = (b"\x89PNG\r\n\x1a\n", ".png")
JPEG = (b"\xff\xd8\xff", ".jpg")
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".doc")  # Word 97–2003 and WPS
ZIP = (b"PK\x03\x04", ".docx")  # accepted only when it holds a Word document

# The names each kind may be uploaded under (by the extension its content gives it).
NAMES = {
    ".pdf": ({".pdf"}, "PDF 文档"),
    ".png": ({".png"}, "PNG 图片"),
    ".jpg": ({".jpg", ".jpeg", ".jpe", ".jfif"}, "JPEG 图片"),
    ".doc": ({".doc", ".wps", ".dot"}, "Word 97–2003 或 WPS 文档"),
    ".docx": ({".docx"}, "Word 文档（.docx）"),
}

EVIDENCE_KINDS = (PDF, PNG, JPEG)
DOCUMENT_KINDS = (PDF, OLE, ZIP)


@dataclass(frozen=True)
class Evidence:
    original_name: str
    stored_name: str
    content: ContentFile


def _extension(data: bytes, kinds) -> str | None:
    for magic, extension in kinds:
        if data.startswith(magic) and (extension != ".docx" or _is_word(data)):
            return extension
    return None


def _is_word(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def checked_upload(upload, *, kinds, max_bytes: int, field: str, what: str, allowed: str):
    """The upload as stored content, or a DomainError naming the field."""
    if upload.size > max_bytes:
        raise DomainError(
            f"{what} {upload.size / 1024 / 1024:.1f} MB，超过 {max_bytes // 1024 // 1024} MB",
            field=field,
        )
    data = upload.read(max_bytes + 1)
    extension = _extension(data, kinds)
    name = PurePath(upload.name or "").name
    if extension is None:
        shown = f"“{name}”" if name else ""
        raise DomainError(f"{what}{shown}只能是 {allowed}", field=field)
    _require_name_fits(name, extension, field)
    return Evidence(
        original_name=(upload.name or what)[:200],
        stored_name=f"{uuid.uuid4().hex}{extension}",
        content=ContentFile(data),
    )


def _require_name_fits(name: str, extension: str, field: str) -> None:
    """A name without an extension takes the content's; one with another kind's is
    refused, naming the file and what it holds."""
    suffix = PurePath(name).suffix.lower()
    names, kind = NAMES[extension]
    if suffix and suffix not in names:
        raise DomainError(
            f"文件“{name}”的内容是{kind}，与扩展名“{suffix}”不符；请上传原文件，"
            f"或把扩展名改为 {extension}",
            field=field,
        )


def evidence_from_upload(upload) -> Evidence:
    return checked_upload(
        upload,
        kinds=EVIDENCE_KINDS,
        max_bytes=MAX_BYTES,
        field="evidence",
        what="佐证文件",
        allowed="PDF、JPEG 或 PNG",
    )


def document_from_upload(upload) -> Evidence:
    return checked_upload(
        upload,
        kinds=DOCUMENT_KINDS,
        max_bytes=MAX_DOCUMENT_BYTES,
        field="document",
        what="实施方案文件",
        allowed="PDF 或 Word/WPS 文档（.pdf、.doc、.docx、.wps）",
    )
