from django.urls import path

from shequ.web import import_views
from shequ.web import ledger_views as views

urlpatterns = [
    path("", views.ledger_home, name="ledger_home"),
    path("rows/<int:pk>/", views.row_save, name="ledger_row_save"),
    path("rows/<int:pk>/preview/", views.row_preview, name="ledger_row_preview"),
    path("rows/<int:pk>/history/", views.row_history_page, name="ledger_row_history"),
    path("<str:period_code>/import/", import_views.upload, name="ledger_import"),
    path(
        "<str:period_code>/import/template.xlsx",
        import_views.blank_template,
        name="ledger_import_template",
    ),
    path(
        "<str:period_code>/import/<str:token>/",
        import_views.preview,
        name="ledger_import_preview",
    ),
    path(
        "<str:period_code>/import/<str:token>/apply/",
        import_views.apply,
        name="ledger_import_apply",
    ),
    path(
        "<str:period_code>/import/<str:token>/problems.xlsx",
        import_views.problems,
        name="ledger_import_problems",
    ),
    path("<str:period_code>/export.xlsx", views.export, {"fmt": "xlsx"}, name="ledger_xlsx"),
    path("<str:period_code>/export.csv", views.export, {"fmt": "csv"}, name="ledger_csv"),
    path("<str:period_code>/export.pdf", views.export, {"fmt": "pdf"}, name="ledger_pdf"),
    path("<str:period_code>/<str:street_code>/", views.ledger_grid, name="ledger_grid"),
    path("<str:period_code>/<str:street_code>/submit/", views.submit, name="ledger_submit"),
    path("<str:period_code>/<str:street_code>/review/", views.review, name="ledger_review"),
    path("<str:period_code>/<str:street_code>/decide/", views.decide, name="ledger_decide"),
]
