"""The text policy itself (core.text, ADR 0037), over any text hypothesis makes: what is
stored holds no control character but the line break (and the tab, in a multi-line text),
normalising twice changes nothing, a one-line text has no break, the length is checked
after normalising, and a document or an e-mail header can hold whatever was stored."""

from __future__ import annotations

import re

import pytest
from docx import Document
from hypothesis import given
from hypothesis import strategies as st

from shequ.core.errors import DomainError
from shequ.core.text import document_text, header_text, text_clean, text_cut, text_normal

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\r]")
# Any text, with the characters that matter here much more often than by chance.
texts = st.text(
    alphabet=st.one_of(
        st.characters(codec=None),
        st.sampled_from("\x00\x01\x0b\x0c\r\n\t\x1c\x1f\x7f\x85\x9f\u2028\u2029\ud800 甲"),
    ),
    max_size=60,
)


@given(texts, st.booleans())
def test_a_stored_text_holds_no_control_character_and_is_stable(text, multiline):
    normal = text_normal(text.replace("\x00", ""), multiline=multiline)
    assert not CONTROL.search(normal)
    assert normal == normal.strip()
    assert text_normal(normal, multiline=multiline) == normal
    if not multiline:
        assert "\n" not in normal and "\t" not in normal


@given(texts)
def test_a_nul_byte_is_refused_naming_the_field(text):
    with pytest.raises(DomainError) as refused:
        text_clean(text + "\x00甲", label="备注", field="remarks", max_length=2000)
    assert refused.value.field == "remarks" and "空字符" in refused.value.message


def test_the_length_is_counted_after_normalising():
    assert text_clean("甲\r\n乙", label="原因", field="reason", max_length=3, multiline=True) == (
        "甲\n乙"
    )
    with pytest.raises(DomainError, match="原因不能超过 2 个字（现有 3 个）"):
        text_clean("甲\r\n乙", label="原因", field="reason", max_length=2, multiline=True)


def test_word_line_breaks_become_line_breaks_or_spaces():
    assert text_normal("一\x0b二\x0c三\u2028四", multiline=True) == "一\n二\n三\n四"
    assert text_normal("一\x0b二\t三", multiline=False) == "一 二 三"


@given(texts)
def test_any_stored_text_goes_into_a_word_document(text):
    document = Document()
    document.add_paragraph().add_run(document_text(text))
    document.core_properties.title = document_text(text)


@given(texts)
def test_a_header_is_one_line(text):
    assert not re.search("[\r\n\x00]", header_text(text))


@given(st.text(max_size=600), st.integers(min_value=1, max_value=500))
def test_a_composed_text_is_cut_to_fit(text, length):
    cut = text_cut(text, length)
    assert len(cut) <= length
    assert cut == text or cut.endswith("…")
