"""API routes of the outages app under /api/v1/ (namespace "outages_api")."""

from django.urls import path

from outages.api import reports, schedule

app_name = "outages_api"

urlpatterns = [
    path("outages/reports/", reports.ReportCreateAPI.as_view(), name="report-create"),
    # Before reports/<code>/: "otp" must never be read as a tracking code.
    path("outages/reports/otp/", reports.ReportOtpAPI.as_view(), name="report-otp"),
    path(
        "outages/reports/otp/verify/",
        reports.ReportOtpVerifyAPI.as_view(),
        name="report-otp-verify",
    ),
    path("outages/reports/<str:code>/", reports.ReportTrackAPI.as_view(), name="report-track"),
    path("outages/schedule/", schedule.ScheduleListAPI.as_view(), name="schedule"),
    path("outages/status/", reports.FeederStatusAPI.as_view(), name="status"),
]
