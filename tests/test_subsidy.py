"""补助资金: a yearly district budget, allocations per street (to plan measures or to
building centres), refused over the budget, warned above 90 %, paid by the district's
approvers, read by each street for itself only."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from shequ.accounts.scope import operator_scope, scope_for
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.models import AuditEvent
from shequ.core.settings_store import setting_set
from shequ.plans.models import Measure, Plan
from shequ.subsidy import services
from shequ.subsidy.models import SubsidyAllocation
from shequ.subsidy.queries import allocations_visible_to
from shequ.workflow import measures

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, region
from .ledger_helpers import approve_street, open_period

pytestmark = pytest.mark.django_db

TONGJIAXI = "500109104"  # 童家溪镇
Purpose = SubsidyAllocation.Purpose
TODAY = timezone.localdate()


def d(text: str) -> Decimal:
    return Decimal(text)


def allocate(street_code: str, amount: str, purpose=Purpose.SERVICE_CENTER, **more):
    values = {"year": 2025, "street": region(street_code), "purpose": purpose}
    return services.allocation_create(
        scope=more.pop("scope", operator_scope()), amount=d(amount), **values | more
    )


@pytest.fixture
def budget(beibei):
    return services.budget_set(scope=operator_scope(), year=2025, amount=d("500.00"))


@pytest.fixture
def measure(beibei):
    """A 童家溪镇 plan's measure funded by district subsidy, budget 30 万元."""
    approve_street(open_period("2026H1"), TONGJIAXI, households=1000, service_center="250.0")
    plan = Plan.objects.filter(street__code=TONGJIAXI).order_by("community__code").first()
    return measures.measure_save(
        scope=operator_scope(),
        plan=plan,
        values={
            "method": Measure.Method.RENOVATE,
            "description": "改造村委会二楼闲置用房",
            "planned_area": d("60.0"),
            "budget": d("30.00"),
            "funding": Measure.Funding.DISTRICT,
            "planned_date": TODAY + datetime.timedelta(days=60),
            "status": Measure.Status.NOT_STARTED,
        },
    )


# ---------------------------------------------------------------- arithmetic


def test_budget_status_adds_up_exactly_per_year_and_street(budget):
    allocate(TIANSHENG, "0.10")
    allocate(TIANSHENG, "0.20", purpose=Purpose.ELDERLY_CENTER)
    paid = allocate(CHENGJIANG, "123.45", purpose=Purpose.MUTUAL_AID).allocation
    allocate(CHENGJIANG, "10.01")
    services.allocation_mark_paid(scope=operator_scope(), allocation=paid, paid_on=TODAY)
    services.budget_set(scope=operator_scope(), year=2024, amount=d("80"))
    services.allocation_create(
        scope=operator_scope(),
        year=2024,
        street=region(TIANSHENG),
        purpose=Purpose.SERVICE_CENTER,
        amount=d("79.99"),
    )

    status = services.budget_status(2025)
    assert (status.budget, status.allocated, status.paid) == (
        d("500.00"),
        d("133.76"),
        d("123.45"),
    )
    assert status.remaining == d("366.24")  # exact: 0.10 + 0.20 is 0.30, not 0.30000000000000004
    lines = {line.street.code: line for line in status.streets}
    assert len(lines) == 17  # every street, those without money at zero
    assert (lines[TIANSHENG].allocated, lines[TIANSHENG].paid, lines[TIANSHENG].count) == (
        d("0.30"),
        d("0"),
        2,
    )
    assert (lines[CHENGJIANG].allocated, lines[CHENGJIANG].unpaid) == (d("133.46"), d("10.01"))
    assert lines[TONGJIAXI].allocated == 0
    other_year = services.budget_status(2024)
    assert (other_year.allocated, other_year.remaining) == (d("79.99"), d("0.01"))
    assert services.budget_status(2030).budget is None


def test_a_street_sees_its_own_money_and_not_the_districts_budget(budget, tiansheng_editor):
    allocate(TIANSHENG, "12.00")
    allocate(CHENGJIANG, "30.00")
    status = services.budget_status(2025, scope=scope_for(tiansheng_editor))
    assert [line.street.code for line in status.streets] == [TIANSHENG]
    assert (status.budget, status.remaining, status.allocated) == (None, None, d("12.00"))
    assert not status.district_wide


# ---------------------------------------------------------------- budget rules


