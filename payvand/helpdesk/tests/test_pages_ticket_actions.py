"""The actions of the ticket page: each works through the page, shows errors for bad input (never a 500), refuses
people without the right with a clear message, and keeps the user's input on a stale version (409)."""

from __future__ import annotations

import datetime as dt

import jdatetime
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

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


@pytest.fixture
def ticket(agent_a, team_a, customer_x) -> Ticket:
    return services.ticket_create(
        by=agent_a, subject="Printer is broken", requester=customer_x, team=team_a, route=False
    )


def _url(name: str, ticket: Ticket, *args: int) -> str:
    return reverse(f"helpdesk:{name}", args=[ticket.pk, *args])


def _done(response) -> str:
    """A successful action redirects back with a message (the last one queued)."""
    assert response.status_code == 302, response.content.decode()[:2000]
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def _persian(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


# ---------------------------------------------------------------------------------------------- thread


def test_it_sends_a_reply_and_adds_a_note(ticket, agent_a, client_for):
    client = client_for(agent_a)
    assert _done(client.post(_url("message_add", ticket), {"kind": "reply", "body": "On our way"})) == "Reply sent."
    assert _done(client.post(_url("message_add", ticket), {"kind": "note", "body": "Toner low"})) == "Note added."
    kinds = list(Message.objects.filter(ticket=ticket).values_list("kind", "body_text", "is_draft"))
    assert kinds == [("reply", "On our way", False), ("note", "Toner low", False)]


def test_it_refuses_an_empty_message(ticket, agent_a, client_for):
    response = client_for(agent_a).post(_url("message_add", ticket), {"kind": "reply", "body": "  "})
    assert response.status_code == 422
    assert "Write something or attach a file." in response.content.decode()
    bad_kind = client_for(agent_a).post(_url("message_add", ticket), {"kind": "shout", "body": "hi"})
    assert bad_kind.status_code == 422
    assert not Message.objects.exists()


def test_it_keeps_a_draft_for_its_author_until_sent(ticket, agent_a, dispatcher, client_for):
    client = client_for(agent_a)
    messages = _done(client.post(_url("message_add", ticket), {"kind": "reply", "body": "Draft text", "draft": "1"}))
    assert messages == "Draft saved. Only you can see it until you send it."
    draft = Message.objects.get()
    assert draft.is_draft
    assert "Draft text" in client.get(_url("detail", ticket)).content.decode()
    assert "Draft text" not in client_for(dispatcher).get(_url("detail", ticket)).content.decode()
    # Nobody else can send it (they can't even see it).
    assert client_for(dispatcher).post(_url("message_send", ticket, draft.pk)).status_code == 404
    _done(client.post(_url("message_send", ticket, draft.pk)))
    draft.refresh_from_db()
    assert not draft.is_draft
    assert draft.sent_at is not None


def test_it_serves_attachments_only_to_people_who_may_see_the_ticket(
    ticket, agent_a, agent_b, dispatcher, outsider, client_for
):
    upload = SimpleUploadedFile("notes.txt", b"serial 12345", content_type="text/html")
    _done(client_for(agent_a).post(_url("message_add", ticket), {"kind": "note", "body": "", "attachments": upload}))
    attachment = Attachment.objects.get()
    assert attachment.content_type == "text/plain"  # sniffed, not what the browser claimed
    url = _url("attachment", ticket, attachment.pk)
    assert url in client_for(agent_a).get(_url("detail", ticket)).content.decode()
    response = client_for(dispatcher).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"serial 12345"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client_for(agent_b).get(url).status_code == 404
    assert client_for(outsider).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302
    # The attachment of someone else's draft, or through another ticket's address, is not served.
    other = services.ticket_create(by=agent_a, subject="Other", requester=ticket.requester, route=False)
    assert client_for(dispatcher).get(_url("attachment", other, attachment.pk)).status_code == 404
    draft = services.message_add(
        ticket=ticket,
        by=agent_a,
        body="draft",
        is_draft=True,
        attachments=[SimpleUploadedFile("d.txt", b"private")],
    )
    draft_url = _url("attachment", ticket, draft.attachments.get().pk)
    assert client_for(dispatcher).get(draft_url).status_code == 404
    assert client_for(agent_a).get(draft_url).status_code == 200


def test_it_lets_a_reviewer_approve_edit_or_return_a_reply(ticket, agent_a, dispatcher, team_a, client_for):
    TeamSettings.objects.create(team=team_a, review_replies=True)
    agent = client_for(agent_a)
    assert _done(agent.post(_url("message_add", ticket), {"kind": "reply", "body": "Dear customr"})) == (
        "Your reply waits for review before it is sent."
    )
    message = Message.objects.get()
    assert message.review == Message.Review.PENDING
    html = client_for(dispatcher).get(_url("detail", ticket)).content.decode()
    assert "review-form" in html
    assert "review-form" not in agent.get(_url("detail", ticket)).content.decode()
    # The agent may not review.
    refused = agent.post(_url("message_review", ticket, message.pk), {"decision": "approve", "body": ""})
    assert refused.status_code == 403
    assert "You may not review replies." in refused.content.decode()
    # The dispatcher fixes the typo and approves.
    _done(
        client_for(dispatcher).post(
            _url("message_review", ticket, message.pk), {"decision": "approve", "body": "Dear customer"}
        )
    )
    message.refresh_from_db()
    assert (message.review, message.body_text, message.reviewed_by) == ("approved", "Dear customer", dispatcher)
    assert message.sent_at is not None
    # A second one is sent back with a note: it becomes the author's draft again.
    _done(agent.post(_url("message_add", ticket), {"kind": "reply", "body": "Second"}))
    second = Message.objects.get(body_text="Second")
    _done(
        client_for(dispatcher).post(
            _url("message_review", ticket, second.pk), {"decision": "return", "note": "Too short"}
        )
    )
    second.refresh_from_db()
    assert (second.review, second.is_draft, second.review_note) == ("returned", True, "Too short")
    assert "Too short" in agent.get(_url("detail", ticket)).content.decode()
    bad = client_for(dispatcher).post(_url("message_review", ticket, message.pk), {"decision": "maybe"})
    assert bad.status_code == 422


def test_it_splits_a_message_into_a_new_ticket(ticket, agent_a, client_for, customer_x):
    message = services.message_add(
        ticket=ticket, by=None, body="Also my fax", kind="inbound", author_contact=customer_x
    )
    response = client_for(agent_a).post(_url("message_split", ticket, message.pk), {"subject": "Fax problem"})
    new = Ticket.objects.get(subject="Fax problem")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{new.pk}/"
    message.refresh_from_db()
    assert message.ticket == new
    assert TicketLink.objects.filter(source=new, target=ticket, kind="split").exists()


# ---------------------------------------------------------------------------------------------- tasks and time


def test_it_adds_a_task_and_changes_its_status(ticket, agent_a, dispatcher, client_for):
    client = client_for(agent_a)
    due = _persian(jdatetime.date.fromgregorian(date=timezone.localdate() + dt.timedelta(days=3)).strftime("%Y/%m/%d"))
    _done(
        client.post(
            _url("task_add", ticket),
            {"title": "Replace the drum", "assignee": dispatcher.pk, "due_at": f"{due} ۱۴:۳۰", "mandatory": "on"},
        )
    )
    task = Task.objects.get()
    assert (task.title, task.assignee, task.mandatory) == ("Replace the drum", dispatcher, True)
    assert task.due_at is not None
    assert timezone.localtime(task.due_at, timezone.get_fixed_timezone(210)).strftime("%H:%M") == "14:30"
    _done(client.post(_url("task_state", ticket, task.pk), {"state": "done"}))
    task.refresh_from_db()
    assert task.state == "done"
    assert task.done_at is not None
    bad = client.post(_url("task_state", ticket, task.pk), {"state": "lost"})
    assert bad.status_code == 422


def test_it_shows_task_errors(ticket, agent_a, agent_b, team_a, client_for):
    client = client_for(agent_a)
    response = client.post(_url("task_add", ticket), {"title": "", "due_at": "32/13/2025"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "This field is required." in html
    assert "Enter a date such as" in html
    # The service's rule: the person must be in the chosen team.
    response = client.post(_url("task_add", ticket), {"title": "Check", "assignee": agent_b.pk, "team": team_a.pk})
    assert response.status_code == 422
    assert "This person is not a member of that team." in response.content.decode()
    assert not Task.objects.exists()


def test_it_logs_time_and_shows_the_total(ticket, agent_a, client_for):
    task = services.task_create(ticket=ticket, by=agent_a, title="Visit")
    client = client_for(agent_a)
    _done(client.post(_url("worklog_add", ticket), {"minutes": "۴۵", "billable": "on", "note": "On site"}))
    _done(client.post(_url("worklog_add", ticket), {"minutes": "15", "task": task.pk}))
    logs = list(WorkLog.objects.order_by("id").values_list("minutes", "billable", "task_id", "user_id"))
    assert logs == [(45, True, None, agent_a.pk), (15, False, task.pk, agent_a.pk)]
    assert "60 min in total" in client.get(_url("detail", ticket)).content.decode()
    for bad in ({"minutes": "abc"}, {"minutes": "0"}, {"minutes": "2000"}, {"minutes": "5", "task": "999999"}):
        response = client.post(_url("worklog_add", ticket), bad)
        assert response.status_code == 422, bad
    assert WorkLog.objects.count() == 2
    log = WorkLog.objects.first()
    assert log is not None
    _done(client.post(_url("worklog_delete", ticket, log.pk)))
    assert WorkLog.objects.count() == 1


# ---------------------------------------------------------------------------------------------- people


def test_it_refers_and_the_receiver_accepts(ticket, agent_a, agent_b, team_b, client_for):
    assert client_for(agent_b).get(_url("detail", ticket)).status_code == 404
    _done(client_for(agent_a).post(_url("refer", ticket), {"to_team": team_b.pk, "note": "Billing question"}))
    referral = Referral.objects.get()
    assert (referral.to_team, referral.note, referral.state) == (team_b, "Billing question", "pending")
    receiver = client_for(agent_b)
    html = receiver.get(_url("detail", ticket)).content.decode()
    assert "referral-answer" in html
    assert "Billing question" in html
    _done(receiver.post(_url("referral_answer", ticket, referral.pk), {"decision": "accept", "note": "Mine"}))
    referral.refresh_from_db()
    assert referral.state == "accepted"
    ticket.refresh_from_db()
    assert ticket.assignee == agent_b


def test_it_refuses_a_referral_answer_from_someone_else(ticket, agent_a, dispatcher, agent_b, client_for):
    services.ticket_refer(ticket=ticket, by=dispatcher, to_user=agent_b, note="For you")
    referral = Referral.objects.get()
    response = client_for(agent_a).post(_url("referral_answer", ticket, referral.pk), {"decision": "accept"})
    assert response.status_code in (403, 404)
    referral.refresh_from_db()
    assert referral.state == "pending"


def test_it_asks_whom_to_refer_to(ticket, agent_a, client_for):
    response = client_for(agent_a).post(_url("refer", ticket), {"note": "x"})
    assert response.status_code == 422
    assert "Refer to a person or a team." in response.content.decode()
    assert not Referral.objects.exists()


def test_it_assigns_and_watches(ticket, agent_a, dispatcher, client_for):
    _done(client_for(dispatcher).post(_url("assign", ticket), {"assignee": agent_a.pk, "version": ticket.version}))
    ticket.refresh_from_db()
    assert ticket.assignee == agent_a
    assert ticket.status_category == StatusCategory.OPEN
    client = client_for(agent_a)
    _done(client.post(_url("watch", ticket), {"watch": "1"}))
    assert ticket.watchers.filter(pk=agent_a.pk).exists()
    partial = client.post(_url("watch", ticket), {"watch": "0"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "Watch" in partial.content.decode()
    assert "<html" not in partial.content.decode()
    assert not ticket.watchers.filter(pk=agent_a.pk).exists()


# ---------------------------------------------------------------------------------------------- conflicts


def test_it_keeps_the_input_and_explains_a_conflict(ticket, agent_a, dispatcher, client_for):
    stale = ticket.version
    services.ticket_update(ticket=ticket, by=dispatcher, version=stale, subject="Changed by the dispatcher")
    response = client_for(agent_a).post(
        _url("edit", ticket),
        {"version": stale, "subject": "My better subject", "priority": "2", "status": ticket.status_id},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this ticket" in html
    assert "My better subject" in html  # the user's input is kept
    assert "Changed by the dispatcher" in html  # and the page shows the other change
    ticket.refresh_from_db()
    assert ticket.subject == "Changed by the dispatcher"
    # The redrawn form carries the current version: saving again applies.
    assert f'name="version" value="{ticket.version}"' in html
    _done(
        client_for(agent_a).post(
            _url("edit", ticket),
            {"version": ticket.version, "subject": "My better subject", "priority": "2", "status": ticket.status_id},
        )
    )
    ticket.refresh_from_db()
    assert ticket.subject == "My better subject"


def test_it_reports_a_stale_assignment(ticket, agent_a, dispatcher, client_for):
    stale = ticket.version
    services.ticket_update(ticket=ticket, by=agent_a, version=stale, priority=3)
    response = client_for(dispatcher).post(_url("assign", ticket), {"assignee": agent_a.pk, "version": stale})
    assert response.status_code == 409
    assert "Someone else changed this ticket" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_it_shows_edit_errors(ticket, agent_a, client_for):
    response = client_for(agent_a).post(
        _url("edit", ticket), {"version": ticket.version, "subject": "", "priority": "7", "status": "abc"}
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    missing_version = client_for(agent_a).post(_url("edit", ticket), {"subject": "x", "priority": "2"})
    assert missing_version.status_code == 422


# ---------------------------------------------------------------------------------------------- life cycle


def test_an_agent_proposes_and_a_dispatcher_resolves(ticket, agent_a, dispatcher, client_for):
    messages = _done(
        client_for(agent_a).post(_url("resolve", ticket), {"version": ticket.version, "resolution": "New toner"})
    )
    assert "proposed" in messages
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.NEW
    assert ticket.proposed_resolution == "New toner"
    _done(client_for(dispatcher).post(_url("resolve", ticket), {"version": ticket.version, "resolution": ""}))
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.RESOLVED
    assert ticket.resolution == "New toner"


def test_it_refuses_to_resolve_with_an_open_mandatory_task(ticket, agent_a, dispatcher, client_for):
    services.task_create(ticket=ticket, by=agent_a, title="Replace the drum", mandatory=True)
    ticket.refresh_from_db()
    response = client_for(dispatcher).post(_url("resolve", ticket), {"version": ticket.version})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Finish or cancel its mandatory tasks first." in html
    assert "Replace the drum" in html
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.NEW


def test_an_agent_may_not_close(ticket, agent_a, client_for):
    response = client_for(agent_a).post(_url("close", ticket), {"close-version": ticket.version})
    assert response.status_code == 403
    assert "You may not close this ticket; propose a resolution instead." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.NEW


def test_a_supervisor_closes_and_reopens(ticket, supervisor, client_for):
    client = client_for(supervisor)
    _done(client.post(_url("close", ticket), {"close-version": ticket.version, "close-resolution": "Fixed"}))
    ticket.refresh_from_db()
    assert (ticket.status_category, ticket.resolution) == (StatusCategory.CLOSED, "Fixed")
    assert 'id="reopen-form"' in client.get(_url("detail", ticket)).content.decode()
    _done(client.post(_url("reopen", ticket), {"reason": "Broke again"}))
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN


def test_it_cancels_with_a_reason_only(ticket, agent_a, supervisor, client_for):
    response = client_for(supervisor).post(_url("cancel", ticket), {"version": ticket.version, "reason": ""})
    assert response.status_code == 422
    refused = client_for(agent_a).post(_url("cancel", ticket), {"version": ticket.version, "reason": "Spam"})
    assert refused.status_code == 403
    assert "You may not cancel this ticket." in refused.content.decode()
    _done(client_for(supervisor).post(_url("cancel", ticket), {"version": ticket.version, "reason": "Spam"}))
    ticket.refresh_from_db()
    assert (ticket.status_category, ticket.cancel_reason) == (StatusCategory.CANCELLED, "Spam")


def test_it_postpones_until_a_jalali_date_in_persian_digits(ticket, agent_a, client_for):
    agent_a.language = "fa"
    agent_a.save(update_fields=["language"])
    day = timezone.localdate() + dt.timedelta(days=10)
    typed = _persian(jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d"))
    _done(client_for(agent_a).post(_url("postpone", ticket), {"version": ticket.version, "until": typed}))
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.POSTPONED
    assert ticket.postponed_until is not None
    local = timezone.localtime(ticket.postponed_until, timezone.get_fixed_timezone(210))  # Tehran: UTC+3:30
    assert (local.date(), local.strftime("%H:%M")) == (day, "08:00")
    html = client_for(agent_a).get(_url("detail", ticket)).content.decode()
    assert _persian(str(jdatetime.date.fromgregorian(date=day).day)) in html


def test_it_refuses_a_date_in_the_past_or_nonsense(ticket, agent_a, client_for):
    client = client_for(agent_a)
    past = client.post(_url("postpone", ticket), {"version": ticket.version, "until": "1390/01/01"})
    assert past.status_code == 422
    assert "Postpone to a time in the future." in past.content.decode()
    nonsense = client.post(_url("postpone", ticket), {"version": ticket.version, "until": "soon 99:99"})
    assert nonsense.status_code == 422
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.NEW


def test_it_merges_into_another_ticket_by_reference(ticket, agent_a, dispatcher, customer_x, team_a, client_for):
    survivor = services.ticket_create(
        by=agent_a, subject="Same printer", requester=customer_x, team=team_a, route=False
    )
    services.message_add(ticket=ticket, by=agent_a, body="Moved along", kind="note")
    refused = client_for(agent_a).post(_url("merge", ticket), {"reference": survivor.reference})
    assert refused.status_code == 403
    assert "You may not merge tickets." in refused.content.decode()
    unknown = client_for(dispatcher).post(_url("merge", ticket), {"reference": "#999999999999"})
    assert unknown.status_code == 422
    assert "There is no ticket" in unknown.content.decode()
    response = client_for(dispatcher).post(_url("merge", ticket), {"reference": _persian(survivor.reference)})
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{survivor.pk}/"
    ticket.refresh_from_db()
    assert ticket.merged_into == survivor
    assert survivor.messages.filter(body_text="Moved along").exists()


def test_it_links_tickets(ticket, agent_a, customer_x, team_a, client_for):
    other = services.ticket_create(by=agent_a, subject="Related", requester=customer_x, team=team_a, route=False)
    _done(client_for(agent_a).post(_url("link", ticket), {"reference": other.reference, "kind": "related"}))
    assert TicketLink.objects.filter(source=ticket, target=other, kind="related").exists()
    html = client_for(agent_a).get(_url("detail", other)).content.decode()
    assert f'href="/tickets/{ticket.pk}/"' in html
    itself = client_for(agent_a).post(_url("link", ticket), {"reference": ticket.reference, "kind": "related"})
    assert itself.status_code == 422


def test_outsiders_can_do_nothing(ticket, agent_b, outsider, client_for):
    for user, status in ((agent_b, 404), (outsider, 403)):
        client = client_for(user)
        for name, data in (
            ("message_add", {"kind": "note", "body": "x"}),
            ("task_add", {"title": "x"}),
            ("worklog_add", {"minutes": "5"}),
            ("assign", {"version": ticket.version}),
            ("close", {"close-version": ticket.version}),
            ("watch", {"watch": "1"}),
        ):
            assert client.post(_url(name, ticket), data).status_code == status, (user, name)
    assert not Message.objects.exists()
    assert not Task.objects.exists()
    assert not WorkLog.objects.exists()
    assert not ticket.watchers.exists()


def test_actions_need_post(ticket, agent_a, client_for):
    assert client_for(agent_a).get(_url("close", ticket)).status_code == 405
