"""One policy for every text the system stores (issue 25, ADR 0037).

Where the limits live: in the model field. Each `CharField` and `TextField` a user or a
file can write has a `max_length`; a CharField is one line, a TextField may hold line
breaks. PostgreSQL refuses a too-long `varchar` (a 500 in the middle of an action) and
SQLite stores it silently, so the length is checked here, before the write, the same on
both, by the service every page, API operation, CLI verb and import goes through
(`field_text`). The free texts stored in TextFields take the lengths below.

What is done to the characters (`text_normal`), before the length is counted:

- line breaks are made one kind, `\\n`: `\\r\\n`, `\\r`, and the breaks Word and other
  programs leave on copy-paste (`\\x0b` vertical tab — Word's manual line break —, `\\x0c`
  form feed, `\\x1c`–`\\x1e`, `\\x85`, U+2028, U+2029); in a one-line field each break and
  tab becomes a space;
- every other control character (C0 but the tab, `\\x7f`, C1) and every lone surrogate is
  removed: they are invisible, never meant, and a Word or Excel file cannot hold them;
- a NUL byte is refused (`DomainError`): it means the text was not text (a binary or a
  UTF-16 file read as UTF-8), and PostgreSQL cannot store it;
- spaces at either end are removed.

Texts the system composes from stored ones (a notice, an audit summary, an e-mail's
subject) are cut to their field with `text_cut`, never refused. What leaves for a document
goes through `document_text`, so that text stored before this policy still downloads.
"""

from __future__ import annotations

import re
from typing import Any

from shequ.core.errors import DomainError

# The lengths of the free texts (TextField): characters, as Python and PostgreSQL count.
REASON = 500  # why: a return, a reopen, an extension, a send-back, an audit's reason
NOTE = 2000  # a note: 备注, 情况说明, 说明, 销号说明, what a consultation said

# Breaks that mean a new line: Word's manual line break (\x0b), page break (\x0c), the
# separators str.splitlines() also splits on, and Unicode's line and paragraph separators.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Controls that mean nothing in a stored text (NUL is refused before this), and lone
# surrogates, which no encoding can write.
_INVISIBLE = re.compile("[\x01-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")
# What XML 1.0 (and so .docx and .xlsx) cannot hold at all.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ONE_LINE = re.compile("[\n\t]")
_HEADER_BREAKS = re.compile("\\s*[\n\t]\\s*")


def text_normal(value: Any, *, multiline: bool) -> str:
    """The text as it is stored: one kind of line break (none in a one-line field), no
    invisible control characters, no spaces at either end. A NUL byte is left for
    `text_clean` to refuse."""
    text = "" if value is None else str(value)
    text = _INVISIBLE.sub("", _LINE_BREAKS.sub("\n", text))
    if not multiline:
        text = _ONE_LINE.sub(" ", text)
    return text.strip()


def text_clean(
    value: Any,
    *,
    label: str,
    field: str,
    max_length: int,
    multiline: bool = False,
    required: str = "",
) -> str:
    """The text normalised and checked: a DomainError naming the field when it holds a NUL
    byte, is longer than `max_length` characters, or is empty while `required` (the
    message to say then)."""
    text = text_normal(value, multiline=multiline)
    if "\x00" in text:
        raise DomainError(f"{label}含有不可见的空字符，请重新输入", field=field)
    if len(text) > max_length:
        raise DomainError(f"{label}不能超过 {max_length} 个字（现有 {len(text)} 个）", field=field)
    if required and not text:
        raise DomainError(required, field=field)
    return text


def field_text(model, name: str, value: Any, *, field: str = "", required: str = "") -> str:
    """`value` for the model's field `name` under the policy: its length is the field's
    `max_length`, its label the field's verbose name, and it may hold line breaks if the
    field is a TextField; a field with choices takes one of them (or nothing, where blank
    is allowed). `field`: the name the form or API knows it by (default `name`)."""
    model_field = model._meta.get_field(name)
    label = str(model_field.verbose_name)
    text = text_clean(
        value,
        label=label,
        field=field or name,
        max_length=model_field.max_length,
        multiline=model_field.get_internal_type() == "TextField",
        required=required,
    )
    if (
        model_field.choices
        and text
        and text not in {str(key) for key, _ in model_field.flatchoices}
    ):
        choices = "、".join(str(key) for key, _ in model_field.flatchoices if key)
        raise DomainError(f"{label}应为 {choices} 之一", field=field or name)
    return text


def text_cut(text: str, max_length: int) -> str:
    """A text the system composed, cut to fit its field, with an ellipsis saying so."""
    return text if len(text) <= max_length else text[: max_length - 1] + "…"


def header_text(text: str) -> str:
    """A text for an e-mail header (the subject): a header cannot hold a line break, and
    a stored text may, so each break and tab (with the spaces around it) becomes one
    space, and the other control characters go."""
    return _HEADER_BREAKS.sub(" ", text_normal(text, multiline=True)).replace("\x00", "")


def document_text(value: Any) -> str:
    """A text as a .docx or .xlsx can hold it: what XML 1.0 forbids removed (a vertical tab
    or form feed, Word's line and page break, becomes a line break). For texts stored
    before the policy, or by a path that bypassed it; the policy keeps them out now."""
    text = "" if value is None else str(value)
    return _NOT_IN_XML.sub("", text.replace("\x0b", "\n").replace("\x0c", "\n"))
