"""The chain head's one row is made by a migration (0005), not by the first approval: two
first approvals at once never both try to insert it. A database that lost it since (a
test's flush) gets it back at the next seal."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from shequ.ledger.fingerprint import HEAD_ROW
from shequ.ledger.models import ChainHead, SealedVersion

from .conftest import TIANSHENG
from .ledger_helpers import approve_street, open_period

pytestmark = pytest.mark.django_db

migration = importlib.import_module("shequ.ledger.migrations.0005_chain_head_row")


def test_the_migrated_database_has_the_head_row_before_any_approval():
    assert not SealedVersion.objects.exists()
    assert list(ChainHead.objects.values_list("pk", "sequence", "fingerprint")) == [
        (HEAD_ROW, 0, "")
    ]


def test_the_migration_makes_the_row_only_where_it_is_missing():
    schema_editor = SimpleNamespace(connection=connection)  # it reads only the alias
    ChainHead.objects.all().delete()
    migration.create_head_row(apps, schema_editor)
    assert ChainHead.objects.get().pk == HEAD_ROW
    ChainHead.objects.update(sequence=7, fingerprint="f" * 64)
    migration.create_head_row(apps, schema_editor)  # run again: nothing changes
    assert list(ChainHead.objects.values_list("pk", "sequence", "fingerprint")) == [
        (HEAD_ROW, 7, "f" * 64)
    ]


def test_the_first_seal_moves_the_migrated_row(beibei):
    approve_street(open_period("2024H1"), TIANSHENG)
    sealed = SealedVersion.objects.get()
    head = ChainHead.objects.get()
    assert (head.pk, head.sequence, head.fingerprint) == (HEAD_ROW, 1, sealed.fingerprint)


def test_a_database_that_lost_the_row_gets_it_back_at_the_next_seal(beibei):
    ChainHead.objects.all().delete()
    approve_street(open_period("2024H1"), TIANSHENG)
    head = ChainHead.objects.get()
    assert (head.pk, head.sequence) == (HEAD_ROW, 1)
