"""Stored text on its way out (issue 25, ADR 0037): a control character stored before the
text policy (a measure description pasted from Word with its \\x0b line break) made the
plan's Word download a 500 for every user; every document and workbook now writes what
it can hold. And a return reason with a line break, mailed: the subject is one line, the
body keeps the break, and a mail backend that fails never fails the request."""

from __future__ import annotations

import datetime
import io
import json
import logging
from decimal import Decimal

import docx
import openpyxl
import pytest
from django.core import mail

from shequ.accounts.models import Role
from shequ.accounts.scope import operator_scope
from shequ.core.models import Notification
from shequ.ledger.models import LedgerRow, Submission
from shequ.plans.models import Consultation, Measure, Plan
from shequ.workflow.submissions import submission_submit

from .conftest import PASSWORD, TIANSHENG, make_user
from .ledger_helpers import approve_street, fill_street, open_period, submission
from .smtp_server import SmtpServer, serve
from .test_mail import _smtp_settings

pytestmark = pytest.mark.django_db

TONGJIAXI = "500109104"
# What Word leaves in a copied text, and what no XML document may hold.
WORD_PASTE = "改造二楼\x0b闲置用房\x01（一期）\x1f"


@pytest.fixture
def plan(beibei):
    """A plan whose measure and consultation were stored with control characters, as by a
    path before the policy (written straight to the database)."""
    approve_street(open_period("2026H1"), TONGJIAXI, households=1000, service_center="250.0")
    plan = Plan.objects.filter(street__code=TONGJIAXI).order_by("community__code").first()
    Measure.objects.create(
        plan=plan,
        method=Measure.Method.RENOVATE,
        description=WORD_PASTE,
        responsible="街道\x0c办事处",
        planned_area=Decimal("20.0"),
        planned_date=datetime.date(2026, 6, 30),
    )
    Consultation.objects.create(
        plan=plan,
        held_on=datetime.date(2026, 4, 9),
        who=Consultation.Who.RESIDENTS,
        said="希望\x0b增加老年食堂\x08",
        recorded_by="tester",
    )
    LedgerRow.objects.filter(community=plan.community).update(remarks="备注\x0b第二行\x01")
    make_user("qu-viewer", "500109", Role.VIEWER)
    return plan


def test_the_plans_word_document_downloads_with_a_pasted_line_break(client, plan):
    client.login(username="qu-viewer", password=PASSWORD)
    answer = client.get(f"/plans/{plan.pk}/plan.docx")
    assert answer.status_code == 200
    document = docx.Document(io.BytesIO(answer.content))
    cells = [cell.text for row in document.tables[0].rows[1:] for cell in row.cells]
    assert "改造二楼\n闲置用房（一期）" in cells  # Word's line break kept as a line break
    assert "街道\n办事处" in cells
    said = [cell.text for row in document.tables[1].rows[1:] for cell in row.cells]
    assert "希望\n增加老年食堂" in said


def test_the_streets_word_document_downloads_too(client, plan):
    client.login(username="qu-viewer", password=PASSWORD)
    answer = client.get(f"/plans/street.docx?street={TONGJIAXI}")
    assert answer.status_code == 200
    docx.Document(io.BytesIO(answer.content))


@pytest.mark.parametrize(
    "url",
    ["/plans/summary.xlsx", "/ledger/2026H1/export.xlsx", "/ledger/2026H1/export.csv"],
)
def test_every_workbook_downloads_with_stored_control_characters(client, plan, url):
    client.login(username="qu-viewer", password=PASSWORD)
    answer = client.get(url)
    assert answer.status_code == 200, url
    content = b"".join(answer.streaming_content) if answer.streaming else answer.content
    if url.endswith(".xlsx"):
        openpyxl.load_workbook(io.BytesIO(content))


# ------------------------------------------------------------------ mail


class RaisingBackend:
    """A mail backend that fails as no SMTP server does (a bug, a third-party backend)."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        raise RuntimeError("backend exploded")


@pytest.fixture
def submitted(beibei):
    period = open_period("2026H2")
    fill_street(period, TIANSHENG)
    submission_submit(scope=operator_scope(), submission=submission(period, TIANSHENG))
    editor = make_user("ts-editor", TIANSHENG, Role.EDITOR)
    editor.email = "ts-editor@beibei.example"
    editor.save()
    admin = make_user("qu-admin", "500109", Role.ADMIN)
    make_user("qu-approver", "500109", Role.APPROVER)
    return admin


def _return_with_two_lines(client, capture):
    client.login(username="qu-approver", password=PASSWORD)
    with capture(execute=True):
        answer = client.post(
            f"/api/v1/submissions/2026H2/{TIANSHENG}/return",
            json.dumps({"reason": "第一行：户数不对\r\n第二行：面积缺依据"}),
            content_type="application/json",
        )
    assert answer.status_code == 200, answer.content
    assert Submission.objects.get(street__code=TIANSHENG).state == Submission.State.RETURNED


def test_a_two_line_return_reason_is_mailed_over_smtp_with_a_one_line_subject(
    client, submitted, settings, django_capture_on_commit_callbacks
):
    state = SmtpServer()
    server = serve(state)
    try:
        _smtp_settings(settings, state.port)
        _return_with_two_lines(client, django_capture_on_commit_callbacks)
    finally:
        server.shutdown()
        server.server_close()
    [received] = state.received
    subject = str(received.message["Subject"])
    assert "\n" not in subject and "第一行：户数不对 第二行" in subject
    body = received.message.get_content().replace("\r\n", "\n")  # SMTP's line ends
    assert "第一行：户数不对\n第二行：面积缺依据" in body


def test_a_two_line_return_reason_reaches_the_locmem_outbox(
    client, submitted, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _return_with_two_lines(client, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert "第一行：户数不对\n第二行：面积缺依据" in message.body


def test_a_failing_mail_backend_is_logged_and_told_never_failing_the_request(
    client, submitted, settings, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.WARNING, logger="shequ.mail")
    settings.EMAIL_BACKEND = f"{__name__}.RaisingBackend"
    _return_with_two_lines(client, django_capture_on_commit_callbacks)
    [logged] = [r for r in caplog.records if r.name == "shequ.mail"]
    assert "ts-editor@beibei.example" in logged.getMessage()
    assert "backend exploded" in logged.getMessage()
    notice = Notification.objects.get(user=submitted, kind=Notification.Kind.MAIL_FAILURE)
    assert "ts-editor@beibei.example" in notice.message
