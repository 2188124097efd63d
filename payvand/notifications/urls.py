"""Notification pages, mounted at /notifications/ by payvand/urls.py."""

from __future__ import annotations

from django.urls import path

from payvand.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.bell, name="bell"),
    path("count/", views.unread_count, name="count"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("<int:notification_id>/", views.notification_open, name="open"),
    path("<int:notification_id>/read/", views.notification_read, name="read"),
]
