from django.contrib.admin import autodiscover
from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks


class ShequAdminConfig(SimpleAdminConfig):
    """Django's admin with our site class; kept apart because apps load before models.

    Simple: the admin modules are discovered when the URLconf loads (shequ/urls.py), not
    at start-up. Only the pages use them, and importing every app's admin.py took about
    12 ms of every `shequ` verb."""

    default_site = "shequ.accounts.admin_site.ShequAdminSite"

    def ready(self):
        # As SimpleAdminConfig, except that the admin's checks discover its modules first:
        # `shequ check` runs its checks in no fixed order, and must see every ModelAdmin
        # even when the URLconf has not been loaded yet.
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(_check_every_admin, checks.Tags.admin)


def _check_every_admin(app_configs, **kwargs):
    autodiscover()
    return check_admin_app(app_configs, **kwargs)
