"""Figures as the documents and summaries show them, against the rows they come from.

Random ledgers (blanks, zeros, facilities in the centre, 其他, households missing or not
positive) in random states of the streets' ledgers; every figure worked out here again from
the rows by integer arithmetic on tenths of a m², independent of `ledger.rules`."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope
from shequ.compliance.tallies import tallies_rebuild
from shequ.core.actors import Actor
from shequ.core.periods import PeriodCode
from shequ.ledger.fields import AREA_FIELDS, CO_LOCATION_FLAGS
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.workbook_xlsx import FIRST_DATA_ROW, write_xlsx
from shequ.regions import changes
from shequ.regions.levels import UrbanRural
from shequ.workflow.ledger_files import ledger_workbook, write_csv

from .conftest import CHENGJIANG, TIANSHENG, YUNHE_CUN, region
from .ledger_helpers import open_period

pytestmark = pytest.mark.django_db

STREETS = (TIANSHENG, CHENGJIANG)  # 澄江镇 has both 社区 and 村: both sheets
LISTED = tuple(f for f in AREA_FIELDS if f != "other")
STATES = (
    Submission.State.DRAFT,
    Submission.State.SUBMITTED,
    Submission.State.RETURNED,
    Submission.State.APPROVED,
)

# Areas as the ledger stores them (one decimal), with the awkward ones often.
areas = st.one_of(
    st.none(),
    st.sampled_from([Decimal("0.0"), Decimal("0.1"), Decimal("12.3"), Decimal("99.9")]),
    st.decimals(min_value=0, max_value=2000, places=1),
)
households = st.one_of(st.none(), st.just(0), st.integers(min_value=1, max_value=4000))
row_values = st.fixed_dictionaries(
    {
        "households": households,
        **{field: areas for field in AREA_FIELDS},
        **{flag: st.booleans() for flag in CO_LOCATION_FLAGS.values()},
        "compliance_year": st.one_of(st.none(), st.integers(min_value=2018, max_value=2030)),
    }
)
street_ledgers = st.tuples(st.sampled_from(STATES), st.lists(row_values, min_size=1, max_size=12))


def tenths(value: Decimal | None) -> int:
    return 0 if value is None else int(value * 10)


def counted_tenths(row: LedgerRow, field: str) -> int:
    flag = CO_LOCATION_FLAGS.get(field)
    return 0 if flag and getattr(row, flag) else tenths(getattr(row, field))


def total_tenths(row: LedgerRow) -> int:
    return sum(counted_tenths(row, field) for field in AREA_FIELDS)


def valid(households: int | None) -> bool:
    return households is not None and households > 0


def compliant(row: LedgerRow, standard: int = 30) -> bool:
    # total/10 × 100 ≥ standard × households, in integers.
    return valid(row.households) and total_tenths(row) * 10 >= standard * row.households


def ratio_text(total: int, households: int | None) -> str:
    if not valid(households):
        return ""
    exact = Decimal(total * 10) / Decimal(households)
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def write_ledgers(period, ledgers) -> None:
    """Each street's rows take the generated values in turn, then the street's state."""
    for code, (state, values) in ledgers.items():
        rows = LedgerRow.objects.filter(period=period, street__code=code).order_by(
            "community__code"
        )
        for index, row in enumerate(rows):
            chosen = values[index % len(values)]
            for field, value in chosen.items():
                setattr(row, field, value)
            row.total_area = Decimal(total_tenths(row)) / 10
            row.save()
        reason = "退回" if state == Submission.State.RETURNED else ""
        Submission.objects.filter(period=period, street__code=code).update(
            state=state, return_reason=reason
        )


def rows_of(period, code, klass):
    return list(
        LedgerRow.objects.filter(
            period=period, street__code=code, community__urban_rural_class=klass
        )
        .select_related("community")
        .order_by("community__code")
    )


def expected_sum(rows) -> dict:
    """A 小计's figures: households with a valid count, each listed area as it counts."""
    return {
        "households": sum(r.households for r in rows if valid(r.households)),
        "total": sum(total_tenths(r) for r in rows),
        **{field: sum(counted_tenths(r, field) for r in rows) for field in LISTED},
        "other": sum(counted_tenths(r, "other") for r in rows),
        "communities": len(rows),
        "compliant": sum(compliant(r) for r in rows),
        # Rows adding area but no households: the sums then have no ratio.
        "unmatched": sum(1 for r in rows if total_tenths(r) and not valid(r.households)),
    }


