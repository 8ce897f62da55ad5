"""Random editions of the 北碚区 file: the report accounts for every code exactly once."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.core.periods import PeriodCode
from shequ.regions.edition_report import EditionReport, edition_document
from shequ.regions.editions import edition_diff

from .edition_fixtures import Edition

BASE = Edition()
STREETS = [row["code"] for row in BASE.rows if row["level"] == "street"]
COMMUNITIES = [row["code"] for row in BASE.rows if row["level"] == "village"]
PARENT = {row["code"]: row["parent_code"] for row in BASE.rows}
URBAN_RURAL = {row["code"]: row["urban_rural_code"] for row in BASE.rows}

codes = st.sets(st.sampled_from(COMMUNITIES), max_size=12)
new_codes = st.sets(
    st.tuples(st.sampled_from(STREETS), st.integers(min_value=400, max_value=499)), max_size=6
)


def other_street(code: str) -> str:
    streets = [street for street in STREETS if street != PARENT[code]]
    return streets[int(code[-3:]) % len(streets)]


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    renamed=codes,
    moved=codes,
    removed=codes,
    reclassified=codes,
    added=new_codes,
    street_renamed=st.sets(st.sampled_from(STREETS), max_size=3),
)
def test_every_code_is_accounted_for_exactly_once(
    beibei, tmp_path_factory, renamed, moved, removed, reclassified, added, street_renamed
):
    edition = Edition()
    for code in renamed | street_renamed:
        edition.rename(code, f"新{code}社区")
    for code in moved:
        edition.move(code, other_street(code))
    for code in reclassified:
        edition.urban_rural(code, "220" if URBAN_RURAL[code].startswith("1") else "111")
    edition.remove(*removed)
    for street, number in added:
        edition.add(f"{street}{number:03d}", f"新设{number}社区", street)
    folder = tmp_path_factory.mktemp("edition")
    diff = edition_diff([Path(edition.write(folder))])

    assert diff.problems == []
    expected_added = {f"{street}{number:03d}" for street, number in added}
    assert diff.added_codes == expected_added
    assert diff.vanished_codes == removed
    assert {c.row.code for c in diff.renamed} == (renamed | street_renamed) - removed
    assert {c.row.code for c in diff.moved} == moved - removed
    assert {c.row.code for c in diff.reclassified} == reclassified - removed
    changed = diff.changed_codes
    groups = [diff.added_codes, diff.vanished_codes, changed, set(diff.unchanged)]
    assert sum(len(group) for group in groups) == len(set().union(*groups))
    in_file = {row["code"] for row in edition.rows}
    assert set().union(*groups) == in_file | removed
    assert len(diff.unchanged) == len(set(diff.unchanged))

    counts = edition_document(EditionReport(PeriodCode(2027, 1), diff))["counts"]
    assert counts["added"] + counts["vanished"] + len(changed) + counts["unchanged"] == len(
        in_file | removed
    )
