from __future__ import annotations

from django.urls import path

from payvand.mail import views

app_name = "mail"
urlpatterns = [
    path("inbound/", views.inbound_list, name="inbound"),
    path("inbound/<int:inbound_id>/reprocess/", views.inbound_reprocess, name="reprocess"),
    path("inbound/<int:inbound_id>/raw/", views.inbound_raw, name="raw"),
]
