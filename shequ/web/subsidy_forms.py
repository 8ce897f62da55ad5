"""Forms of the 补助资金 page: they parse what was typed; the rules are in subsidy.services."""

from django import forms

from shequ.plans.models import Measure
from shequ.subsidy.models import SubsidyAllocation
from shequ.web.conflicts import track_changes, version_field
from shequ.web.plan_forms import DATE, Compact

MONEY_ERRORS = {"required": "请填写金额（万元）", "invalid": "请填写数字（万元）"}


def money_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=12,
        decimal_places=2,
        error_messages=MONEY_ERRORS,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )


class FilterForm(Compact, forms.Form):
    year = forms.IntegerField(label="年度", required=False)
    street = forms.ChoiceField(label="街镇", required=False)
    purpose = forms.ChoiceField(
        label="用途",
        required=False,
        choices=[("", "全部"), *SubsidyAllocation.Purpose.choices],
    )

    def __init__(self, *args, streets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = [("", "全部")] + [(s.code, s.name) for s in streets]


class BudgetForm(Compact, forms.Form):
    amount = money_field("年度预算（万元）")
    notes = forms.CharField(label="说明", required=False, max_length=300)


class MeasureChoice(forms.ModelChoiceField):
    """A measure read as its street, community and description, with its budget."""

    def label_from_instance(self, measure: Measure) -> str:
        plan = measure.plan
        budget = f"预算 {measure.budget} 万元" if measure.budget is not None else "未填预算"
        source = measure.get_funding_display() or "资金来源未填"
        return (
            f"{plan.street.name} · {plan.community.name}：{measure.description}"
            f"（{budget}，{source}）"
        )


class AllocationForm(Compact, forms.Form):
    street = forms.ModelChoiceField(
        label="街镇", queryset=None, error_messages={"required": "请选择街镇"}
    )
    purpose = forms.ChoiceField(
        label="用途",
        choices=[("", "请选择"), *SubsidyAllocation.Purpose.choices],
        error_messages={"required": "请选择资金用途"},
    )
    measure = MeasureChoice(
        label="措施（用途为一社区一方案措施时必选）", queryset=None, required=False
    )
    community = forms.ModelChoiceField(label="社区（村，可不选）", queryset=None, required=False)
    amount = money_field("金额（万元）")
    notes = forms.CharField(label="说明", required=False, max_length=300)
    version = version_field()  # of the allocation changed, as the page was drawn

    def __init__(self, *args, streets, measures, communities, **kwargs):
        super().__init__(*args, **kwargs)
        track_changes(self)
        self.fields["street"].queryset = streets
        self.fields["measure"].queryset = measures
        self.fields["community"].queryset = communities
        self.fields["street"].label_from_instance = lambda street: street.name
        self.fields["community"].label_from_instance = lambda community: (
            f"{community.parent.name} · {community.name}" if community.parent else community.name
        )


class PayForm(Compact, forms.Form):
    paid_on = forms.DateField(
        label="拨付日期", widget=DATE, error_messages={"required": "请填写拨付日期"}
    )


class CancelForm(Compact, forms.Form):
    reason = forms.CharField(label="取消原因", error_messages={"required": "请填写取消原因"})
