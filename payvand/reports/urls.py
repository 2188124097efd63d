from __future__ import annotations

from django.urls import path

from payvand.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_index, name="index"),
    path("<slug:name>/", views.report_detail, name="detail"),
]
