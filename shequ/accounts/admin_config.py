from django.contrib.admin.apps import AdminConfig


class ShequAdminConfig(AdminConfig):
    """Django's admin with our site class; kept apart because apps load before models."""

    default_site = "shequ.accounts.admin_site.ShequAdminSite"