def test_an_allocation_over_the_budget_is_refused_with_the_figures(budget):
    allocate(TIANSHENG, "420.50")
    with pytest.raises(DomainError) as refused:
        allocate(CHENGJIANG, "80.00")
    assert refused.value.message == (
        "超出2025年补助资金预算，不能安排：预算 500.00 万元，已安排 420.50 万元，"
        "剩余 79.50 万元，本次 80.00 万元，将超出 0.50 万元"
    )
    assert refused.value.field == "amount"
    assert SubsidyAllocation.objects.count() == 1
    assert allocate(CHENGJIANG, "79.50").allocation.amount == d("79.50")  # exactly to the limit


def test_no_budget_no_allocation(beibei):
    with pytest.raises(DomainError, match="2025年尚未设定补助资金预算"):
        allocate(TIANSHENG, "1")


def test_above_ninety_per_cent_the_allocation_is_accepted_with_a_warning(budget):
    assert allocate(TIANSHENG, "450.00").warnings == []  # 90 % exactly: no warning yet
    result = allocate(CHENGJIANG, "0.01")
    assert result.allocation.pk
    assert result.warnings == [
        "2025年补助资金已安排 450.01 万元，占预算 500.00 万元的 90.0%，超过 90%，剩余 49.99 万元"
    ]
    assert services.budget_status(2025).near_limit


def test_the_warning_share_is_a_setting(budget):
    setting_set(services.WARN_SHARE_SETTING, 0.5)
    assert allocate(TIANSHENG, "250.01").warnings[0].startswith("2025年补助资金已安排 250.01")


def test_a_budget_cannot_fall_below_what_is_allocated(budget):
    allocate(TIANSHENG, "200")
    with pytest.raises(DomainError, match=r"已安排 200\.00 万元，预算不能低于"):
        services.budget_set(scope=operator_scope(), year=2025, amount=d("199.99"))
    assert services.budget_set(scope=operator_scope(), year=2025, amount=d("200")).amount == 200


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "应大于 0"), ("-5", "应大于 0"), ("1.005", "最多保留两位小数"), ("1e12", "金额过大")],
)
def test_amounts_are_positive_万元_with_two_decimals(budget, amount, message):
    with pytest.raises(DomainError, match=message):
        allocate(TIANSHENG, amount)


def test_changing_an_allocation_checks_the_budget_without_counting_itself(budget):
    allocation = allocate(TIANSHENG, "400").allocation
    changed = services.allocation_update(
        scope=operator_scope(),
        allocation=allocation,
        year=2025,
        street=region(CHENGJIANG),
        purpose=Purpose.ELDERLY_CENTER,
        amount=d("500.00"),
        notes="改为澄江镇养老服务中心",
    )
    assert (changed.allocation.street.code, changed.allocation.amount) == (CHENGJIANG, 500)
    assert changed.warnings  # 100 % of the budget
    with pytest.raises(DomainError, match=r"将超出 0\.01 万元"):
        services.allocation_update(
            scope=operator_scope(),
            allocation=allocation,
            year=2025,
            street=region(CHENGJIANG),
            purpose=Purpose.ELDERLY_CENTER,
            amount=d("500.01"),
        )


def test_paid_money_cannot_be_changed_or_cancelled(budget, district_approver):
    allocation = allocate(TIANSHENG, "40").allocation
    services.allocation_mark_paid(
        scope=scope_for(district_approver), allocation=allocation, paid_on=TODAY
    )
    with pytest.raises(DomainError, match="已拨付，只能修改说明"):
        services.allocation_update(
            scope=operator_scope(),
            allocation=allocation,
            year=2025,
            street=region(TIANSHENG),
            purpose=Purpose.SERVICE_CENTER,
            amount=d("41"),
        )
    with pytest.raises(DomainError, match="已拨付，不能取消"):
        services.allocation_cancel(scope=operator_scope(), allocation=allocation, reason="x")
    with pytest.raises(DomainError, match="已于"):
        services.allocation_mark_paid(scope=operator_scope(), allocation=allocation, paid_on=TODAY)


def test_cancelling_needs_a_reason_and_leaves_the_figures_in_the_audit_trail(budget):
    allocation = allocate(TIANSHENG, "40").allocation
    with pytest.raises(DomainError, match="取消原因"):
        services.allocation_cancel(scope=operator_scope(), allocation=allocation, reason=" ")
    services.allocation_cancel(scope=operator_scope(), allocation=allocation, reason="项目取消")
    assert not SubsidyAllocation.objects.exists()
    event = AuditEvent.objects.get(action="subsidy.cancel")
    assert (event.reason, event.changes["amount"]) == ("项目取消", ["40.00", None])
    assert event.region_path == region(TIANSHENG).path
    assert services.budget_status(2025).remaining == 500


