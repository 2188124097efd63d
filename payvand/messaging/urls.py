from __future__ import annotations

from django.urls import path

from payvand.messaging import views

app_name = "messaging"
urlpatterns = [
    path("f/<slug:slug>/", views.webform, name="webform"),
    path("hooks/sms/kavenegar/<str:token>/", views.sms_kavenegar, name="sms_kavenegar"),
    path("hooks/sms/twilio/", views.sms_twilio, name="sms_twilio"),
    path("hooks/sms/generic/", views.sms_generic, name="sms_generic"),
    path("hooks/telegram/", views.telegram, name="telegram"),
    path("hooks/whatsapp/", views.whatsapp, name="whatsapp"),
]
