
app_name = "reporting"

urlpatterns: list = [
    # Closing a period: checklist, close / reopen, carry-over (views/closing.py).
    # The period report, calibration and exports (views/reports.py).
]
