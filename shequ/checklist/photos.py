"""Photos of checklist items: JPEG or PNG only, checked by their first bytes (the plans'
upload check), at most 5 MB — a phone photo fits, a video or a document does not."""

from __future__ import annotations

from shequ.plans.evidence import JPEG, PNG, Evidence, checked_upload

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_KINDS = (JPEG, PNG)


def photo_from_upload(upload, *, label: str = "") -> Evidence:
    """The upload as a stored photo, or a DomainError naming the item."""
    return checked_upload(
        upload,
        kinds=PHOTO_KINDS,
        max_bytes=MAX_PHOTO_BYTES,
        field="photo",
        what=f"{label}照片" if label else "照片",
        allowed="JPEG 或 PNG 图片",
    )
