"""The import preview's streets (`importing.preview`), over generated files: every row
shown under exactly one street, in the file's order, the counts adding up to the file's."""

from collections import Counter
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from shequ.ledger.importing.preview import chosen_part, street_parts

STREETS = ("500109001", "500109102", "500109003")
rows = st.lists(
    st.tuples(
        st.sampled_from(STREETS),
        st.sampled_from(("new", "changed", "unchanged")),
        st.booleans(),
    ),
    max_size=40,
)


def _marked(generated):
    return [
        (
            SimpleNamespace(
                row=SimpleNamespace(street=SimpleNamespace(code=c, name=f"街{c}")), status=status
            ),
            erroneous,
        )
        for c, status, erroneous in generated
    ]


@given(rows)
def test_every_row_is_under_its_street_in_the_files_order(generated):
    marked = _marked(generated)
    parts = street_parts(marked)
    assert [p.code for p in parts] == list(dict.fromkeys(c for c, _, _ in generated))
    for part in parts:
        assert part.rows == [m for m in marked if m[0].row.street.code == part.code]
    totals = Counter()
    for part in parts:
        totals.update(part.counts)
    expected = Counter("error" if e else status for _, status, e in generated)
    assert +totals == +expected


@given(rows, st.sampled_from((*STREETS, "", "x")))
def test_the_street_shown_is_the_one_asked_for_else_the_first_needing_a_look(generated, asked):
    parts = street_parts(_marked(generated))
    chosen = chosen_part(parts, asked)
    if not parts:
        assert chosen is None
    elif asked in {p.code for p in parts}:
        assert chosen.code == asked
    elif any(p.counts["error"] for p in parts):
        assert chosen is next(p for p in parts if p.counts["error"])
    elif any(p.counts["new"] + p.counts["changed"] for p in parts):
        assert chosen is next(p for p in parts if p.counts["new"] + p.counts["changed"])
    else:
        assert chosen is parts[0]
