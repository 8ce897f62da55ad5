from django.contrib import admin
from django.urls import include, path

from shequ.api.v1 import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("shequ.web.urls")),
]
