"""Files the pages hand out: their content types and download headers."""

from urllib.parse import quote

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse

from shequ.core.files import UNKNOWN, served_name, sniffed_type

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENT_TYPES = {
    "xlsx": XLSX,
    "docx": DOCX,
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
INLINE_TYPES = ("image/png", "image/jpeg")


def attachment(filename: str) -> str:
    """An ASCII name for old browsers, the Chinese one (RFC 6266) for the rest."""
    ascii_name = f"ledger.{filename.rsplit('.', 1)[1]}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def download(data: bytes | None, filename: str) -> HttpResponse:
    """A response that saves as `filename` (content type from its extension); `data` may
    be None for a response the caller writes into."""
    response = HttpResponse(data or b"", content_type=CONTENT_TYPES[filename.rsplit(".", 1)[1]])
    response["Content-Disposition"] = attachment(filename)
    return response


def stored_file(stored: FieldFile, uploaded_name: str, *, inline: bool = False) -> FileResponse:
    """An uploaded file, to a caller already checked for scope, typed by its content (ADR
    0040): never by the name it was uploaded under. Only a photo is shown in the page
    (`inline`); anything else, and anything not known, is a download, and no browser is
    to guess another type (`nosniff`)."""
    content_type = sniffed_type(stored)
    shown = inline and content_type in INLINE_TYPES
    response = FileResponse(
        stored.open("rb"),
        as_attachment=not shown,
        filename=served_name(uploaded_name, stored.name),
        content_type=content_type or UNKNOWN,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
