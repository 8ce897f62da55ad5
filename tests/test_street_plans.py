"""Street implementation plans: figures from the community plans, the year-end outcome,
the uploaded document checked, and scope."""

import io
from decimal import Decimal

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shequ.accounts.models import Role
from shequ.accounts.scope import operator_scope, scope_for
from shequ.core.errors import DomainError, NotAllowed
from shequ.plans.evidence import document_from_upload
from shequ.plans.street_plans import street_plan_save, street_year
from shequ.workflow import measures

from .conftest import PASSWORD, make_user, region
from .ledger_helpers import approve_street, open_period
from .test_plans import MET, SHORT, TONGJIAXI, measure_values, plans_of

pytestmark = pytest.mark.django_db


def word_file(name="实施方案.docx") -> SimpleUploadedFile:
    stream = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("童家溪镇2026年实施方案")
    document.save(stream)
    return SimpleUploadedFile(name, stream.getvalue())


@pytest.fixture
def planned(beibei):
    approve_street(open_period("2025H2"), TONGJIAXI, **SHORT)  # plans target 2026
    plans = list(plans_of(TONGJIAXI))
    measures.measure_save(scope=operator_scope(), plan=plans[0], values=measure_values())
    return plans


def test_figures_come_from_the_plans_of_the_year(planned):
    data = street_year(region(TONGJIAXI), 2026)
    assert len(data.communities) == 5
    assert (data.gap, data.planned_area, data.budget) == (
        Decimal("250.0"),
        Decimal("60.0"),
        Decimal("12.50"),
    )
    assert data.achieved is None  # 2026H2 not approved yet
    assert street_year(region(TONGJIAXI), 2027).communities == []


def test_year_end_outcome_counts_the_communities_that_met_the_standard(planned):
    period = open_period("2026H2")
    approve_street(period, TONGJIAXI, **MET)
    data = street_year(region(TONGJIAXI), 2026)
    assert (data.judged_on.code, data.achieved) == ("2026H2", 5)


def test_the_document_is_checked_and_stored(planned, tiansheng_editor):
    editor = make_user("tjx-editor", TONGJIAXI, Role.EDITOR)
    saved = street_plan_save(
        scope=scope_for(editor),
        street=region(TONGJIAXI),
        year=2026,
        title="童家溪镇2026年城乡社区综合服务设施建设实施方案",
        document=document_from_upload(word_file()),
    )
    assert saved.document.name.endswith(".docx") and saved.document_name == "实施方案.docx"
    with pytest.raises(DomainError, match="PDF 或 Word"):
        document_from_upload(SimpleUploadedFile("假的.docx", b"PK\x03\x04not really"))
    with pytest.raises(NotAllowed):
        street_plan_save(
            scope=scope_for(make_user("tjx-viewer", TONGJIAXI, Role.VIEWER)),
            street=region(TONGJIAXI),
            year=2026,
            title="x",
        )


def test_pages_are_scoped(client, planned, tiansheng_editor, district_viewer):
    client.login(username=tiansheng_editor.username, password=PASSWORD)
    assert client.get(f"/plans/street/{TONGJIAXI}/2026/").status_code == 404
    assert client.get(f"/plans/street/{TONGJIAXI}/2026/document/").status_code == 404
    year = timezone.localdate().year
    assert client.get("/plans/street/").url == f"/plans/street/500109001/{year}/"
    client.logout()
    client.login(username=district_viewer.username, password=PASSWORD)
    page = client.get("/plans/street/?year=2026").content.decode()
    assert "童家溪镇" in page and "未报送" in page
    response = client.post(f"/plans/street/{TONGJIAXI}/2026/", {"title": "x"})
    assert response.status_code == 403
