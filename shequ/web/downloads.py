"""Headers for files the pages hand out."""

from urllib.parse import quote


def attachment(filename: str) -> str:
    """An ASCII name for old browsers, the Chinese one (RFC 6266) for the rest."""
    ascii_name = f"ledger.{filename.rsplit('.', 1)[1]}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
