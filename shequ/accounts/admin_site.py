"""Django's admin as the back office of administrators only, scoped to their node."""

from django.contrib import admin
from django.http import HttpRequest

from shequ.accounts.roles import Permission
from shequ.accounts.scope import scope_for


class ShequAdminSite(admin.AdminSite):
    site_header = "城乡社区综合服务设施台账系统 · 后台管理"
    site_title = "后台管理"
    index_title = "用户与区划"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and scope_for(user).can(Permission.MANAGE)


class ScopedAdmin(admin.ModelAdmin):
    """Permissions come from the user's role and node, not from Django's permission table."""

    region_path_field = "path"  # lookup to the region path that scopes each object

    def scope(self, request):
        return scope_for(request.user)

    def has_module_permission(self, request):
        return self.scope(request).can(Permission.MANAGE)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: history must keep who did what

    def get_queryset(self, request):
        prefix = self.scope(request).path_prefix()
        queryset = super().get_queryset(request)
        if prefix is None:
            return queryset.none()
        return queryset.filter(**{f"{self.region_path_field}__startswith": prefix})
