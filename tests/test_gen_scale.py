"""`shequ gen-scale`: a synthetic country and the real 重庆, approved, sealed and tallied,
into an empty database; anything else is refused."""

from dataclasses import fields

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shequ.accounts.models import Role, User
from shequ.compliance.models import Tally
from shequ.compliance.tallies import Figures, tallies_rebuild
from shequ.ledger import rules
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.verify import ledger_verify
from shequ.regions.levels import Kind, Level
from shequ.regions.models import Region, RegionVersion
from shequ.scale.generate import scale_generate
from shequ.scale.national import shape

pytestmark = pytest.mark.django_db

COUNTRY = 300


@pytest.fixture
def empty_database(db):
    """The session's 北碚区 tree removed (the test's transaction puts it back)."""
    RegionVersion.objects.all().delete()
    Region.objects.update(parent=None)
    Region.objects.all().delete()


@pytest.fixture
def country(empty_database):
    return scale_generate(national=COUNTRY)


def level_counts() -> dict[str, int]:
    counted = Region.objects.values("level").annotate(n=Count("id"))
    return {item["level"]: item["n"] for item in counted}


def tallies_as_stored() -> dict:
    names = [f.name for f in fields(Figures)]
    return {
        (t.period_id, t.region_id, t.parent_id): [getattr(t, n) for n in names]
        for t in Tally.objects.all()
    }


def test_a_country_has_one_root_and_the_shape_of_its_size(country):
    root = Region.objects.get(parent__isnull=True)
    assert (root.name, root.level) == ("全国", Level.COUNTRY)
    assert level_counts() == {Level.COUNTRY: 1, **shape(COUNTRY)}
    communities = Region.objects.filter(level=Level.COMMUNITY)
    assert not communities.exclude(parent__level=Level.STREET).exists()
    assert all(len(code) == 12 for code in communities.values_list("code", flat=True))
    assert {Kind.NEIGHBOURHOOD, Kind.VILLAGE} <= set(communities.values_list("kind", flat=True))
    assert RegionVersion.objects.count() == Region.objects.count()
    # The next region made by hand gets a fresh id (the sequences moved past the given ones).
    extra = Region.objects.create(code="99", name="新设", level=Level.PROVINCE, path="/99/")
    assert extra.pk > max(Region.objects.exclude(pk=extra.pk).values_list("pk", flat=True))


def test_both_periods_are_approved_and_sealed_for_every_street(country):
    streets = shape(COUNTRY)[Level.STREET]
    periods = list(Period.objects.order_by("ordinal"))
    assert [(p.code, p.state) for p in periods] == [("2026H1", "closed"), ("2026H2", "open")]
    assert LedgerRow.objects.count() == 2 * COUNTRY
    approved = Submission.objects.filter(state=Submission.State.APPROVED)
    assert approved.count() == Submission.objects.count() == 2 * streets
    assert not approved.filter(late=True).exists()
    report = ledger_verify()
    assert report.ok and report.ledgers == 2 * streets and report.chains == streets


def test_the_rows_are_valid_and_their_total_area_is_the_rules(country):
    rows = list(LedgerRow.objects.all())
    assert all(row.total_area == rules.total_area(row) for row in rows)
    errors = [
        f
        for row in rows
        for f in rules.validate(row, previous=None, period_year=2026, limits=rules.Thresholds())
        if f.is_error
    ]
    assert errors == []
    compliant = sum(rules.is_compliant(r.total_area, r.households, 30) for r in rows)
    assert 0.6 * len(rows) < compliant < 0.95 * len(rows)


def test_the_stored_tallies_are_what_a_rebuild_gives(country):
    built = tallies_as_stored()
    for period in Period.objects.all():
        tallies_rebuild(period)
    assert tallies_as_stored() == built
    assert len(built) == 2 * (Region.objects.exclude(level=Level.COMMUNITY).count())


def test_the_admin_logs_in_at_the_root_and_its_summary_is_the_sum(country, client):
    admin = User.objects.get(username="admin")
    assert (admin.role, admin.node.level) == (Role.ADMIN, Level.COUNTRY)
    assert client.login(username="admin", password=country.password)
    document = client.get("/api/v1/summary", {"period": "2026H2"}).json()
    rows = LedgerRow.objects.filter(period__code="2026H2")
    compliant = sum(rules.is_compliant(r.total_area, r.households, 30) for r in rows)
    assert document["total"]["communities"] == COUNTRY
    assert document["total"]["compliant"] == compliant
    assert document["total"]["streets"]["approved"] == shape(COUNTRY)[Level.STREET]
    for name in ("communities", "compliant", "reported"):
        assert sum(child[name] for child in document["children"]) == document["total"][name]


def test_a_database_with_data_is_refused_and_left_alone(beibei):
    before = Region.objects.count()
    with pytest.raises(CommandError, match="数据库不是空的（已有区划 210 个）"):
        call_command("gen-scale", "--national", "10")
    assert Region.objects.count() == before and not Period.objects.exists()


def grid_queries(client, street: Region) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("ledger_grid", args=["2026H2", street.code]))
        assert response.status_code == 200
    return len(queries)


def test_chongqing_and_its_grid_in_a_fixed_number_of_queries(empty_database, client):
    report = scale_generate()
    assert report.root.name == "重庆市"
    assert report.levels[Level.COMMUNITY] == 11_270
    assert report.rows == 2 * 11_270
    assert (
        Submission.objects.filter(state=Submission.State.APPROVED).count()
        == 2 * (report.levels[Level.STREET])
    )
    sizes = (
        Region.objects.filter(level=Level.STREET)
        .annotate(n=Count("children"))
        .filter(n__gt=0)
        .order_by("n", "code")
    )
    smallest, largest = sizes.first(), sizes.last()
    assert smallest.n * 5 < largest.n
    assert client.login(username="admin", password=report.password)
    assert grid_queries(client, smallest) == grid_queries(client, largest)
