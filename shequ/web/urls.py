from django.contrib.auth import views as auth_views
from django.urls import include, path

from shequ.web import region_changes, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("regions/", views.region_browser, name="regions"),
    path("regions/<str:code>/", views.region_browser, name="region"),
    path("regions/<str:code>/change/", region_changes.region_change, name="region_change"),
    path("audit/", views.audit_log, name="audit"),
    path("ledger/", include("shequ.web.urls_ledger")),
    path("notifications/", views.notifications, name="notifications"),
]
