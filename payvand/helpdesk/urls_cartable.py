"""The cartable, mounted at /cartable/ by payvand/urls.py."""

from __future__ import annotations

from django.urls import path

from payvand.helpdesk import views_cartable as views

app_name = "cartable"
urlpatterns = [
    path("", views.cartable, name="index"),
    path("badge/", views.cartable_badge, name="badge"),
    path("bulk/", views.cartable_bulk, name="bulk"),
    path("views/", views.saved_view_save, name="view_save"),
    path("views/<int:view_id>/delete/", views.saved_view_delete, name="view_delete"),
    path("availability/", views.availability, name="availability"),
]
