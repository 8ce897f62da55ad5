"""Uploaded documents (销号 evidence, street implementation plans): checked by size and by
content, never by the name or the type the browser claims, and stored under a generated
name."""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass

from django.core.files.base import ContentFile

from shequ.core.errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

PDF = (b"%PDF-", ".pdf")
PNG = (b"\x89PNG\r\n\x1a\n", ".png")
JPEG = (b"\xff\xd8\xff", ".jpg")
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".doc")  # Word 97–2003 and WPS
ZIP = (b"PK\x03\x04", ".docx")  # accepted only when it holds a Word document

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
    if extension is None:
        raise DomainError(f"{what}只能是 {allowed}", field=field)
    return Evidence(
        original_name=(upload.name or what)[:200],
        stored_name=f"{uuid.uuid4().hex}{extension}",
        content=ContentFile(data),
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
