"""Forms of the idle assets pages: they parse what was typed; the rules are in
assets.services (which names the field at fault)."""

from django import forms

from shequ.assets.models import IdleAsset
from shequ.web.conflicts import version_field
from shequ.web.plan_forms import Compact


class AssetForm(Compact, forms.Form):
    kind = forms.ChoiceField(
        label="类别", choices=IdleAsset.Kind.choices, error_messages={"required": "请选择类别"}
    )
    name = forms.CharField(
        label="名称", max_length=100, error_messages={"required": "请填写资产名称"}
    )
    street = forms.ChoiceField(label="所在街镇", error_messages={"required": "请选择所在街镇"})
    area = forms.DecimalField(
        label="建筑面积（㎡）",
        max_digits=9,
        decimal_places=1,
        error_messages={"required": "请填写建筑面积", "invalid": "建筑面积应为数字"},
    )
    owner = forms.CharField(
        label="产权（管理）单位",
        max_length=100,
        error_messages={"required": "请填写产权（管理）单位"},
        widget=forms.TextInput(attrs={"placeholder": "如 区教委"}),
    )
    address = forms.CharField(
        label="地址", max_length=200, error_messages={"required": "请填写地址"}
    )
    status = forms.ChoiceField(label="状态", choices=IdleAsset.Status.choices)
    code = forms.CharField(
        label="资产编号",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "留空自动编号"}),
    )
    description = forms.CharField(
        label="情况说明", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = version_field()

    def __init__(self, *args, streets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.streets = {s.code: s for s in streets}
        self.fields["street"].choices = [("", "请选择")] + [(s.code, s.name) for s in streets]

    def values(self) -> dict:
        """The cleaned values as the service takes them (the street as a Region); the
        version read is apart (`read_version`)."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["street"] = self.streets.get(data["street"])
        return data

    def read_version(self) -> int | None:
        return self.cleaned_data.get("version")

    @staticmethod
    def initial_for(asset: IdleAsset) -> dict:
        fields = ("kind", "name", "area", "owner", "address", "status", "code")
        return {name: getattr(asset, name) for name in fields} | {
            "street": asset.street.code,
            "description": asset.description,
            "notes": asset.notes,
            "version": asset.version,
        }


class AssetFilterForm(Compact, forms.Form):
    street = forms.ChoiceField(label="街镇", required=False)
    kind = forms.ChoiceField(
        label="类别", required=False, choices=[("", "全部"), *IdleAsset.Kind.choices]
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *IdleAsset.Status.choices]
    )

    def __init__(self, *args, streets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = [("", "全部")] + [(s.code, s.name) for s in streets]
