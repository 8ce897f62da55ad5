"""`core.lookups`: a field among many values sent as one parameter finds exactly the rows
`__in` finds, on SQLite and on PostgreSQL (CI runs this file on both)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.core.lookups import among
from shequ.regions.models import Region

pytestmark = pytest.mark.django_db

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _regions() -> list[tuple[int, str, int | None]]:
    return list(Region.objects.values_list("pk", "code", "parent_id"))


@SETTINGS
@given(data=st.data())
def test_ids_codes_and_foreign_keys_find_what_in_finds(beibei, data):
    regions = _regions()
    ids = data.draw(st.lists(st.sampled_from([pk for pk, _, _ in regions]), unique=True))
    absent = data.draw(st.lists(st.integers(min_value=10**9, max_value=2**62), max_size=3))
    codes = data.draw(st.lists(st.sampled_from([code for _, code, _ in regions]), unique=True))
    # Quotes, commas, braces, backslashes (no NUL: PostgreSQL's text cannot hold one).
    characters = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
    text = st.text(alphabet=characters, max_size=12)
    odd = data.draw(st.lists(text | st.sampled_from(["a,b", "{x}", '"q"', "\\"]), max_size=3))
    parents = data.draw(st.lists(st.sampled_from([p for _, _, p in regions if p]), unique=True))
    cases = [
        ("pk", ids + absent, "pk__in"),
        ("code", codes + odd, "code__in"),
        ("parent_id", parents, "parent_id__in"),  # a foreign key
    ]
    for field, values, lookup in cases:
        found = set(Region.objects.filter(among(field, values)).values_list("pk", flat=True))
        expected = set(Region.objects.filter(**{lookup: values}).values_list("pk", flat=True))
        assert found == expected, field


def test_a_longer_text_never_matches_by_its_beginning(beibei):
    # A community's code is as long as the column allows: one character more is cut off by
    # a cast to the column's type, and would then match it.
    code = max(Region.objects.values_list("code", flat=True), key=len)
    assert len(code) == Region._meta.get_field("code").max_length
    assert not Region.objects.filter(among("code", [code + "9", code + " "])).exists()
    assert Region.objects.filter(among("code", [code + "9", code])).count() == 1


def test_no_values_find_nothing(beibei):
    assert not Region.objects.filter(among("pk", [])).exists()
    assert not Region.objects.filter(among("code", [])).exists()


def test_a_queryset_is_a_subquery(beibei):
    streets = Region.objects.filter(parent__code="500109").values("pk")
    found = Region.objects.filter(among("parent_id", streets))
    assert found.count() == Region.objects.filter(parent__parent__code="500109").count() > 100
