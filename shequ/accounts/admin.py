from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetPasswordMixin
from django.db import transaction

from shequ.accounts.admin_site import SuperuserAdmin
from shequ.accounts.models import User
from shequ.accounts.scope import scope_for
from shequ.accounts.services import check_assignment, describe
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.regions.models import Region


class ScopedUserForm(forms.ModelForm):
    """Checks the node and role as the 用户管理 pages do (a user without a node, who sees
    nothing, is the back office's to keep)."""

    class Meta:
        model = User
        fields = ["username", "full_name", "phone", "email", "node", "role", "is_active"]

    def __init__(self, *args, scope=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope

    def clean(self):
        cleaned = super().clean()
        node = cleaned.get("node")
        # Unchanged, a node since merged away must not keep the user from being deactivated.
        if node is None or not {"node", "role"} & set(self.changed_data):
            return cleaned
        try:
            check_assignment(scope=self.scope, node=node, role=cleaned.get("role") or "")
        except DomainError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        except (NotAllowed, OutOfScope) as error:
            self.add_error(None, str(error))
        return cleaned


class ScopedUserCreationForm(SetPasswordMixin, ScopedUserForm):
    password1, password2 = SetPasswordMixin.create_password_fields()

    class Meta(ScopedUserForm.Meta):
        fields = ["username", "full_name", "phone", "email", "node", "role", "is_active"]

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        self.validate_password_for_user(self.instance)

    def save(self, commit=True):
        user = super().save(commit=False)
        return self.set_password_and_save(user, commit=commit)


@admin.register(User)
class UserAdmin(SuperuserAdmin, DjangoUserAdmin):
    form = ScopedUserForm
    add_form = ScopedUserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "full_name", "node", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name", "node__name", "node__code"]
    autocomplete_fields = ["node"]
    ordering = ["username"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("基本信息", {"fields": ["full_name", "phone", "email"]}),
        ("区划与角色", {"fields": ["node", "role", "is_active"]}),
        ("登录记录", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "username",
                    "password1",
                    "password2",
                    "full_name",
                    "phone",
                    "email",
                    "node",
                    "role",
                    "is_active",
                ]
            },
        )
    ]
    readonly_fields = ["last_login", "date_joined"]

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        scope = scope_for(request.user)

        class BoundToScope(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, scope=scope, **inner)

        return BoundToScope

    def save_model(self, request, obj, form, change):
        obj.is_staff = obj.is_superuser  # Django's admin login form asks for is_staff
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            fields = [name for name in form.changed_data if not name.startswith("password")]
            audit_record(
                actor=scope_for(request.user).actor,
                action="users.change" if change else "users.create",
                target_type="user",
                target_id=obj.username,
                region_path=obj.node.path if obj.node else "",
                summary=f"{'修改' if change else '新建'}用户 {describe(obj)}",
                changes={"fields": fields},
            )

    def user_change_password(self, request, id, form_url=""):
        """Django's page, audited as the 用户管理 pages audit a reset (never the password)."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                audit_record(
                    actor=scope_for(request.user).actor,
                    action="users.password_reset",
                    target_type="user",
                    target_id=user.username,
                    region_path=user.node.path if user.node else "",
                    summary=f"重置用户 {describe(user)}的密码（后台管理）",
                )
        return response


@admin.register(Region)
class RegionAdmin(SuperuserAdmin):
    """Read-only list, for picking a user's node; changes go through 区划调整, which keeps
    their history. Registered here because the back office belongs to accounts (regions
    must not import it)."""

    list_display = ["code", "name", "level", "kind", "urban_rural_class", "valid_to"]
    list_filter = ["level", "kind", "urban_rural_class"]
    search_fields = ["code", "name"]
    ordering = ["path"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