def shown(value) -> str:
    return "" if value is None else str(value)


def as_tenths(value) -> int | None:
    return None if value is None else int(Decimal(str(value)) * 10)


def check_sum_line(line, expected: dict) -> None:
    assert line.households == expected["households"]
    assert as_tenths(line.total) == expected["total"]
    for field in LISTED:
        assert as_tenths(line.facilities[field]) == expected[field]
    unmatched = expected["unmatched"]
    if unmatched:
        assert line.ratio is None
        assert f"{unmatched}个社区（村）填了面积、户数未填或为0，每百户面积不计算" in line.remarks
    else:
        assert shown(line.ratio) == ratio_text(expected["total"], expected["households"])
    communities, count = expected["communities"], expected["compliant"]
    rate = (Decimal(100 * count) / communities).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert line.remarks.startswith(f"共{communities}个，达标{count}个，达标率{rate}%")
    other = expected["other"]
    if other:
        assert f"总面积含其他用房 {Decimal(other) / 10:.1f}㎡" in line.remarks
    else:
        assert "其他用房" not in line.remarks
    # The printed columns and the 其他用房 in the 备注 add up to the total.
    assert sum(expected[field] for field in LISTED) + other == expected["total"]


def check_community_line(line, row: LedgerRow) -> None:
    assert line.community == row.community.name
    assert line.households == row.households
    assert as_tenths(line.total) == total_tenths(row)
    for field in LISTED:
        # As stored: blank stays blank, a stored 0 stays 0.
        assert line.facilities[field] == getattr(row, field)
    assert shown(line.ratio) == ratio_text(total_tenths(row), row.households)
    assert line.compliant == compliant(row)


def check_book(period, book) -> None:
    grand = []
    for sheet in book.sheets:
        klass = UrbanRural.URBAN if sheet.name == "城市社区" else UrbanRural.RURAL
        lines = iter(sheet.lines)
        sheet_rows = []
        for code in STREETS:
            rows = rows_of(period, code, klass)
            if not rows:
                continue
            for row in rows:
                check_community_line(next(lines), row)
            subtotal = next(lines)
            assert subtotal.kind == "subtotal"
            check_sum_line(subtotal, expected_sum(rows))
            sheet_rows += rows
        total = next(lines)
        assert total.kind == "total"
        check_sum_line(total, expected_sum(sheet_rows))
        grand += sheet_rows
        rest = list(lines)
        if rest:
            [book_total] = rest
            assert book_total.kind == "book_total"
            check_sum_line(book_total, expected_sum(grand))
    assert len(grand) == LedgerRow.objects.filter(period=period).count()


def check_xlsx_cells(book) -> None:
    """The workbook's cells hold the lines' figures as numbers, blanks as empty cells."""
    stream = io.BytesIO()
    write_xlsx(book, stream)
    stream.seek(0)
    workbook = openpyxl.load_workbook(stream)
    for sheet in book.sheets:
        cells = workbook[sheet.name]
        for offset, line in enumerate(sheet.lines):
            values = [c.value for c in cells[FIRST_DATA_ROW + 1 + offset]]
            assert values[3] == line.households
            for column, field in enumerate(("total", *LISTED), start=4):
                expected = line.total if field == "total" else line.facilities[field]
                if expected is None:
                    assert values[column] is None
                else:
                    assert Decimal(str(values[column])) == expected
            assert (values[11] is None) == (line.ratio is None)
            if line.ratio is not None:
                assert Decimal(str(values[11])) == line.ratio


def check_csv(period) -> None:
    stream = io.StringIO()
    write_csv(scope=operator_scope(), period=period, street=None, stream=stream)
    lines = list(csv.reader(io.StringIO(stream.getvalue().lstrip("\ufeff"))))
    header, body = lines[0], [line for line in lines[1:] if len(line) > 1]
    approved = set(
        Submission.objects.filter(period=period, state=Submission.State.APPROVED).values_list(
            "street__code", flat=True
        )
    )
    by_code = {line[header.index("社区代码")].strip(): line for line in body}
    rows = LedgerRow.objects.filter(period=period).select_related("community", "street")
    assert len(by_code) == rows.count()
    for row in rows:
        line = by_code[row.community.code]
        cell = dict(zip(header, line, strict=True))
        assert cell["辖区户籍人口总户数"] == ("" if row.households is None else str(row.households))
        assert as_tenths(Decimal(cell["综合服务设施总建筑面积"])) == total_tenths(row)
        assert cell["每百户居民拥有综合服务设施面积"] == ratio_text(
            total_tenths(row), row.households
        )
        assert cell["是否达标"] == ("是" if compliant(row) else "否")
        assert cell["已审核"] == ("是" if row.street.code in approved else "否")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ledgers=st.fixed_dictionaries({code: street_ledgers for code in STREETS}))
