"""Evidence files for 销号: a PDF or an image, checked by size and by content, never by
the name or the type the browser claims."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile

from shequ.ledger.permissions import LedgerError

MAX_BYTES = 10 * 1024 * 1024

# The first bytes of each accepted kind, and the extension it is stored under.
SIGNATURES = (
    (b"%PDF-", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
)


@dataclass(frozen=True)
class Evidence:
    original_name: str
    stored_name: str
    content: ContentFile


def evidence_from_upload(upload) -> Evidence:
    """Checked evidence from an uploaded file, or a LedgerError naming the field."""
    if upload.size > MAX_BYTES:
        raise LedgerError(
            f"佐证文件 {upload.size / 1024 / 1024:.1f} MB，超过 {MAX_BYTES // 1024 // 1024} MB",
            field="evidence",
        )
    data = upload.read(MAX_BYTES + 1)
    extension = next((ext for magic, ext in SIGNATURES if data.startswith(magic)), None)
    if extension is None:
        raise LedgerError("佐证文件只能是 PDF、JPEG 或 PNG", field="evidence")
    # A generated name: the uploaded one never reaches the file system.
    return Evidence(
        original_name=(upload.name or "佐证")[:200],
        stored_name=f"{uuid.uuid4().hex}{extension}",
        content=ContentFile(data),
    )
