from __future__ import annotations

from django.urls import path

from payvand.kb import views

app_name = "kb"
urlpatterns = [
    path("", views.index, name="index"),
    path("suggest/", views.suggest, name="suggest"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.edit, name="new"),
    path("manage/<int:article_id>/", views.edit, name="edit"),
    path("from-ticket/<int:ticket_id>/", views.from_ticket, name="from_ticket"),
    path("articles/<int:article_id>/helpful/", views.helpful, name="helpful"),
    path("files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("<str:category>/<str:slug>/", views.detail, name="detail"),
]
