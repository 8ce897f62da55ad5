"""Forms of the region-change pages; the checks themselves live in regions.changes."""

from django import forms

from shequ.core.periods import PeriodCode, PeriodCodeError
from shequ.regions.levels import Kind, UrbanRural


class PeriodField(forms.CharField):
    default_error_messages = {"required": "请填写生效报告期"}

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "生效报告期")
        kwargs.setdefault("help_text", "如 2025H1 或 2025年上半年：自该期起按调整后的区划统计")
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return PeriodCode.parse(value)
        except PeriodCodeError as error:
            raise forms.ValidationError(str(error)) from error


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "调整依据")
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "如：区政府批复文号"}))
        super().__init__(**kwargs)


class RenameForm(forms.Form):
    name = forms.CharField(label="新名称", max_length=100)
    effective = PeriodField()
    reason = ReasonField()


class MoveForm(forms.Form):
    new_parent = forms.ModelChoiceField(label="调整到", queryset=None, empty_label="请选择")
    effective = PeriodField()
    reason = ReasonField()

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = parents


class ReclassifyForm(forms.Form):
    urban_rural_class = forms.ChoiceField(label="城乡类别", choices=UrbanRural.choices)
    kind = forms.ChoiceField(
        label="类型",
        choices=[(Kind.NEIGHBOURHOOD, "社区"), (Kind.VILLAGE, "村")],
        help_text="村改居时改为“社区”",
    )
    effective = PeriodField()
    reason = ReasonField()


class DeactivateForm(forms.Form):
    effective = PeriodField(help_text="自该期起不再统计此区划")
    reason = ReasonField(required=True)


class CreateForm(forms.Form):
    code = forms.CharField(label="区划代码", max_length=12, help_text="12 位统计用区划代码")
    name = forms.CharField(label="名称", max_length=100)
    urban_rural_class = forms.ChoiceField(
        label="城乡类别",
        choices=[("", "按代码默认"), *list(UrbanRural.choices)],
        required=False,
    )
    effective = PeriodField()
    reason = ReasonField()


PLAN_CHOICES = [
    ("transfer", "转由合并后的社区承接（措施和征求意见一并转入）"),
    ("withdraw", "因区划调整撤销（须填写原因）"),
]


class MergeForm(forms.Form):
    sources = forms.ModelMultipleChoiceField(
        label="合并的社区/村", queryset=None, widget=forms.CheckboxSelectMultiple
    )
    into = forms.ModelChoiceField(
        label="并入现有社区/村",
        queryset=None,
        required=False,
        empty_label="不并入现有社区，新设合并后的社区",
        help_text="选择后，上面勾选的社区并入它，它的代码和名称不变",
    )
    code = forms.CharField(label="合并后代码", max_length=12, required=False)
    name = forms.CharField(label="合并后名称", max_length=100, required=False)
    plans = forms.ChoiceField(
        label="未销号的一社区一方案", choices=PLAN_CHOICES, initial="transfer", required=False
    )
    effective = PeriodField()
    reason = ReasonField()

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sources"].queryset = communities
        self.fields["into"].queryset = communities

    def clean(self):
        data = super().clean()
        if not data.get("into") and not (data.get("code") and data.get("name")):
            raise forms.ValidationError("请填写合并后的代码和名称，或选择并入的现有社区")
        return data


class SplitForm(forms.Form):
    parts = forms.CharField(
        label="拆分后的社区/村",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "每行一个：代码 名称"}),
        help_text="每行一个，代码与名称之间用空格分隔",
    )
    plan_to = forms.CharField(
        label="原社区方案由哪个社区承接",
        max_length=12,
        required=False,
        help_text="填拆分后某个社区的代码；原社区没有未销号方案时不填",
    )
    close_plans = forms.BooleanField(
        label="原社区的未销号方案因区划调整撤销（须填写原因）", required=False
    )
    effective = PeriodField()
    reason = ReasonField()

    def clean_parts(self):
        parts = []
        for number, line in enumerate(self.cleaned_data["parts"].splitlines(), start=1):
            if not line.strip():
                continue
            pieces = line.split(maxsplit=1)
            if len(pieces) != 2:
                raise forms.ValidationError(f"第{number}行应为“代码 名称”")
            parts.append((pieces[0], pieces[1].strip()))
        return parts


class TargetForm(forms.Form):
    """A year's target for the district or one street; the rules are in target_changes."""

    year = forms.IntegerField(
        label="年度", min_value=2000, max_value=2100, error_messages={"required": "请填写年度"}
    )
    region = forms.ChoiceField(label="适用范围")
    share_percent = forms.DecimalField(
        label="达标比例（%）",
        min_value=0,
        max_value=100,
        decimal_places=1,
        error_messages={"required": "请填写达标比例"},
        help_text="该年度须达标的社区（村）占比，如 80",
    )
    standard = forms.DecimalField(
        label="每百户面积标准（㎡）",
        required=False,
        min_value=1,
        decimal_places=1,
        help_text="只在全区目标上填写；留空则沿用以前年度的标准（默认 30）",
    )

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.name) for r in regions]
