"""Forms of the 用户管理 pages: they parse what was typed and offer only what the caller may
choose (the same predicates the services refuse by, `shequ.accounts.services`)."""

from __future__ import annotations

from django import forms

from shequ.accounts.models import Role, User
from shequ.accounts.scope import Scope
from shequ.accounts.services import (
    assignable_nodes,
    check_password,
    check_username,
    grantable_roles,
    role_refusal,
)
from shequ.core.errors import DomainError
from shequ.regions.levels import is_above_street
from shequ.regions.models import Region
from shequ.web.plan_forms import Compact

# What each role does, where it may be held, in the words of the picker.
ROLE_CHOICES = {
    Role.VIEWER: "查看：只能查看本区划及下级的数据",
    Role.EDITOR: "填报：填写台账、方案、功能设置（街镇、社区/村）",
    Role.APPROVER: "审核：区级审核台账；街镇向区里上报（区级、街镇）",
    Role.ADMIN: "管理：用户、区划、报告期、目标（仅区级）",
}

PASSWORD_HELP = "留空则由系统生成，保存后只显示一次；自己填写时至少 8 位，不能全是数字或过于常见"


def node_choices(scope: Scope) -> list:
    """The node picker, grouped as a clerk reads the tree: the levels above the street first,
    then one group per street with the street itself and its communities."""
    above: list[tuple[str, str]] = []
    groups: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    for node in assignable_nodes(scope).select_related("parent"):
        if is_above_street(node.level):
            above.append((node.code, f"{node.name}（区级）"))
        elif node.is_street:
            own = (node.code, f"{node.name}（街镇本级）")
            groups[node.pk] = (_street_group(scope, node), [own])
        elif node.parent_id in groups:
            groups[node.parent_id][1].append((node.code, node.name))
    choices: list = [("", "请选择")]
    if above:
        choices.append(("区级", above))
    return choices + list(groups.values())


def _street_group(scope: Scope, street: Region) -> str:
    """A street's group label; under a city, with its district's name."""
    parent = street.parent
    if parent is None or scope.node is None or parent.pk == scope.node.pk:
        return street.name
    return f"{parent.name} · {street.name}"


class PasswordField(forms.CharField):
    """Typed in the open: it is someone else's password, to be read out to them, and a
    password box would invite the browser to fill in the administrator's own."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 128)
        kwargs.setdefault("help_text", PASSWORD_HELP)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "留空自动生成"}
            ),
        )
        super().__init__(**kwargs)


class UserCreateForm(Compact, forms.Form):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        error_messages={"required": "请填写用户名"},
        help_text="登录时使用，建立后不能修改；可用字母、数字、汉字和 @ . + - _",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    full_name = forms.CharField(
        label="姓名", max_length=50, error_messages={"required": "请填写姓名"}
    )
    node = forms.ChoiceField(
        label="所属区划",
        error_messages={
            "required": "请选择所属区划",
            "invalid_choice": "请从列表中选择所属区划：只能选择本级及下级区划",
        },
    )
    role = forms.ChoiceField(
        label="角色",
        choices=[("", "请选择"), *Role.choices],
        error_messages={"required": "请选择角色", "invalid_choice": "请从列表中选择角色"},
    )
    phone = forms.CharField(label="联系电话", max_length=30, required=False)
    email = forms.EmailField(
        label="电子邮箱",
        required=False,
        help_text="填写后，上报、审核等通知同时发到这个邮箱",
        error_messages={"invalid": "电子邮箱格式不对"},
    )
    password = PasswordField(label="初始密码")

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["node"].choices = node_choices(scope)
        # Every role is read (a role the caller may not give is refused with its reason),
        # only those they may give are offered.
        offered = [(role, ROLE_CHOICES[Role(role)]) for role in grantable_roles(scope)]
        self.fields["role"].widget.choices = [("", "请选择"), *offered]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        try:
            check_username(username)
        except DomainError as error:
            raise forms.ValidationError(error.message) from error
        return username

    def clean(self) -> dict:
        """A typed password is checked with the rest, against the name typed beside it."""
        data = super().clean()
        password = data.get("password")
        if password:
            someone = User(
                username=data.get("username") or self.data.get("username", ""),
                email=data.get("email") or "",
            )
            try:
                check_password(password, someone)
            except DomainError as error:
                self.add_error("password", error.message)
        return data

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        refusal = role_refusal(self.scope, role)
        if refusal is not None:
            raise forms.ValidationError(refusal)
        return role

    def values(self) -> dict:
        """The cleaned values as `user_create` takes them (the node as a Region)."""
        data = dict(self.cleaned_data)
        data["node"] = Region.objects.get(code=data["node"])
        return data


class PasswordResetForm(Compact, forms.Form):
    password = PasswordField(label="新密码")


class UserFilterForm(Compact, forms.Form):
    q = forms.CharField(
        label="查找",
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": "用户名、姓名或区划名称", "type": "search"}),
    )
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), ("active", "启用"), ("inactive", "已停用")],
    )
