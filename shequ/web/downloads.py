"""Files the pages hand out: their content types and download headers."""

from urllib.parse import quote

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENT_TYPES = {
    "xlsx": XLSX,
    "docx": DOCX,
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


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
