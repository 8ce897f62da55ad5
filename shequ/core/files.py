"""Files the rows name (plan evidence, street plans, checklist photos): replacing one, and
serving one as what its content is, never as what its uploaded name says (ADR 0040)."""

from __future__ import annotations

import zipfile
from pathlib import PurePath

from django.core.files.base import File
from django.db import transaction
from django.db.models.fields.files import FieldFile

# The kinds the system takes, by their first bytes; a zip is told apart by what it holds.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # .doc, .xls, .wps
)
ZIP = b"PK\x03\x04"
ZIP_TYPES = (
    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)
OLE_TYPES = {".doc": "application/msword", ".wps": "application/msword"}
UNKNOWN = "application/octet-stream"
SNIFFED_BYTES = 8


def delete_after_commit(field_file: FieldFile, name: str) -> None:
    """Delete the stored file `name` once the change that stopped naming it commits: never
    before, so that a rolled-back change still finds the file its row names."""
    if name:
        storage = field_file.storage
        transaction.on_commit(lambda: storage.delete(name))


def replace_file(field_file: FieldFile, stored_name: str, content: File) -> None:
    """Store `content` in the field (the row is saved by the caller, in its transaction);
    the file it replaces goes after commit."""
    old = field_file.name
    field_file.save(stored_name, content, save=False)
    delete_after_commit(field_file, old)


def content_type_of(head: bytes, stored_name: str = "", zip_names: list[str] | None = None) -> str:
    """The content type of a file from its first bytes (a zip from the names inside it);
    an OLE file (Word 97 or Excel 97) is told apart by the extension we stored it under,
    itself taken from its content. Anything else is `application/octet-stream`."""
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            if content_type == "application/x-ole-storage":
                return OLE_TYPES.get(stored_name[-4:].lower(), UNKNOWN)
            return content_type
    if head.startswith(ZIP) and zip_names is not None:
        for prefix, content_type in ZIP_TYPES:
            if any(name.startswith(prefix) for name in zip_names):
                return content_type
    return UNKNOWN


def sniffed_type(field_file: FieldFile) -> str:
    """The content type of a stored file, read from the file itself."""
    with field_file.open("rb") as stream:
        head = stream.read(SNIFFED_BYTES)
        zip_names = None
        if head.startswith(ZIP):
            stream.seek(0)
            try:
                with zipfile.ZipFile(stream) as archive:
                    zip_names = archive.namelist()
            except zipfile.BadZipFile:
                zip_names = None
    return content_type_of(head, field_file.name, zip_names)


SAME_EXTENSIONS = {".jpeg": ".jpg", ".jpe": ".jpg", ".jfif": ".jpg", ".wps": ".doc"}


def served_name(original: str, stored_name: str) -> str:
    """The name a download is saved under: the uploaded name, with the extension of what
    the file is (the stored name's, from its content) where the uploaded one says other."""
    original = PurePath(original or "").name or "file"
    have, want = PurePath(original).suffix.lower(), PurePath(stored_name).suffix.lower()
    if not want or SAME_EXTENSIONS.get(have, have) == SAME_EXTENSIONS.get(want, want):
        return original
    return f"{PurePath(original).stem}{want}"
