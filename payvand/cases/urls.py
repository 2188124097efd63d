from __future__ import annotations

from django.urls import path

from payvand.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.template_list, name="list"),
    path("<int:template_id>/contacts/<int:contact_id>/", views.case_start, name="start"),
]
