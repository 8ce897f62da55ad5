from django.contrib.auth import views as auth_views
from django.urls import include, path

from shequ.web import (
    dashboard_views,
    plan_views,
    region_changes,
    subsidy_views,
    target_views,
    views,
)

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
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/<str:code>/", dashboard_views.dashboard, name="dashboard_region"),
    path(
        "dashboard/<str:period_code>/<str:street_code>/remind/",
        dashboard_views.remind,
        name="dashboard_remind",
    ),
    path("communities/<str:code>/", dashboard_views.community_page, name="community_page"),
    path("targets/", target_views.targets, name="targets"),
    path("plans/", plan_views.plan_list, name="plan_list"),
    path("plans/<int:pk>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/evidence/", plan_views.plan_evidence, name="plan_evidence"),
    path("subsidy/", subsidy_views.subsidy_page, name="subsidy"),
    path("subsidy/export.xlsx", subsidy_views.subsidy_xlsx, name="subsidy_xlsx"),
]
