from django.contrib import admin
from django.urls import include, path

from shequ.api.v1 import api

# The admin's registrations are read here, with the pages, not at start-up
# (ShequAdminConfig is a SimpleAdminConfig).
admin.autodiscover()

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("shequ.web.urls")),
]
