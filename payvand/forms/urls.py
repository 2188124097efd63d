from __future__ import annotations

from django.urls import path

from payvand.forms import views

app_name = "formbuilder"
urlpatterns = [
    path("", views.form_list, name="list"),
    path("new/", views.form_create, name="create"),
    path("preview/", views.form_preview, name="preview"),
    path("preview/check/", views.form_preview_check, name="preview_check"),
    path("calendar/", views.calendar, name="calendar"),
    path("contacts/", views.contact_options, name="contact_options"),
    path("<int:form_id>/", views.form_edit, name="edit"),
    path("<int:form_id>/deactivate/", views.form_deactivate, name="deactivate"),
    path("<int:form_id>/delete/", views.form_delete, name="delete"),
]
