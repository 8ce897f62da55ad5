from django.contrib.admin.apps import SimpleAdminConfig


class ShequAdminConfig(SimpleAdminConfig):
    """Django's admin with our site class; kept apart because apps load before models.

    Simple: the admin modules are discovered when the URLconf loads (shequ/urls.py), not
    at start-up. Only the pages use them, and importing every app's admin.py took about
    12 ms of every `shequ` verb."""

    default_site = "shequ.accounts.admin_site.ShequAdminSite"
