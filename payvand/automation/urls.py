from __future__ import annotations

from django.urls import path

from payvand.automation import views

app_name = "automation"
urlpatterns = [
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule"),
    path("rules/<int:rule_id>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("rules/<int:rule_id>/move/<str:direction>/", views.rule_move, name="rule_move"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("macros/", views.macro_list, name="macros"),
    path("macros/<int:macro_id>/delete/", views.macro_delete, name="macro_delete"),
    path("tickets/<int:ticket_id>/macros/", views.ticket_macros, name="ticket_macros"),
    path("tickets/<int:ticket_id>/macros/apply/", views.macro_apply, name="macro_apply"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/<int:webhook_id>/", views.webhook_detail, name="webhook"),
    path("webhooks/<int:webhook_id>/delete/", views.webhook_delete, name="webhook_delete"),
    path("tickets/<int:ticket_id>/approvals/", views.approval_request_view, name="approval_request"),
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/<int:approval_id>/decide/", views.approval_decide_view, name="approval_decide"),
]
