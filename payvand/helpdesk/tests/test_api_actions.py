"""The ticket actions of the API: assign, refer and answer, merge, link, watch, messages (drafts, review,
attachments, split), tasks, worklogs and the life cycle (resolve, close, cancel, postpone, reopen)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from payvand.accounts.models import Team
from payvand.contacts.models import Contact
from payvand.helpdesk import services
from payvand.helpdesk.models import (
    Attachment,
    Message,
    Referral,
    StatusCategory,
    Task,
    TeamSettings,
    Ticket,
    TicketLink,
    WorkLog,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def _post(api: Client, path: str, body: Any = None) -> Any:
    return api.post(path, body if body is not None else {}, content_type="application/json")


def _fields(response: Any) -> set[str | None]:
    return {e["field"] for e in response.json()["errors"]}


def make_ticket(*, team: Team | None, requester: Contact, subject: str = "Printer on fire", **kw: Any) -> Ticket:
    return services.ticket_create(by=None, subject=subject, requester=requester, team=team, route=False, **kw)


@pytest.fixture
def ticket(team_a: Team, customer_x: Contact) -> Ticket:
    return make_ticket(team=team_a, requester=customer_x)


# ---------------------------------------------------------------------------------------------- every action


ACTIONS = [
    ("post", "/assign", {"assignee": None}),
    ("post", "/refer", {"to_team": 1}),
    ("post", "/referrals/1/accept", {}),
    ("post", "/referrals/1/return", {}),
    ("post", "/merge", {"into": 1}),
    ("post", "/links", {"target": 1}),
    ("post", "/watch", {}),
    ("post", "/messages", {"body": "Hello"}),
    ("post", "/messages/1/publish", None),
    ("post", "/messages/1/review", {"decision": "approve"}),
    ("post", "/messages/1/split", {}),
    ("post", "/tasks", {"title": "Do it"}),
    ("patch", "/tasks/1", {"state": "done"}),
    ("post", "/worklogs", {"minutes": 5}),
    ("delete", "/worklogs/1", None),
    ("post", "/resolve", {}),
    ("post", "/close", {}),
    ("post", "/cancel", {"reason": "No longer needed"}),
    ("post", "/postpone", {"until": "2999-01-01T00:00:00+00:00"}),
    ("post", "/reopen", {}),
]


def _call(api: Client, method: str, path: str, body: Any) -> Any:
    if method == "delete":
        return api.delete(path)
    return getattr(api, method)(path, body or {}, content_type="application/json")


@pytest.mark.parametrize(("method", "suffix", "body"), ACTIONS)
def test_every_action_needs_a_user_who_may_see_the_ticket(
    method, suffix, body, ticket, agent_b, outsider, api_for, client_for
):
    path = f"{URL}/{ticket.pk}{suffix}"
    before = Ticket.objects.values().get(pk=ticket.pk)
    assert _call(Client(), method, path, body).status_code == 401
    assert _call(api_for(outsider), method, path, body).status_code == 403
    assert _call(api_for(agent_b), method, path, body).status_code == 404  # another team's ticket does not exist
    assert _call(api_for(agent_b), method, f"{URL}/999999{suffix}", body).status_code == 404
    assert Ticket.objects.values().get(pk=ticket.pk) == before
    assert not Message.objects.exists()
    assert not Task.objects.exists()
    assert not WorkLog.objects.exists()


def test_a_signed_in_browser_needs_the_csrf_token_to_act(ticket, agent_a):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent_a)
    assert _post(browser, f"{URL}/{ticket.pk}/watch").status_code == 403
    assert not ticket.watchers.exists()


# ---------------------------------------------------------------------------------------------- assign


def test_it_assigns_a_ticket(ticket, agent_a, api_for):
    response = _post(api_for(agent_a), f"{URL}/{ticket.pk}/assign", {"assignee": agent_a.pk, "version": ticket.version})
    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert ticket.assignee == agent_a
    assert ticket.status_category == StatusCategory.OPEN
    assert response.json()["assignee"]["id"] == agent_a.pk
    assert response.json()["version"] == ticket.version


def test_it_refuses_an_assignee_outside_the_team_and_a_stale_version(ticket, agent_a, agent_b, api_for):
    api = api_for(agent_a)
    response = _post(api, f"{URL}/{ticket.pk}/assign", {"assignee": agent_b.pk})
    assert response.status_code == 422
    assert _fields(response) == {"assignee"}
    response = _post(api, f"{URL}/{ticket.pk}/assign", {"assignee": 999_999})
    assert response.status_code == 422
    assert _fields(response) == {"assignee"}
    response = _post(api, f"{URL}/{ticket.pk}/assign", {"assignee": agent_a.pk, "version": ticket.version + 5})
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.assignee is None


# ---------------------------------------------------------------------------------------------- referral


def test_it_refers_and_the_receiver_accepts(ticket, dispatcher, agent_b, team_b, api_for):
    response = _post(
        api_for(dispatcher), f"{URL}/{ticket.pk}/refer", {"to_user": agent_b.pk, "to_team": team_b.pk, "note": "Yours"}
    )
    assert response.status_code == 201, response.content
    referral = Referral.objects.get(pk=response.json()["id"])
    assert (referral.to_user, referral.note, referral.state) == (agent_b, "Yours", "pending")
    api = api_for(agent_b)
    assert api.get(f"{URL}/{ticket.pk}").status_code == 200  # the receiver sees it now
    response = _post(api, f"{URL}/{ticket.pk}/referrals/{referral.pk}/accept", {"note": "On it"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "accepted"
    assert response.json()["responded_by"]["id"] == agent_b.pk
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team_b, agent_b)
    again = _post(api, f"{URL}/{ticket.pk}/referrals/{referral.pk}/return")
    assert again.status_code == 409  # answered already


def test_it_returns_a_referral_to_whoever_sent_it(ticket, agent_a, team_a, team_b, api_for, agent_b):
    services.ticket_assign(ticket=ticket, by=agent_a, assignee=agent_a)
    referral = services.ticket_refer(ticket=ticket, by=agent_a, to_team=team_b, note="Please")
    response = _post(api_for(agent_b), f"{URL}/{ticket.pk}/referrals/{referral.pk}/return", {"note": "Not ours"})
    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team_a, agent_a)
    assert Referral.objects.get().state == Referral.State.RETURNED


def test_it_refuses_a_bad_referral(ticket, agent_a, api_for):
    api = api_for(agent_a)
    response = _post(api, f"{URL}/{ticket.pk}/refer", {})
    assert response.status_code == 422
    response = _post(api, f"{URL}/{ticket.pk}/refer", {"to_team": 999_999})
    assert response.status_code == 422
    assert _fields(response) == {"to_team"}
    response = _post(api, f"{URL}/{ticket.pk}/referrals/999999/accept")
    assert response.status_code == 404
    assert not Referral.objects.exists()


def test_only_the_receiver_answers_a_referral(ticket, agent_a, team_a, api_for, role_groups):
    from payvand.accounts.services import team_add_member, user_create

    other = user_create(email="other@example.com", password="pw-Secret-123", role_names=["agent"])
    team_add_member(team=team_a, user=other, by=None)
    referral = services.ticket_refer(ticket=ticket, by=agent_a, to_user=agent_a, note="")
    response = _post(api_for(other), f"{URL}/{ticket.pk}/referrals/{referral.pk}/accept")
    assert response.status_code == 403
    assert Referral.objects.get().state == Referral.State.PENDING


# ---------------------------------------------------------------------------------------------- merge and link


def test_a_dispatcher_merges_a_duplicate_into_another_ticket(team_a, customer_x, agent_a, dispatcher, api_for):
    keep = make_ticket(team=team_a, requester=customer_x, subject="Keep")
    gone = make_ticket(team=team_a, requester=customer_x, subject="Gone", watchers=[agent_a])
    services.message_add(ticket=gone, by=agent_a, body="Moves along", kind=Message.Kind.NOTE)
    services.worklog_add(ticket=gone, by=agent_a, minutes=10)
    assert _post(api_for(agent_a), f"{URL}/{gone.pk}/merge", {"into": keep.pk}).status_code == 403
    response = _post(api_for(dispatcher), f"{URL}/{gone.pk}/merge", {"into": keep.pk})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == keep.pk
    gone.refresh_from_db()
    assert gone.merged_into == keep
    assert gone.status_category == StatusCategory.CLOSED
    assert keep.messages.get().body_text == "Moves along"
    assert keep.worklogs.get().minutes == 10
    assert list(keep.watchers.all()) == [agent_a]
    again = _post(api_for(dispatcher), f"{URL}/{gone.pk}/merge", {"into": keep.pk})
    assert again.status_code == 409


def test_it_refuses_to_merge_into_itself_or_into_nothing(ticket, dispatcher, api_for):
    api = api_for(dispatcher)
    response = _post(api, f"{URL}/{ticket.pk}/merge", {"into": ticket.pk})
    assert response.status_code == 422
    assert _fields(response) == {"into"}
    response = _post(api, f"{URL}/{ticket.pk}/merge", {"into": 999_999})
    assert response.status_code == 422
    assert _fields(response) == {"into"}
    ticket.refresh_from_db()
    assert ticket.merged_into is None
    assert ticket.is_active


def test_it_links_tickets_the_user_may_see(ticket, team_a, team_b, customer_x, agent_a, api_for):
    other = make_ticket(team=team_a, requester=customer_x, subject="Other")
    hidden = make_ticket(team=team_b, requester=customer_x, subject="Hidden")
    api = api_for(agent_a)
    response = _post(api, f"{URL}/{ticket.pk}/links", {"target": other.pk, "kind": "follow_up"})
    assert response.status_code == 201, response.content
    assert response.json()["ticket"]["id"] == other.pk
    assert TicketLink.objects.filter(source=ticket, target=other, kind="follow_up").exists()
    response = _post(api, f"{URL}/{ticket.pk}/links", {"target": hidden.pk})
    assert response.status_code == 422
    assert _fields(response) == {"target"}
    response = _post(api, f"{URL}/{ticket.pk}/links", {"target": ticket.pk})
    assert response.status_code == 422
    response = _post(api, f"{URL}/{ticket.pk}/links", {"target": other.pk, "kind": "sibling"})
    assert response.status_code == 422
    assert _fields(response) == {"kind"}
    assert TicketLink.objects.count() == 1
    incoming = api.get(f"{URL}/{other.pk}").json()["links"]
    assert [(link["direction"], link["ticket"]["id"]) for link in incoming] == [("in", ticket.pk)]


def test_it_watches_and_unwatches(ticket, agent_a, api_for):
    api = api_for(agent_a)
    response = _post(api, f"{URL}/{ticket.pk}/watch")
    assert response.status_code == 200
    assert response.json() == {
        "watching": True,
        "watchers": [{"id": agent_a.pk, "full_name": agent_a.full_name, "email": agent_a.email}],
    }
    response = _post(api, f"{URL}/{ticket.pk}/watch", {"watch": False})
    assert response.json()["watchers"] == []
    assert not ticket.watchers.exists()


# ---------------------------------------------------------------------------------------------- messages


def test_it_adds_a_reply_a_note_and_a_draft(ticket, agent_a, api_for):
    api = api_for(agent_a)
    reply = _post(api, f"{URL}/{ticket.pk}/messages", {"body": "<p>Hello <script>x</script>there</p>", "is_html": True})
    assert reply.status_code == 201, reply.content
    body = reply.json()
    assert body["kind"] == "reply"
    assert body["author"]["id"] == agent_a.pk
    assert "script" not in body["body_html"]
    assert body["body_text"] == "Hello there"
    assert body["sent_at"] is not None
    note = _post(api, f"{URL}/{ticket.pk}/messages", {"body": "Internal", "kind": "note"})
    assert note.status_code == 201
    assert note.json()["kind"] == "note"
    draft = _post(api, f"{URL}/{ticket.pk}/messages", {"body": "Later", "is_draft": True})
    assert draft.status_code == 201
    assert draft.json()["is_draft"] is True
    assert draft.json()["sent_at"] is None
    assert ticket.messages.count() == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x", "kind": "inbound"}, "kind"),
    ],
)
def test_it_refuses_a_bad_message(ticket, agent_a, api_for, body, field):
    response = _post(api_for(agent_a), f"{URL}/{ticket.pk}/messages", body)
    assert response.status_code == 422, response.content
    assert _fields(response) == {field}
    assert not Message.objects.exists()


def test_it_refuses_a_message_over_the_length_limit(ticket, agent_a, api_for):
    response = _post(api_for(agent_a), f"{URL}/{ticket.pk}/messages", {"body": "x" * 100_001})
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [{"field": "body", "message": "String should have at most 100000 characters"}]
    assert not Message.objects.exists()


def test_only_the_author_sees_and_sends_a_draft(ticket, agent_a, dispatcher, api_for):
    draft = services.message_add(ticket=ticket, by=agent_a, body="Draft", is_draft=True)
    assert _post(api_for(dispatcher), f"{URL}/{ticket.pk}/messages/{draft.pk}/publish").status_code == 404
    assert [m["id"] for m in api_for(dispatcher).get(f"{URL}/{ticket.pk}").json()["messages"]] == []
    response = _post(api_for(agent_a), f"{URL}/{ticket.pk}/messages/{draft.pk}/publish")
    assert response.status_code == 200, response.content
    assert response.json()["is_draft"] is False
    assert response.json()["sent_at"] is not None
    assert _post(api_for(agent_a), f"{URL}/{ticket.pk}/messages/{draft.pk}/publish").status_code == 409


def test_a_reply_waits_for_review_and_is_sent_as_edited(ticket, team_a, agent_a, dispatcher, api_for):
    TeamSettings.objects.create(team=team_a, review_replies=True)
    response = _post(api_for(agent_a), f"{URL}/{ticket.pk}/messages", {"body": "Dear customr"})
    assert response.status_code == 201
    message_id = response.json()["id"]
    assert response.json()["review"] == "pending"
    assert response.json()["sent_at"] is None
    cartable = api_for(dispatcher).get("/api/v1/cartable").json()
    assert [m["id"] for m in cartable["review"]] == [message_id]
    refused = _post(api_for(agent_a), f"{URL}/{ticket.pk}/messages/{message_id}/review", {"decision": "approve"})
    assert refused.status_code == 403  # agents don't review
    response = _post(
        api_for(dispatcher),
        f"{URL}/{ticket.pk}/messages/{message_id}/review",
        {"decision": "approve", "body": "Dear customer", "note": "typo"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["review"], body["body_text"], body["reviewed_by"]["id"]) == (
        "approved",
        "Dear customer",
        dispatcher.pk,
    )
    assert body["sent_at"] is not None
    again = _post(api_for(dispatcher), f"{URL}/{ticket.pk}/messages/{message_id}/review", {"decision": "return"})
    assert again.status_code == 409


def test_a_reviewer_sends_a_reply_back_to_its_author(ticket, team_a, agent_a, dispatcher, api_for):
    TeamSettings.objects.create(team=team_a, review_replies=True)
    message = services.message_add(ticket=ticket, by=agent_a, body="Draft answer")
    response = _post(
        api_for(dispatcher),
        f"{URL}/{ticket.pk}/messages/{message.pk}/review",
        {"decision": "return", "note": "Be kinder"},
    )
    assert response.status_code == 200, response.content
    message.refresh_from_db()
    assert (message.review, message.is_draft, message.sent_at) == ("returned", True, None)
    bad = _post(api_for(dispatcher), f"{URL}/{ticket.pk}/messages/{message.pk}/review", {"decision": "maybe"})
    assert bad.status_code == 422
    assert _fields(bad) == {"decision"}


def test_it_stores_attachments_with_a_sniffed_content_type(ticket, agent_a, api_for):
    files = [
        SimpleUploadedFile("photo.html", PNG, content_type="text/html"),
        SimpleUploadedFile("notes.txt", "سلام".encode(), content_type="application/x-evil"),
    ]
    response = api_for(agent_a).post(
        f"{URL}/{ticket.pk}/messages/upload", {"body": "See attached", "kind": "note", "files": files}
    )
    assert response.status_code == 201, response.content
    attachments = response.json()["attachments"]
    assert [(a["name"], a["content_type"]) for a in attachments] == [
        ("photo.html", "image/png"),
        ("notes.txt", "text/plain"),
    ]
    assert [a.size for a in Attachment.objects.order_by("pk")] == [len(PNG), len("سلام".encode())]
    assert Message.objects.get().kind == "note"


def test_it_refuses_an_attachment_over_the_size_limit(ticket, agent_a, api_for, settings):
    settings.ATTACHMENT_MAX_BYTES = 50
    big = SimpleUploadedFile("big.bin", b"x" * 51)
    response = api_for(agent_a).post(f"{URL}/{ticket.pk}/messages/upload", {"body": "Big", "files": [big]})
    assert response.status_code == 422, response.content
    assert _fields(response) == {"attachments"}
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()


def test_it_needs_files_in_an_upload(ticket, agent_a, api_for):
    response = api_for(agent_a).post(f"{URL}/{ticket.pk}/messages/upload", {"body": "No file"})
    assert response.status_code == 422
    assert not Message.objects.exists()


def test_it_splits_a_message_into_a_new_ticket(ticket, agent_a, api_for, customer_x):
    inbound = services.message_add(
        ticket=ticket, by=None, body="Also my scanner is broken", kind=Message.Kind.INBOUND, author_contact=customer_x
    )
    response = _post(api_for(agent_a), f"{URL}/{ticket.pk}/messages/{inbound.pk}/split", {"subject": "Scanner"})
    assert response.status_code == 201, response.content
    new = Ticket.objects.get(pk=response.json()["id"])
    assert new.subject == "Scanner"
    assert new.requester == customer_x
    inbound.refresh_from_db()
    assert inbound.ticket == new
    assert TicketLink.objects.filter(source=new, target=ticket, kind="split").exists()
    assert _post(api_for(agent_a), f"{URL}/{ticket.pk}/messages/999999/split").status_code == 404


# ---------------------------------------------------------------------------------------------- tasks and time


def test_it_adds_and_finishes_a_task(ticket, agent_a, team_a, api_for):
    api = api_for(agent_a)
    due = timezone.now() + dt.timedelta(days=1)
    response = _post(
        api,
        f"{URL}/{ticket.pk}/tasks",
        {"title": "Visit the site", "assignee": agent_a.pk, "team": team_a.pk, "due_at": due.isoformat()},
    )
    assert response.status_code == 201, response.content
    task = Task.objects.get(pk=response.json()["id"])
    assert (task.title, task.assignee, task.team, task.due_at) == ("Visit the site", agent_a, team_a, due)
    response = api.patch(f"{URL}/{ticket.pk}/tasks/{task.pk}", {"state": "done"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "done"
    assert response.json()["done_at"] is not None
    task.refresh_from_db()
    assert task.state == Task.State.DONE


def test_it_refuses_bad_tasks(ticket, agent_a, agent_b, team_a, customer_x, api_for):
    api = api_for(agent_a)
    response = _post(api, f"{URL}/{ticket.pk}/tasks", {"title": "X", "assignee": agent_b.pk, "team": team_a.pk})
    assert response.status_code == 422
    assert _fields(response) == {"assignee"}
    response = _post(api, f"{URL}/{ticket.pk}/tasks", {"title": "X", "required_skill": 999_999})
    assert response.status_code == 422
    assert _fields(response) == {"required_skill"}
    response = _post(api, f"{URL}/{ticket.pk}/tasks", {"title": ""})
    assert response.status_code == 422
    assert _fields(response) == {"title"}
    assert not Task.objects.exists()
    other = make_ticket(team=team_a, requester=customer_x, subject="Other")
    task = services.task_create(ticket=other, by=agent_a, title="Elsewhere")
    path = f"{URL}/{ticket.pk}/tasks/{task.pk}"
    assert api.patch(path, {"state": "done"}, content_type="application/json").status_code == 404
    path = f"{URL}/{other.pk}/tasks/{task.pk}"
    response = api.patch(path, {"state": "finished"}, content_type="application/json")
    assert response.status_code == 422
    assert _fields(response) == {"state"}
    response = api.patch(path, {"title": None}, content_type="application/json")
    assert response.status_code == 422
    assert _fields(response) == {"title"}
    task.refresh_from_db()
    assert task.state == Task.State.OPEN
    assert task.title == "Elsewhere"


def test_it_logs_and_removes_time(ticket, agent_a, supervisor, api_for):
    api = api_for(agent_a)
    task = services.task_create(ticket=ticket, by=agent_a, title="Work")
    response = _post(
        api, f"{URL}/{ticket.pk}/worklogs", {"minutes": 45, "billable": True, "note": "Fixed", "task": task.pk}
    )
    assert response.status_code == 201, response.content
    log = WorkLog.objects.get(pk=response.json()["id"])
    assert (log.minutes, log.billable, log.task, log.user) == (45, True, task, agent_a)
    assert api.get(f"{URL}/{ticket.pk}").json()["minutes_total"] == 45
    theirs = services.worklog_add(ticket=ticket, by=supervisor, minutes=5)
    assert api.delete(f"{URL}/{ticket.pk}/worklogs/{theirs.pk}").status_code == 403
    assert api.delete(f"{URL}/{ticket.pk}/worklogs/{log.pk}").status_code == 204
    assert api.delete(f"{URL}/{ticket.pk}/worklogs/{log.pk}").status_code == 404
    assert list(WorkLog.objects.values_list("pk", flat=True)) == [theirs.pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"minutes": 5, "task": 999_999}, "task"),
        ({"minutes": 5, "started_at": "2999-01-01T00:00:00+00:00"}, "started_at"),
    ],
)
def test_it_refuses_bad_time(ticket, agent_a, api_for, body, field):
    response = _post(api_for(agent_a), f"{URL}/{ticket.pk}/worklogs", body)
    assert response.status_code == 422, response.content
    assert _fields(response) == {field}
    assert not WorkLog.objects.exists()


# ---------------------------------------------------------------------------------------------- life cycle


def test_an_agent_only_proposes_a_resolution_and_may_not_close(ticket, agent_a, api_for):
    api = api_for(agent_a)
    response = _post(api, f"{URL}/{ticket.pk}/resolve", {"resolution": "Replaced the toner"})
    assert response.status_code == 200, response.content
    assert response.json()["proposed_resolution"] == "Replaced the toner"
    assert response.json()["status"]["category"] == "new"
    response = _post(api, f"{URL}/{ticket.pk}/close")
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}
    ticket.refresh_from_db()
    assert ticket.is_active
    assert ticket.closed_at is None


def test_a_supervisor_closes_and_an_agent_reopens(ticket, agent_a, supervisor, api_for):
    response = _post(api_for(supervisor), f"{URL}/{ticket.pk}/close", {"resolution": "Done"})
    assert response.status_code == 200, response.content
    assert response.json()["status"]["category"] == "closed"
    assert response.json()["resolution"] == "Done"
    ticket.refresh_from_db()
    assert ticket.closed_at is not None
    assert _post(api_for(supervisor), f"{URL}/{ticket.pk}/close").status_code == 409
    response = _post(api_for(agent_a), f"{URL}/{ticket.pk}/reopen", {"reason": "Still broken"})
    assert response.status_code == 200, response.content
    assert response.json()["status"]["category"] == "open"
    assert _post(api_for(agent_a), f"{URL}/{ticket.pk}/reopen").status_code == 409


def test_an_open_mandatory_task_blocks_resolving(ticket, agent_a, supervisor, api_for):
    services.task_create(ticket=ticket, by=agent_a, title="Must do")
    response = _post(api_for(supervisor), f"{URL}/{ticket.pk}/resolve", {"resolution": "Done"})
    assert response.status_code == 409
    assert _fields(response) == {"tasks"}
    ticket.refresh_from_db()
    assert ticket.is_active


def test_a_supervisor_resolves_with_the_version_checked(ticket, supervisor, api_for):
    stale = _post(api_for(supervisor), f"{URL}/{ticket.pk}/resolve", {"version": ticket.version + 1})
    assert stale.status_code == 409
    response = _post(api_for(supervisor), f"{URL}/{ticket.pk}/resolve", {"version": ticket.version})
    assert response.status_code == 200
    assert response.json()["status"]["category"] == "resolved"


def test_cancelling_needs_a_reason_and_the_closing_right(ticket, agent_a, supervisor, api_for):
    assert _post(api_for(agent_a), f"{URL}/{ticket.pk}/cancel", {"reason": "Spam"}).status_code == 403
    response = _post(api_for(supervisor), f"{URL}/{ticket.pk}/cancel", {"reason": ""})
    assert response.status_code == 422
    assert _fields(response) == {"reason"}
    response = _post(api_for(supervisor), f"{URL}/{ticket.pk}/cancel", {"reason": "Spam"})
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status_category, ticket.cancel_reason) == (StatusCategory.CANCELLED, "Spam")


def test_it_postpones_to_a_future_time(ticket, agent_a, api_for):
    api = api_for(agent_a)
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    response = _post(api, f"{URL}/{ticket.pk}/postpone", {"until": past})
    assert response.status_code == 422
    assert _fields(response) == {"until"}
    response = _post(api, f"{URL}/{ticket.pk}/postpone", {"until": "tomorrow"})
    assert response.status_code == 422
    assert _fields(response) == {"until"}
    until = timezone.now() + dt.timedelta(days=3)
    response = _post(api, f"{URL}/{ticket.pk}/postpone", {"until": until.isoformat(), "note": "Customer away"})
    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert (ticket.status_category, ticket.postponed_until) == (StatusCategory.POSTPONED, until)
