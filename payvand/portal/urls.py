from __future__ import annotations

from django.urls import path

from payvand.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/<str:token>/", views.magic, name="magic"),
    path("logout/", views.logout, name="logout"),
    path("password/", views.password, name="password"),
    path("new/", views.request_new, name="new"),
    path("requests/<int:ticket_id>/", views.detail, name="detail"),
    path("requests/<int:ticket_id>/reply/", views.reply, name="reply"),
    path("requests/<int:ticket_id>/accept/", views.accept, name="accept"),
    path("requests/<int:ticket_id>/reopen/", views.reopen, name="reopen"),
    path("requests/<int:ticket_id>/rate/", views.rate, name="rate"),
    path("files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("track/<str:token>/", views.track, name="track"),
    path("survey/<str:token>/", views.survey, name="survey"),
    path("sw.js", views.service_worker, name="sw"),
]
