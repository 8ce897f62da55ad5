"""The ledger's chain head in the evaluation report: a stamped paper copy of the report then
anchors every approval before it (ADR 0039). One paragraph, kept apart from the report's
layout."""

from __future__ import annotations

from docx.document import Document
from docx.shared import Pt

from shequ.ledger.fingerprint import chain_head_line

HEAD_KEY = "chain_head"  # in Evaluation.extras
HEAD_SIZE = Pt(9)


def chain_head_extra() -> dict[str, str]:
    """What `evaluation_documents` adds to the evaluation's extras."""
    return {HEAD_KEY: chain_head_line()}


def chain_head_of(extras: dict) -> str:
    """The head line the report prints ("" before the first seal)."""
    return extras.get(HEAD_KEY) or ""


def add_chain_head(document: Document, extras: dict) -> None:
    """The head, small, as the Word report's last line (nothing before the first seal)."""
    line = chain_head_of(extras)
    if not line:
        return
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(12)
    run = paragraph.add_run(line)
    run.font.size = HEAD_SIZE
