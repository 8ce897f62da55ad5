"""Django's admin as a back office for superusers only (ADR 0027). Administrators manage
users on the 用户管理 pages, in Chinese and scoped like every other page; the back office
is for what those pages leave out: users without a node, and superusers themselves."""

from django.contrib import admin
from django.http import HttpRequest


def is_back_office_user(request: HttpRequest) -> bool:
    user = request.user
    return user.is_active and user.is_superuser


class ShequAdminSite(admin.AdminSite):
    site_header = "城乡社区综合服务设施台账系统 · 后台管理"
    site_title = "后台管理"
    index_title = "用户与区划"

    def has_permission(self, request: HttpRequest) -> bool:
        return is_back_office_user(request)


class SuperuserAdmin(admin.ModelAdmin):
    """Permissions come from being a superuser, not from Django's permission table."""

    def has_module_permission(self, request):
        return is_back_office_user(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: history must keep who did what
