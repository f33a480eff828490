from django.urls import path

from cairn.reporting.views import closing, reports

app_name = "reporting"

urlpatterns: list = [
    # Closing a period: checklist, close / reopen, carry-over (views/closing.py).
    path("periods/<uuid:period>/close/", closing.checklist, name="checklist"),
    path("periods/<uuid:period>/close/confirm/", closing.close, name="close"),
    path("periods/<uuid:period>/reopen/", closing.reopen, name="reopen"),
    path(
        "periods/<uuid:period>/carry-over/",
        closing.checklist_carry_over,
        name="checklist_carry_over",
    ),
    path(
        "periods/<uuid:period>/next-quarter/",
        closing.create_next_period,
        name="create_next_period",
    ),
    path("objectives/<uuid:objective>/carry-over/", closing.carry_over, name="carry_over"),
    # The period report, calibration and exports (views/reports.py).
    path("periods/<uuid:period>/report/", reports.period_report, name="period_report"),
    path(
        "periods/<uuid:period>/report.csv",
        reports.period_report_export,
        {"fmt": "csv"},
        name="period_report_csv",
    ),
    path(
        "periods/<uuid:period>/report.xlsx",
        reports.period_report_export,
        {"fmt": "xlsx"},
        name="period_report_xlsx",
    ),
    path(
        "periods/<uuid:period>/report.json",
        reports.period_report_export,
        {"fmt": "json"},
        name="period_report_json",
    ),
    path("calibration/", reports.calibration, name="calibration"),
]
