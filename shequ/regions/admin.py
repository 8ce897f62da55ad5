from django.contrib import admin

from shequ.accounts.admin_site import ScopedAdmin
from shequ.regions.models import Region


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    """Read-only list: changes go through 区划调整, which keeps their history."""

    list_display = ["code", "name", "level", "kind", "urban_rural_class", "valid_to"]
    list_filter = ["level", "kind", "urban_rural_class"]
    search_fields = ["code", "name"]
    ordering = ["path"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