def test_workbook_and_csv_figures_equal_the_rows(beibei, ledgers):
    with transaction.atomic():
        period = open_period("2026H2")
        LedgerRow.objects.filter(period=period).exclude(street__code__in=STREETS).delete()
        Submission.objects.filter(period=period).exclude(street__code__in=STREETS).delete()
        write_ledgers(period, ledgers)
        book = ledger_workbook(scope=operator_scope(), period=period)
        check_book(period, book)
        check_xlsx_cells(book)
        check_csv(period)
        transaction.set_rollback(True)


def test_a_book_over_no_community_states_no_rate(beibei):
    # A street without rows in the period (all its communities moved away, or a street
    # newly set up) printed its 合计 as “共0个，达标0个，达标率None%”.
    period = open_period("2026H2")
    LedgerRow.objects.filter(period=period, street__code=CHENGJIANG).delete()
    book = ledger_workbook(scope=operator_scope(), period=period, street=region(CHENGJIANG))
    [sheet] = book.sheets
    [total] = sheet.lines
    assert total.kind == "total"
    assert total.remarks.split("；")[0] == "共0个"
    assert "None" not in total.remarks


def test_a_periods_csv_gives_the_class_and_names_the_period_knows(beibei):
    # 运河村 becomes 运河新社区, an urban community, from 2027H1 on. 2026H2's approved
    # ledger counts it rural, its workbook prints it on the 农村社区 sheet, but its CSV said
    # 城市社区 under the new name.
    period = open_period("2026H2")
    cun = region(YUNHE_CUN)
    from_2027 = PeriodCode.parse("2027H1")
    changes.region_reclassify(
        actor=Actor.command_line(), region=cun, effective=from_2027, urban_rural_class="urban"
    )
    changes.region_rename(
        actor=Actor.command_line(), region=cun, name="运河新社区", effective=from_2027
    )
    stream = io.StringIO()
    write_csv(scope=operator_scope(), period=period, street=region(CHENGJIANG), stream=stream)
    lines = list(csv.DictReader(io.StringIO(stream.getvalue().lstrip("\ufeff"))))
    [line] = [line for line in lines if line["社区代码"].strip() == YUNHE_CUN]
    assert (line["社区名称"], line["城乡类别"]) == ("运河村村民委员会", "农村社区")
    book = ledger_workbook(scope=operator_scope(), period=period, street=region(CHENGJIANG))
    rural = next(sheet for sheet in book.sheets if sheet.name == "农村社区")
    assert "运河村村民委员会" in [line.community for line in rural.lines]


def test_the_dashboards_chart_gives_the_rate_its_card_gives(client, district_viewer):
    # 12 of 192 communities: 6.25 %. The card read 6.3% (half up) and the trend chart's
    # point 6.2 (Python's round() rounds half to even).
    period = open_period("2026H2")
    rows = LedgerRow.objects.filter(period=period).order_by("community__code")
    rows.update(households=1000, service_center=Decimal("250.0"), total_area=Decimal("250.0"))
    chosen = list(rows.values_list("pk", flat=True)[:12])
    LedgerRow.objects.filter(pk__in=chosen).update(
        service_center=Decimal("300.0"), total_area=Decimal("300.0")
    )
    Submission.objects.filter(period=period).update(state=Submission.State.APPROVED)
    tallies_rebuild(period)
    client.force_login(district_viewer)
    page = client.get(reverse("dashboard"), {"period": period.code})
    assert page.context["total"].figures.compliant == 12
    assert "6.3%" in page.content.decode()
    assert page.context["chart"]["trend"]["rates"] == [6.3]


# ---------------------------------------------------------------- workflow histories

SMALL_STREETS = ("500109104", "500109108")  # 童家溪镇, 施家梁镇: five communities each
valid_row = st.fixed_dictionaries(
    {
        "households": st.integers(min_value=600, max_value=3000),
        # 200 m² and up (no 中心偏小 warning); with at most 200 m² more, at most 300 per 100
        # households (no 单位 warning): no warning blocks the submission.
        "service_center": st.decimals(min_value=200, max_value=1500, places=1),
        "culture_room": st.one_of(st.none(), st.decimals(min_value=0, max_value=200, places=1)),
    }
)
steps = st.lists(
    st.tuples(
        st.sampled_from(SMALL_STREETS),
        st.sampled_from(["fill", "advance", "advance", "back"]),
        st.lists(valid_row, min_size=5, max_size=5),
    ),
    min_size=3,
    max_size=16,
)


