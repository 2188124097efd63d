from __future__ import annotations

from django.urls import path

from payvand.contacts import views, views_exchange

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("new/", views.contact_create, name="create"),
    path("import/", views_exchange.import_start, name="import"),
    path("import/<int:job_id>/", views_exchange.import_detail, name="import_detail"),
    path("export/", views_exchange.export, name="export"),
    path("layouts/", views.page_layouts, name="layouts"),
    path("layouts/<int:team_id>/", views.page_layout_save, name="layout_save"),
    path("<int:contact_id>/", views.contact_detail, name="detail"),
    path("<int:contact_id>/edit/", views.contact_edit, name="edit"),
    path("<int:contact_id>/merge/", views.contact_merge, name="merge"),
    path("<int:contact_id>/delete/", views.contact_delete, name="delete"),
    path("<int:contact_id>/flags/", views.flag_add, name="flag_add"),
    path("<int:contact_id>/flags/<int:flag_id>/delete/", views.flag_remove, name="flag_remove"),
    path("<int:contact_id>/identities/", views.identity_add, name="identity_add"),
    path("<int:contact_id>/identities/<int:identity_id>/delete/", views.identity_remove, name="identity_remove"),
    path("<int:contact_id>/addresses/", views.address_add, name="address_add"),
    path("<int:contact_id>/addresses/<int:address_id>/delete/", views.address_remove, name="address_remove"),
    path("<int:contact_id>/organisations/", views.affiliation_add, name="affiliation_add"),
    path(
        "<int:contact_id>/organisations/<int:affiliation_id>/delete/",
        views.affiliation_remove,
        name="affiliation_remove",
    ),
]
