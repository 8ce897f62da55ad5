"""Read replicas: dashboards and the API summary read from a replica; logins, writes and
everything else from the primary (shequ.core.db_router)."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shequ.accounts.models import User
from shequ.core.db_router import ReplicaRouter, replica_reads
from shequ.ledger.models import LedgerRow

from .conftest import TIANSHENG, XINXINGLU
from .ledger_helpers import open_period

router = ReplicaRouter()


@pytest.fixture
def one_replica(settings):
    settings.REPLICA_DATABASES = ["replica1"]


@pytest.fixture
def replica(one_replica):
    """The replica alias the test settings mirror onto the test database (conftest.py):
    its own connection, so that the queries sent to it can be told apart."""
    return connections["replica1"]


def test_reads_go_to_the_primary_unless_a_view_asks_for_the_replica(one_replica):
    assert router.db_for_read(LedgerRow) is None
    with replica_reads():
        assert router.db_for_read(LedgerRow) == "replica1"
    assert router.db_for_read(LedgerRow) is None


def test_logins_and_sessions_are_always_read_from_the_primary(one_replica):
    with replica_reads():
        assert router.db_for_read(User) is None
        assert router.db_for_read(Session) is None


def test_without_replicas_everything_stays_on_the_primary(settings):
    settings.REPLICA_DATABASES = []
    with replica_reads():
        assert router.db_for_read(LedgerRow) is None


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary(one_replica):
    with replica_reads(), transaction.atomic():
        assert router.db_for_read(LedgerRow) is None


def test_writes_and_migrations_go_to_the_primary_only(one_replica):
    with replica_reads():
        assert router.db_for_write(LedgerRow) == "default"
    assert router.allow_migrate("default", "ledger")
    assert not router.allow_migrate("replica1", "ledger")


@pytest.mark.django_db(transaction=True, databases=["default", "replica1"])
def test_the_dashboard_reads_its_figures_from_the_replica(client, beibei, district_viewer, replica):
    open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    client.force_login(district_viewer)
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get(reverse("dashboard_region", args=[TIANSHENG]))
    assert response.status_code == 200 and "天生街道" in response.content.decode()
    tables = " ".join(q["sql"] for q in on_replica.captured_queries)
    assert "ledger_" in tables and "regions_region" in tables
    assert "django_session" not in tables and "accounts_user" not in tables


@pytest.mark.django_db(transaction=True, databases=["default", "replica1"])
def test_the_api_summary_reads_from_the_replica(client, beibei, district_viewer, replica):
    open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    client.force_login(district_viewer)
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get("/api/v1/summary", {"period": "2026H2"})
    assert response.status_code == 200 and response.json()["period"] == "2026H2"
    assert on_replica.captured_queries


@pytest.mark.django_db(transaction=True, databases=["default", "replica1"])
def test_saving_a_row_never_touches_the_replica(client, beibei, tiansheng_editor, replica):
    period = open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    row = LedgerRow.objects.get(period=period, community__code=XINXINGLU)
    client.force_login(tiansheng_editor)
    with CaptureQueriesContext(replica) as on_replica:
        response = client.post(
            reverse("ledger_row_save", args=[row.pk]),
            {"version": row.version, "households": "1200", "service_center": "400"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert LedgerRow.objects.get(pk=row.pk).households == 1200
    assert on_replica.captured_queries == []