def take_step(period, code, step, values) -> None:
    """One step of the street's ledger through the workflow: new figures while it may be
    changed; forward (submit, approve) or back (return, reopen) as its state allows."""
    from shequ.ledger.rows import rows_bulk_update
    from shequ.workflow import submissions as flow

    operator = operator_scope()
    ledger = Submission.objects.select_related("period", "street").get(
        period=period, street__code=code
    )
    rows = LedgerRow.objects.filter(period=period, street__code=code).order_by("pk")
    unfilled = rows.filter(households=None).exists()
    if ledger.is_editable and (step == "fill" or (step == "advance" and unfilled)):
        updates = list(zip(rows, values, strict=False))
        rows_bulk_update(scope=operator, updates=updates, reason="测试", action="ledger.test")
    elif step == "advance" and ledger.is_editable:
        flow.submission_submit(scope=operator, submission=ledger)
    elif step == "advance" and ledger.state == Submission.State.SUBMITTED:
        flow.submission_approve(scope=operator, submission=ledger)
    elif step == "back" and ledger.state == Submission.State.SUBMITTED:
        flow.submission_return(scope=operator, submission=ledger, reason="请核实")
    elif step == "back" and ledger.state == Submission.State.APPROVED:
        flow.submission_reopen(scope=operator, submission=ledger, reason="数据有误")


