from django.contrib import admin
from django.urls import include, path

from shequ.api.v1 import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("shequ.web.urls")),
]

# Production's error answers (DEBUG=0): Chinese pages in the layout, JSON under /api/.
handler400 = "shequ.web.errors.bad_request"
handler403 = "shequ.web.errors.permission_denied"
handler404 = "shequ.web.errors.page_not_found"
handler500 = "shequ.web.errors.server_error"
