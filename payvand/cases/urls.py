from __future__ import annotations

from django.urls import path

from payvand.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.template_list, name="list"),
    path("templates/new/", views.template_edit, name="template_new"),
    path("templates/<int:template_id>/", views.template_edit, name="template"),
    path("templates/<int:template_id>/toggle/", views.template_toggle, name="template_toggle"),
    path("templates/<int:template_id>/delete/", views.template_delete, name="template_delete"),
    path("templates/<int:template_id>/restore/", views.template_restore, name="template_restore"),
    path("<int:template_id>/contacts/<int:contact_id>/", views.case_start, name="start"),
]