def stored_tallies(period) -> dict:
    from shequ.compliance.models import Tally

    skip = {"id", "period_id"}
    return {
        tally["region_id"]: {k: v for k, v in tally.items() if k not in skip}
        for tally in Tally.objects.filter(period=period).values()
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
def test_tallies_kept_in_step_equal_tallies_rebuilt_from_the_rows(beibei, history):
    """Every submit, approval, return and reopen refreshes the stored tallies: after any
    history they are what a rebuild from the rows gives, and the summary (stored for the
    district, live for a street) agrees with the rows."""
    from shequ.compliance.summary import summary

    with transaction.atomic():
        period = open_period("2026H2")
        for code, step, values in history:
            take_step(period, code, step, values)
        kept = stored_tallies(period)
        tallies_rebuild(period)
        assert kept == stored_tallies(period)
        district = summary(scope=operator_scope(), period=period)
        children = {unit.code: unit for unit in district.children}
        for code in SMALL_STREETS:
            street = summary(scope=operator_scope(), period=period, region=region(code))
            assert children[code].figures == street.total.figures
            approved = Submission.objects.filter(
                period=period, street__code=code, state=Submission.State.APPROVED
            ).exists()
            rows = LedgerRow.objects.filter(period=period, street__code=code)
            assert street.total.figures.compliant == (
                sum(compliant(row) for row in rows) if approved else 0
            )
        transaction.set_rollback(True)


# ---------------------------------------------------------------- region changes

TONGJIAXI, SHIJIALIANG = SMALL_STREETS
CARRIED = ("households", *AREA_FIELDS, *CO_LOCATION_FLAGS.values())
carried_row = st.fixed_dictionaries(
    {
        "households": st.integers(min_value=1, max_value=3000),
        **{field: areas for field in AREA_FIELDS},
        **{flag: st.booleans() for flag in CO_LOCATION_FLAGS.values()},
    }
)


def load_approved(period, code, values) -> None:
    """The street's rows hold `values` in turn and its ledger is approved (as history)."""
    from shequ.ledger.rows import rows_bulk_update
    from shequ.workflow.submissions import submission_load_approved

    rows = LedgerRow.objects.filter(period=period, street__code=code).order_by("community__code")
    updates = [(row, values[i % len(values)]) for i, row in enumerate(rows)]
    # A facility in the centre has no area of its own: the rules refuse one.
    for _row, value in updates:
        for field, flag in CO_LOCATION_FLAGS.items():
            if value[flag]:
                value[field] = None
    rows_bulk_update(scope=operator_scope(), updates=updates, reason="历史", action="ledger.test")
    ledger = Submission.objects.select_related("period", "street").get(
        period=period, street__code=code
    )
    from shequ.workflow.submissions import submission_open_for_backfill

    if not ledger.is_editable:
        ledger = submission_open_for_backfill(scope=operator_scope(), submission=ledger, reason="x")
    submission_load_approved(scope=operator_scope(), submission=ledger, reason="历史")


def figures(row: LedgerRow) -> dict:
    return {"total": total_tenths(row), **{f: getattr(row, f) for f in CARRIED}}


def combined(rows: list[LedgerRow]) -> dict:
    """A merged community's figures: counts and areas added, a facility in the centre only
    where it is in every part's, and the total the parts' totals added up."""
    return {
        "total": sum(total_tenths(r) for r in rows),
        "households": sum(r.households for r in rows),
        **{
            f: (
                sum(stated)
                if (stated := [getattr(r, f) for r in rows if getattr(r, f) is not None])
                else None
            )
            for f in AREA_FIELDS
        },
        **{flag: all(getattr(r, flag) for r in rows) for flag in CO_LOCATION_FLAGS.values()},
    }


def row_figures(period, code) -> dict:
    return figures(LedgerRow.objects.get(period=period, community__code=code))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.lists(carried_row, min_size=5, max_size=5),
    later=st.lists(carried_row, min_size=5, max_size=5),
    change=st.sampled_from(["merge", "into", "move", "recode", "split"]),
    opened_first=st.booleans(),
)
def test_region_changes_carry_the_approved_figures_and_never_count_them_twice(
    beibei, values, later, change, opened_first
):
    """2026H1 approved, closed; a change from 2026H2 (opened before or after it): each
    community's 2026H2 row holds its (or its predecessors' summed) approved figures; once
    2026H2 is approved, 2027H1 carries 2026H2's own figures, never the predecessors' again."""
    from shequ.ledger.periods import period_close
    from shequ.workflow import region_changes as rc

    with transaction.atomic():
        first = open_period("2026H1")
        load_approved(first, TONGJIAXI, values)
        period_close(scope=operator_scope(), period=first)
        codes = list(
            LedgerRow.objects.filter(period=first, street__code=TONGJIAXI)
            .order_by("community__code")
            .values_list("community__code", flat=True)
        )
        before = {code: row_figures(first, code) for code in codes}
        parts = [LedgerRow.objects.get(period=first, community__code=c) for c in codes[:2]]
        h2 = PeriodCode.parse("2026H2")
        if opened_first:
            open_period("2026H2")
        common = {"scope": operator_scope(), "effective": h2, "reason": "区划调整"}
        expected = {code: before[code] for code in codes[2:]}
        if change == "merge":
            rc.change_merge(
                sources=[region(c) for c in codes[:2]],
                code="500109104901",
                name="合并社区",
                **common,
            )
            expected["500109104901"] = combined(parts)
        elif change == "into":
            rc.change_merge(sources=[region(codes[1])], into=region(codes[0]), **common)
            expected[codes[0]] = combined(parts)
        elif change == "move":
            rc.change_move(region=region(codes[0]), new_parent=region(SHIJIALIANG), **common)
            expected[codes[0]] = before[codes[0]]
            expected[codes[1]] = before[codes[1]]
        elif change == "split":
            parts_of = [("500109104911", "东社区"), ("500109104912", "西社区")]
            rc.change_split(source=region(codes[0]), parts=parts_of, close_plans=True, **common)
            blank = {"total": 0, "households": None}
            expected.update({code: blank for code, _name in parts_of})
            expected[codes[1]] = before[codes[1]]
        else:
            rc.change_recode(region=region(codes[0]), code="500109104902", **common)
            expected["500109104902"] = before[codes[0]]
            expected[codes[1]] = before[codes[1]]
        second = open_period("2026H2")
        for code, figures_then in expected.items():
            got = row_figures(second, code)
            assert {k: got[k] for k in figures_then} == figures_then, code
        kept = stored_tallies(second)
        tallies_rebuild(second)
        assert kept == stored_tallies(second)

        # 2026H2 approved with other figures: 2027H1 carries those, nothing added again.
        streets = {
            r.street.code
            for r in LedgerRow.objects.filter(
                period=second, community__code__in=expected
            ).select_related("street")
        }
        for street in streets:
            load_approved(second, street, later)
        approved = {code: row_figures(second, code) for code in expected}
        period_close(scope=operator_scope(), period=second)
        third = open_period("2027H1")
        for code, figures_then in approved.items():
            assert row_figures(third, code) == figures_then, code
        transaction.set_rollback(True)
