"""The 操作记录 page's search form: it parses what was typed into an `AuditSearch`; a
wrong value is reported beside the list and left out of the search."""

from django import forms

from shequ.accounts.audit_log import OBJECT_TYPES, AuditSearch
from shequ.core.periods import PeriodCode

DATE_HINT = "请按 2026-05-01 的格式填写日期"


class DateInput(forms.DateInput):
    input_type = "date"


class AuditSearchForm(forms.Form):
    who = forms.CharField(
        label="操作人",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"list": "audit-users", "placeholder": "用户名或姓名"}),
    )
    object_type = forms.ChoiceField(
        label="对象",
        required=False,
        choices=[("", "全部"), *OBJECT_TYPES.items()],
        error_messages={"invalid_choice": "没有这类对象，已按全部对象查询。"},
    )
    text = forms.CharField(
        label="内容包含",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "如 新星路社区、退回"}),
    )
    period = forms.ChoiceField(
        label="报告期",
        required=False,
        error_messages={"invalid_choice": "没有这个报告期，已按全部报告期查询。"},
    )
    since = forms.DateField(
        label="从",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=DateInput(format="%Y-%m-%d"),
        error_messages={"invalid": f"开始日期不正确：{DATE_HINT}。"},
    )
    until = forms.DateField(
        label="至",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=DateInput(format="%Y-%m-%d"),
        error_messages={"invalid": f"结束日期不正确：{DATE_HINT}。"},
    )

    def __init__(self, *args, periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("", "全部")] + [(p.code, p.label) for p in periods]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", f"{css} {css}-sm")

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "结束日期早于开始日期，已不按结束日期查询。")
        return data

    def search(self) -> AuditSearch:
        """The criteria given correctly."""
        self.is_valid()
        data = self.cleaned_data
        period = data.get("period")
        return AuditSearch(
            who=data.get("who", "").strip(),
            object_type=data.get("object_type", ""),
            text=data.get("text", "").strip(),
            period=PeriodCode.parse(period) if period else None,
            since=data.get("since"),
            until=data.get("until"),
        )

    def problems(self) -> list[str]:
        self.is_valid()
        return [message for messages in self.errors.values() for message in messages]
