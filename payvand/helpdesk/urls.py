"""The ticket pages, mounted at /tickets/ (services.ticket_url builds /tickets/<id>/ links)."""

from __future__ import annotations

from django.urls import path

from payvand.helpdesk import views

app_name = "helpdesk"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_create, name="create"),
    path("new/requesters/", views.requester_search, name="requester_search"),
    path("new/requesters/<int:contact_id>/", views.requester_pick, name="requester_pick"),
    path("new/type-form/", views.type_form, name="type_form"),
    path("<int:ticket_id>/", views.ticket_detail, name="detail"),
    path("<int:ticket_id>/edit/", views.ticket_edit, name="edit"),
    path("<int:ticket_id>/assign/", views.ticket_assign, name="assign"),
    path("<int:ticket_id>/watch/", views.ticket_watch, name="watch"),
    path("<int:ticket_id>/messages/", views.message_add, name="message_add"),
    path("<int:ticket_id>/messages/<int:message_id>/send/", views.message_send, name="message_send"),
    path("<int:ticket_id>/messages/<int:message_id>/review/", views.message_review, name="message_review"),
    path("<int:ticket_id>/messages/<int:message_id>/split/", views.message_split, name="message_split"),
    path(
        "<int:ticket_id>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("<int:ticket_id>/tasks/", views.task_add, name="task_add"),
    path("<int:ticket_id>/tasks/<int:task_id>/state/", views.task_state, name="task_state"),
    path("<int:ticket_id>/worklogs/", views.worklog_add, name="worklog_add"),
    path("<int:ticket_id>/worklogs/<int:worklog_id>/delete/", views.worklog_delete, name="worklog_delete"),
    path("<int:ticket_id>/refer/", views.ticket_refer, name="refer"),
    path("<int:ticket_id>/referrals/<int:referral_id>/answer/", views.referral_answer, name="referral_answer"),
    path("<int:ticket_id>/link/", views.ticket_link, name="link"),
    path("<int:ticket_id>/merge/", views.ticket_merge, name="merge"),
    path("<int:ticket_id>/resolve/", views.ticket_resolve, name="resolve"),
    path("<int:ticket_id>/close/", views.ticket_close, name="close"),
    path("<int:ticket_id>/cancel/", views.ticket_cancel, name="cancel"),
    path("<int:ticket_id>/postpone/", views.ticket_postpone, name="postpone"),
    path("<int:ticket_id>/reopen/", views.ticket_reopen, name="reopen"),
]