def test_every_change_is_audited(budget):
    allocation = allocate(TIANSHENG, "40").allocation
    services.allocation_mark_paid(scope=operator_scope(), allocation=allocation, paid_on=TODAY)
    actions = list(
        AuditEvent.objects.filter(action__startswith="subsidy.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["subsidy.budget", "subsidy.allocate", "subsidy.pay"]


def test_a_payment_date_cannot_be_in_the_future(budget):
    allocation = allocate(TIANSHENG, "40").allocation
    with pytest.raises(DomainError, match="不能晚于今天"):
        services.allocation_mark_paid(
            scope=operator_scope(),
            allocation=allocation,
            paid_on=TODAY + datetime.timedelta(days=1),
        )


# ---------------------------------------------------------------- measures


def test_the_measure_purpose_needs_a_measure_of_the_same_street(budget, measure):
    with pytest.raises(DomainError, match="请选择措施") as refused:
        allocate(TONGJIAXI, "10", purpose=Purpose.MEASURE)
    assert refused.value.field == "measure"
    with pytest.raises(DomainError, match="属于童家溪镇，不能列入天生街道"):
        allocate(TIANSHENG, "10", purpose=Purpose.MEASURE, measure=measure)
    with pytest.raises(DomainError, match="只有用途为"):
        allocate(TONGJIAXI, "10", measure=measure)
    result = allocate(TONGJIAXI, "10", purpose=Purpose.MEASURE, measure=measure)
    # The community comes from the measure's plan.
    assert result.allocation.community == measure.plan.community
    assert result.warnings == []


def test_a_community_must_lie_in_the_street(budget):
    with pytest.raises(DomainError, match="不属于澄江镇"):
        allocate(CHENGJIANG, "10", community=region(XINXINGLU))


def test_a_measure_whose_subsidy_exceeds_its_budget_is_warned(budget, measure):
    allocate(TONGJIAXI, "20.00", purpose=Purpose.MEASURE, measure=measure)
    result = allocate(TONGJIAXI, "10.01", purpose=Purpose.MEASURE, measure=measure)
    assert result.warnings == [
        "措施“改造村委会二楼闲置用房”已安排区级补助 30.01 万元，超出其预算 30.00 万元 0.01 万元"
    ]


def test_a_measure_not_funded_by_the_district_is_warned(budget, measure):
    measure.funding = Measure.Funding.STREET
    measure.save()
    result = allocate(TONGJIAXI, "5", purpose=Purpose.MEASURE, measure=measure)
    assert "资金来源为“街镇自筹”，不是区级补助" in result.warnings[0]


def test_a_measure_with_subsidy_cannot_be_deleted(budget, measure):
    allocate(TONGJIAXI, "5", purpose=Purpose.MEASURE, measure=measure)
    with pytest.raises(DomainError, match="已安排区级补助资金"):
        measures.measure_delete(scope=operator_scope(), measure=measure)
    assert Measure.objects.filter(pk=measure.pk).exists()


# ---------------------------------------------------------------- who may do what


def test_only_the_districts_admins_set_budgets_and_allocate(
    budget, tiansheng_editor, district_approver, district_viewer
):
    for user in (tiansheng_editor, district_approver, district_viewer):
        with pytest.raises(NotAllowed):
            allocate(TIANSHENG, "1", scope=scope_for(user))
        with pytest.raises(NotAllowed):
            services.budget_set(scope=scope_for(user), year=2026, amount=d("1"))


def test_the_districts_admin_allocates_and_its_approver_pays(
    budget, district_admin, district_approver, tiansheng_approver
):
    allocation = allocate(TIANSHENG, "8", scope=scope_for(district_admin)).allocation
    assert AuditEvent.objects.get(action="subsidy.allocate").actor == district_admin.display_name
    with pytest.raises(NotAllowed):  # allocating is not paying
        services.allocation_mark_paid(
            scope=scope_for(district_admin), allocation=allocation, paid_on=TODAY
        )
    with pytest.raises(NotAllowed):
        services.allocation_mark_paid(
            scope=scope_for(tiansheng_approver), allocation=allocation, paid_on=TODAY
        )
    paid = services.allocation_mark_paid(
        scope=scope_for(district_approver), allocation=allocation, paid_on=TODAY
    )
    assert (paid.state, paid.paid_on) == ("paid", TODAY)


def test_another_streets_allocation_is_out_of_scope(budget, chengjiang_editor):
    allocation = allocate(TIANSHENG, "8").allocation
    with pytest.raises(OutOfScope):
        services.allocation_cancel(
            scope=scope_for(chengjiang_editor), allocation=allocation, reason="x"
        )
    assert not allocations_visible_to(scope_for(chengjiang_editor)).exists()


def test_a_community_sees_the_allocations_naming_it(budget, xinxinglu_editor):
    allocate(TIANSHENG, "8", community=region(XINXINGLU))
    allocate(TIANSHENG, "9")
    visible = allocations_visible_to(scope_for(xinxinglu_editor))
    assert [a.amount for a in visible] == [d("8.00")]


# ---------------------------------------------------------------- pages


def test_anonymous_users_are_sent_to_the_login(client):
    for url in ("/subsidy/", "/subsidy/export.xlsx?year=2025"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_shows_the_years_figures_per_street(client, budget, district_viewer):
    allocate(TIANSHENG, "450.00", notes="天生街道便民服务中心扩建")
    allocate(CHENGJIANG, "12.34", purpose=Purpose.MUTUAL_AID)
    client.force_login(district_viewer)
    page = client.get("/subsidy/?year=2025").content.decode()
    assert "500.00" in page and "462.34" in page and "37.66" in page  # budget, allocated, left
    assert "天生街道便民服务中心扩建" in page and "村级养老互助点建设" in page
    assert 'data-testid="near-limit"' in page  # 92.5 % of the budget
    assert 'data-testid="allocation-form"' not in page  # viewers read only
    filtered = client.get(f"/subsidy/?year=2025&street={CHENGJIANG}").content.decode()
    assert (
        "天生街道便民服务中心扩建" not in filtered
        and 'data-testid="listed-total">12.34' in filtered
    )
    assert "尚未设定补助资金预算" in client.get("/subsidy/?year=2031").content.decode()


def test_the_district_admin_sets_the_budget_and_allocates_on_the_page(client, district_admin):
    client.force_login(district_admin)
    response = client.post(
        "/subsidy/", {"action": "budget", "year": "2026", "b-amount": "100", "b-notes": ""}
    )
    assert response.status_code == 302 and response["Location"] == "/subsidy/?year=2026"
    form = {
        "action": "allocate",
        "year": "2026",
        "a-street": region(TIANSHENG).pk,
        "a-purpose": "service_center",
        "a-amount": "95.5",
        "a-notes": "",
    }
    response = client.post("/subsidy/", form, follow=True)
    page = response.content.decode()
    assert "已安排天生街道便民服务中心建设 95.50 万元" in page
    assert "超过 90%" in page  # accepted, with the warning shown
    response = client.post("/subsidy/", form | {"a-amount": "5"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "剩余 4.50 万元，本次 5.00 万元，将超出 0.50 万元" in page
    assert SubsidyAllocation.objects.count() == 1


def test_a_measure_allocation_on_the_page_needs_the_measure(client, district_admin, measure):
    services.budget_set(scope=operator_scope(), year=2026, amount=d("100"))
    client.force_login(district_admin)
    page = client.get("/subsidy/?year=2026").content.decode()
    assert "童家溪镇 · " in page and "改造村委会二楼闲置用房（预算 30.00 万元，区级补助）" in page
    form = {
        "action": "allocate",
        "year": "2026",
        "a-street": region(TONGJIAXI).pk,
        "a-purpose": "measure",
        "a-amount": "10",
    }
    assert "请选择措施" in client.post("/subsidy/", form).content.decode()
    assert client.post("/subsidy/", form | {"a-measure": measure.pk}).status_code == 302
    assert SubsidyAllocation.objects.get().measure == measure


def test_a_street_user_cannot_allocate_or_pay(client, budget, tiansheng_editor, district_approver):
    allocation = allocate(TIANSHENG, "8").allocation
    client.force_login(tiansheng_editor)
    post = {"year": "2025", "allocation": allocation.pk}
    assert client.post("/subsidy/", post | {"action": "budget", "b-amount": "1"}).status_code == 403
    assert client.post("/subsidy/", post | {"action": "allocate"}).status_code == 403
    assert client.post("/subsidy/", post | {"action": "pay", "paid_on": TODAY}).status_code == 403
    assert client.post("/subsidy/", post | {"action": "cancel", "reason": "x"}).status_code == 403
    client.force_login(district_approver)
    assert client.post("/subsidy/", post | {"action": "pay", "paid_on": TODAY}).status_code == 302
    assert SubsidyAllocation.objects.get().state == "paid"


def test_a_street_sees_only_its_own_allocations(client, budget, chengjiang_editor):
    theirs = allocate(TIANSHENG, "8", notes="天生街道的钱").allocation
    allocate(CHENGJIANG, "9", notes="澄江镇的钱")
    client.force_login(chengjiang_editor)
    page = client.get("/subsidy/?year=2025").content.decode()
    assert "澄江镇的钱" in page and "天生街道的钱" not in page
    assert 'data-testid="budget"' not in page  # the district's budget is the district's
    post = {"year": "2025", "allocation": theirs.pk, "action": "pay", "paid_on": TODAY}
    assert client.post("/subsidy/", post).status_code == 404
    book = openpyxl.load_workbook(io.BytesIO(client.get("/subsidy/export.xlsx?year=2025").content))
    texts = {cell for row in book.active.iter_rows(values_only=True) for cell in row if cell}
    assert "澄江镇的钱" in texts and "天生街道的钱" not in texts


def test_the_xlsx_lists_the_years_allocations_with_totals_and_keeps_text_as_text(
    client, budget, measure, district_viewer
):
    measure.description = "=1+1 改造用房"
    measure.save()
    allocate(TIANSHENG, "100.10", notes='=HYPERLINK("http://x")')
    paid = allocate(TONGJIAXI, "20.25", purpose=Purpose.MEASURE, measure=measure).allocation
    services.allocation_mark_paid(scope=operator_scope(), allocation=paid, paid_on=TODAY)
    services.budget_set(scope=operator_scope(), year=2024, amount=d("50"))
    services.allocation_create(
        scope=operator_scope(),
        year=2024,
        street=region(CHENGJIANG),
        purpose=Purpose.SERVICE_CENTER,
        amount=d("7"),
    )
    client.force_login(district_viewer)
    response = client.get("/subsidy/export.xlsx?year=2025")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [row for row in sheet.iter_rows(values_only=True) if any(row)]
    assert rows[0][0] == "重庆市北碚区2025年补助资金安排明细"
    assert rows[1][0] == "填报单位：重庆市北碚区"
    assert rows[2][:6] == ("序号", "街镇", "用途", "社区（村）", "措施", "金额\n（万元）")
    lines = rows[3:5]
    assert [(line[1], line[5], line[6]) for line in lines] == [
        ("天生街道", 100.10, "已安排"),
        ("童家溪镇", 20.25, "已拨付"),
    ]
    assert lines[1][4] == "=1+1 改造用房" and lines[1][3] == measure.plan.community.name
    assert lines[0][8] == '=HYPERLINK("http://x")'
    assert lines[1][7] == datetime.datetime.combine(TODAY, datetime.time())
    totals = {row[0]: row[5] for row in rows[5:9]}
    assert totals == {
        "合计（已安排，2笔）": 120.35,
        "其中已拨付": 20.25,
        "年度预算": 500.0,
        "预算剩余": 379.65,
    }
    for cell in (sheet.cell(4, 9), sheet.cell(5, 5)):
        assert cell.data_type == "s"  # stored as text, never a formula


def test_the_plan_page_shows_each_measures_subsidy(client, budget, measure, district_viewer):
    allocate(TONGJIAXI, "31.00", purpose=Purpose.MEASURE, measure=measure)
    client.force_login(district_viewer)
    page = client.get(f"/plans/{measure.plan_id}/").content.decode()
    assert "改造村委会二楼闲置用房：已安排 31.00 万元，其中已拨付 0.00 万元" in page
    assert "超出措施预算" in page


@pytest.mark.parametrize("action", ["pay", "cancel"])
def test_a_refused_payment_or_cancellation_leaves_the_allocation_form_as_it_was(
    client, budget, district_admin, action
):
    """Both forms post their allocation; refused (here: no date, no reason), the page
    comes back with the form for a new allocation, not opened on the one acted on."""
    allocation = allocate(TIANSHENG, "8").allocation
    client.force_login(district_admin)
    post = {"year": "2025", "allocation": allocation.pk, "action": action}
    page = client.post("/subsidy/", post).content.decode()
    assert "请填写拨付日期" in page or "请填写取消原因" in page
    assert "安排资金" in page and "修改安排" not in page and "保存修改" not in page
    edit = client.get(f"/subsidy/?year=2025&edit={allocation.pk}").content.decode()
    assert "修改安排" in edit  # the edit link still opens it
