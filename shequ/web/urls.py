from django.contrib.auth import views as auth_views
from django.urls import include, path

from shequ.web import (
    checklist_views,
    dashboard_views,
    plan_views,
    region_changes,
    street_plan_views,
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
    path("plans/street/", street_plan_views.street_plans, name="street_plans"),
    path(
        "plans/street/<str:street_code>/<int:year>/",
        street_plan_views.street_plan,
        name="street_plan",
    ),
    path(
        "plans/street/<str:street_code>/<int:year>/document/",
        street_plan_views.street_plan_document,
        name="street_plan_document",
    ),
    path("plans/summary.xlsx", plan_views.plan_summary_xlsx, name="plan_summary_xlsx"),
    path("plans/<int:pk>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/plan.docx", plan_views.plan_word, name="plan_word"),
    path("plans/<int:pk>/evidence/", plan_views.plan_evidence, name="plan_evidence"),
    path("checklist/", checklist_views.checklist, name="checklist"),
    path("checklist/<str:code>/", checklist_views.checklist, name="checklist_region"),
    path(
        "checklist/<str:code>/photo/<str:item_code>/",
        checklist_views.checklist_photo,
        name="checklist_photo",
    ),
]
