"""Uploaded files (issue 25): a refused import upload is deleted at once and no backup holds
an upload no row names; a replaced document's old file goes once the replacement commits,
and stays when it rolls back; a file is served as what its content is — never as what its
uploaded name says — and a name that contradicts the content is refused."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from shequ.accounts.models import Role
from shequ.accounts.scope import scope_for
from shequ.checklist.models import ChecklistEntry
from shequ.core.errors import DomainError
from shequ.core.files import UNKNOWN, content_type_of, served_name
from shequ.ledger.importing.files import FileRefused
from shequ.plans.evidence import document_from_upload, evidence_from_upload
from shequ.plans.models import StreetPlan
from shequ.plans.street_plans import street_plan_save

from .conftest import PASSWORD, TIANSHENG, XINXINGLU, make_user, region
from .import_fixtures import messy_chengjiang
from .ledger_helpers import open_period
from .test_street_plans import word_file

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


def uploads(settings) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def backed_up_media(path: Path) -> list[str]:
    call_command("backup", "-o", str(path), "--json", stdout=io.StringIO(), stderr=io.StringIO())
    with tarfile.open(path) as tar:
        return [name for name in tar.getnames() if name.startswith("media/")]


# ---------------------------------------------------------------- refused import uploads


def upload(client, content: bytes, name="台账.xlsx"):
    url = reverse("ledger_import", args=["2026H2"])
    return client.post(url, {"file": SimpleUploadedFile(name, content)}, follow=True)


@pytest.mark.django_db(transaction=True)  # a backup reads the database from outside
def test_an_upload_refused_at_its_preview_leaves_no_file_and_no_backup_holds_it(
    login, district_admin, settings, tmp_path, monkeypatch
):
    open_period("2026H2")
    client = login(district_admin)
    waiting = upload(client, messy_chengjiang())  # a good file, waiting for confirmation
    assert waiting.status_code == 200 and len(uploads(settings)) == 1

    def refuse(*args, **kwargs):
        raise FileRefused("工作表“Sheet1”已损坏或格式不受支持，无法读取")

    # A file that passes the upload's checks and is refused when its sheets are read.
    monkeypatch.setattr("shequ.web.import_views.read_sheets", refuse)
    refused = upload(client, messy_chengjiang(), name="坏的.xlsx")
    assert refused.status_code == 400 and "已损坏或格式不受支持" in refused.content.decode()
    token = refused.redirect_chain[-1][0].rstrip("/").rsplit("/", 1)[-1]

    assert len(uploads(settings)) == 1  # only the one still waiting
    preview = reverse("ledger_import_preview", args=["2026H2", token])
    assert client.get(preview).status_code == 404  # forgotten by the session too
    # Neither the waiting upload nor any refused one is data of the system.
    assert backed_up_media(tmp_path / "shequ.tar.gz") == []


def test_an_upload_refused_at_confirmation_leaves_no_file(
    login, district_admin, settings, monkeypatch
):
    open_period("2026H2")
    client = login(district_admin)
    response = upload(client, messy_chengjiang())
    token = response.resolver_match.kwargs["token"]

    def refuse(*args, **kwargs):
        raise FileRefused("工作表“Sheet1”已损坏或格式不受支持，无法读取")

    monkeypatch.setattr("shequ.web.import_views.read_sheets", refuse)
    client.post(reverse("ledger_import_apply", args=["2026H2", token]))
    assert uploads(settings) == []


# ---------------------------------------------------------------- replaced files


@pytest.fixture
def filed(beibei) -> StreetPlan:
    editor = make_user("tiansheng-editor", TIANSHENG, Role.EDITOR)
    return street_plan_save(
        scope=scope_for(editor),
        street=region(TIANSHENG),
        year=2026,
        title="天生街道2026年实施方案",
        document=document_from_upload(word_file()),
    )


def replace(plan: StreetPlan, name: str = "新方案.pdf") -> StreetPlan:
    editor = plan.street.users.first() if hasattr(plan.street, "users") else None
    scope = scope_for(editor or make_user("tiansheng-approver", TIANSHENG, Role.APPROVER))
    return street_plan_save(
        scope=scope,
        street=plan.street,
        year=plan.year,
        title=plan.title,
        document=document_from_upload(SimpleUploadedFile(name, PDF)),
    )


def test_a_replaced_document_is_deleted_once_the_replacement_commits(
    filed, django_capture_on_commit_callbacks
):
    old = Path(filed.document.path)
    with django_capture_on_commit_callbacks(execute=True):
        replaced = replace(filed)
    assert not old.exists()
    assert Path(replaced.document.path).read_bytes() == PDF


def test_a_rolled_back_replacement_keeps_the_old_document(filed):
    old = Path(filed.document.path)

    class Undone(Exception):
        pass

    with pytest.raises(Undone), transaction.atomic():
        replace(filed)
        raise Undone
    filed.refresh_from_db()
    assert old.exists() and Path(filed.document.path) == old


def test_a_replaced_checklist_photo_is_deleted_once_the_replacement_commits(
    login, beibei, django_capture_on_commit_callbacks
):
    client = login(make_user("xinxinglu-editor", XINXINGLU, Role.EDITOR))
    url = f"/api/v1/checklists/{XINXINGLU}/hall/photo"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"photo": SimpleUploadedFile("a.png", PNG)})
    first = Path(ChecklistEntry.objects.get(item="hall").photo.path)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"photo": SimpleUploadedFile("b.png", PNG + b"\x01")})
    assert not first.exists()


# ---------------------------------------------------------------- content, not the name


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("page.png", HTML, "佐证文件“page.png”只能是 PDF、JPEG 或 PNG"),
        ("page.html", PNG, "文件“page.html”的内容是PNG 图片，与扩展名“.html”不符"),
        ("scan.pdf", PNG, "文件“scan.pdf”的内容是PNG 图片，与扩展名“.pdf”不符"),
        ("photo.png", b"\xff\xd8\xff\xe0" + b"\x00" * 16, "内容是JPEG 图片"),
    ],
)
def test_an_upload_whose_content_contradicts_its_name_is_refused_naming_the_file(
    name, data, message
):
    with pytest.raises(DomainError, match=message) as refused:
        evidence_from_upload(SimpleUploadedFile(name, data))
    assert refused.value.field == "evidence"


@pytest.mark.parametrize("name", ["扫描件.PDF", "验收", "现场.jpeg", "现场.JPG"])
def test_a_name_that_fits_the_content_or_has_no_extension_is_taken(name):
    data = PDF if name.lower().endswith("pdf") or "." not in name else b"\xff\xd8\xff\xe0"
    assert evidence_from_upload(SimpleUploadedFile(name, data)).original_name == name


def test_a_word_document_named_as_a_wps_file_is_taken():
    assert document_from_upload(SimpleUploadedFile("方案.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"))
    with pytest.raises(DomainError, match=r"与扩展名“\.pdf”不符"):
        document_from_upload(word_file("方案.pdf"))


@pytest.fixture
def closed_plan_with_evidence(beibei):
    """Evidence stored before names were checked: a page saved under a picture's magic
    bytes, uploaded as `证明.html`."""
    from shequ.plans.models import Plan

    from .ledger_helpers import approve_street

    approve_street(open_period("2026H1"), TIANSHENG, households=1000, service_center="250.0")
    plan = Plan.objects.filter(street__code=TIANSHENG).first()
    plan.evidence.save("0a1b.png", ContentFile(PNG + HTML))
    plan.evidence_name = "证明.html"
    plan.save()
    return plan


def test_evidence_is_served_as_its_content_says_never_as_its_uploaded_name(
    client, closed_plan_with_evidence
):
    make_user("qu-viewer", "500109", Role.VIEWER)
    client.login(username="qu-viewer", password=PASSWORD)
    plan = closed_plan_with_evidence
    for url in (f"/plans/{plan.pk}/evidence/", f"/api/v1/plans/{plan.pk}/evidence"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/png", url
        assert response["X-Content-Type-Options"] == "nosniff"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment") and ".html" not in disposition, url
        assert "%E8%AF%81%E6%98%8E.png" in disposition  # 证明.png


def test_a_stored_photo_that_is_no_picture_is_a_download_of_unknown_type(client, beibei):
    entry = ChecklistEntry.objects.create(community=region(XINXINGLU), item="hall", present=True)
    entry.photo.save("0a1b.png", ContentFile(HTML))
    entry.photo_name = "hall.png"
    entry.save()
    make_user("qu-viewer", "500109", Role.VIEWER)
    client.login(username="qu-viewer", password=PASSWORD)
    for url in (
        f"/checklist/{XINXINGLU}/photo/hall/",
        f"/api/v1/checklists/{XINXINGLU}/hall/photo",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == UNKNOWN, url
        assert response["Content-Disposition"].startswith("attachment"), url
        assert response["X-Content-Type-Options"] == "nosniff"


@given(st.binary(max_size=64))
def test_only_known_first_bytes_give_a_content_type(data):
    kind = content_type_of(data)
    known = (b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
    assert (kind != UNKNOWN) == any(data.startswith(m) for m in known)


def test_a_download_keeps_its_name_unless_its_extension_says_another_kind():
    assert served_name("验收报告.pdf", "ab.pdf") == "验收报告.pdf"
    assert served_name("现场.JPEG", "ab.jpg") == "现场.JPEG"
    assert served_name("证明.html", "ab.png") == "证明.png"
    assert served_name("验收", "ab.pdf") == "验收.pdf"
    assert json.dumps(served_name("../../etc/passwd", "ab.pdf")) == '"passwd.pdf"'
