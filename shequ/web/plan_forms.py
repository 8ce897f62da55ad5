"""Forms of the plan pages: they parse what was typed; the rules are in plans.services."""

from django import forms

from shequ.assets.models import IdleAsset
from shequ.plans.models import Consultation, Measure, Plan
from shequ.plans.queries import ALL_PLANS, OPEN_PLANS
from shequ.plans.services import MEASURE_FIELDS
from shequ.web.conflicts import version_field

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class Compact:
    """Small Bootstrap controls, so that a measure fits on a 1366-pixel screen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


class MeasureForm(Compact, forms.ModelForm):
    class Meta:
        model = Measure
        fields = list(MEASURE_FIELDS)
        widgets = {
            "planned_date": DATE,
            "actual_date": DATE,
            "programme": forms.TextInput(
                attrs={"list": "programmes", "placeholder": "如 老旧小区改造"}
            ),
        }
        error_messages = {
            "method": {"required": "请选择方式"},
            "description": {"required": "请填写措施内容"},
            "planned_area": {"required": "请填写计划面积"},
            "planned_date": {"required": "请填写计划完成日期"},
            "asset": {
                "required": "请选择所用的闲置资产",
                "invalid_choice": "所选闲置资产不可用（已分配或不在您的范围内）",
            },
        }

    version = version_field()  # of the measure changed, as the page was drawn

    def __init__(self, *args, assets=None, require_asset=False, **kwargs):
        """`assets`: what the user may use (assets.queries.assets_usable_by); district
        users who only assign assets must pick one (`require_asset`)."""
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        field = self.fields["asset"]
        field.queryset = assets if assets is not None else IdleAsset.objects.none()
        field.required = require_asset
        field.empty_label = "（不使用闲置资产）"
        field.label_from_instance = asset_choice_label


def asset_choice_label(asset: IdleAsset) -> str:
    return f"{asset.name}（{asset.street.name}，{asset.area}㎡）"


class ConsultationForm(Compact, forms.ModelForm):
    class Meta:
        model = Consultation
        fields = ["held_on", "who", "said", "changed"]
        widgets = {
            "held_on": DATE,
            "said": forms.Textarea(attrs={"rows": 2}),
            "changed": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {
            "held_on": {"required": "请填写日期"},
            "who": {"required": "请选择对象"},
            "said": {"required": "请填写主要意见"},
        }


class TargetYearForm(Compact, forms.Form):
    target_year = forms.IntegerField(label="目标年度", min_value=2000, max_value=2100)


class CloseForm(Compact, forms.Form):
    closed_on = forms.DateField(
        label="销号日期", widget=DATE, error_messages={"required": "请填写销号日期"}
    )
    note = forms.CharField(
        label="销号说明",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写销号说明"},
    )
    evidence = forms.FileField(label="佐证文件（PDF、JPEG 或 PNG，不超过 10 MB）", required=False)


class SendBackForm(Compact, forms.Form):
    reason = forms.CharField(label="退回原因", error_messages={"required": "请填写退回原因"})


class PlanFilterForm(Compact, forms.Form):
    """The plan list's filters, always bound to the query: a wrong value (a street outside
    the user's node, an unknown state) is reported beside the list and left out."""

    street = forms.ChoiceField(
        label="街镇",
        required=False,
        error_messages={"invalid_choice": "所选街镇不存在或不在您的管辖范围内，已列出全部街镇。"},
    )
    state = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[(OPEN_PLANS, "未销号"), (ALL_PLANS, "全部"), *Plan.State.choices],
        widget=forms.HiddenInput,  # chosen with the state tabs above the list
        error_messages={"invalid_choice": "没有这种方案状态，已列出未销号的方案。"},
    )
    method = forms.ChoiceField(
        label="措施方式",
        required=False,
        choices=[("", "全部"), *Measure.Method.choices],
        error_messages={"invalid_choice": "没有这种措施方式，已列出全部方式。"},
    )
    overdue = forms.BooleanField(label="有逾期措施", required=False)

    def __init__(self, *args, streets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = [("", "全部")] + [(s.code, s.name) for s in streets]

    def criteria(self) -> dict:
        """The street, method and overdue filters given correctly (`plans_filtered`)."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "street": data.get("street", ""),
            "method": data.get("method", ""),
            "overdue": data.get("overdue", False),
        }

    def chosen_state(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("state", OPEN_PLANS)

    def problems(self) -> list[str]:
        self.is_valid()
        return [message for messages in self.errors.values() for message in messages]


class StreetPlanForm(Compact, forms.Form):
    title = forms.CharField(
        label="文件名称", max_length=200, error_messages={"required": "请填写文件名称"}
    )
    notes = forms.CharField(
        label="说明（主要目标、重点任务）", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    document = forms.FileField(
        label="实施方案文件（PDF 或 Word/WPS，不超过 20 MB）", required=False
    )
