from __future__ import annotations

from django.urls import path

from payvand.sla import views

app_name = "sla"
urlpatterns = [
    path("tickets/<int:ticket_id>/card/", views.ticket_card, name="ticket_card"),
    path("calendars/", views.calendar_list, name="calendars"),
    path("calendars/new/", views.calendar_edit, name="calendar_new"),
    path("calendars/templates/<str:template>/", views.calendar_template, name="calendar_template"),
    path("calendars/<int:calendar_id>/", views.calendar_edit, name="calendar"),
    path("calendars/<int:calendar_id>/delete/", views.calendar_delete, name="calendar_delete"),
    path("calendars/<int:calendar_id>/holidays/load/", views.holidays_load, name="holidays_load"),
    path("calendars/<int:calendar_id>/holidays/", views.holiday_add, name="holiday_add"),
    path("calendars/<int:calendar_id>/holidays/<int:holiday_id>/delete/", views.holiday_remove, name="holiday_remove"),
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_edit, name="policy_new"),
    path("policies/<int:policy_id>/", views.policy_edit, name="policy"),
    path("policies/<int:policy_id>/delete/", views.policy_delete, name="policy_delete"),
]
