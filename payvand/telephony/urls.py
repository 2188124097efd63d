from __future__ import annotations

from django.urls import path

from payvand.telephony import views

app_name = "telephony"
urlpatterns = [
    path("", views.call_list, name="calls"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("originate/", views.originate, name="originate"),
    path("calls/<int:call_id>/", views.call_detail, name="detail"),
    path("calls/<int:call_id>/pop/", views.call_pop, name="pop"),
    path("calls/<int:call_id>/log/", views.call_log, name="log"),
    path("calls/<int:call_id>/ticket/", views.call_ticket, name="ticket"),
    path("calls/<int:call_id>/contact/", views.call_contact, name="contact"),
    path("calls/<int:call_id>/callback-done/", views.callback_done, name="callback_done"),
    path("contacts/<int:contact_id>/appointments/", views.appointment_add, name="appointment_add"),
    path("appointments/<int:appointment_id>/done/", views.appointment_done, name="appointment_done"),
    path("appointments/<int:appointment_id>/edit/", views.appointment_edit, name="appointment_edit"),
    path("appointments/<int:appointment_id>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path("appointments/cartable/", views.appointments_cartable, name="appointments_cartable"),
]
