"""Messages: sanitising, mentions, drafts, review before send, sending by email, attachments, inbound messages on
pending, resolved, closed and merged tickets."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from payvand.accounts.models import Team, User
from payvand.contacts.models import Contact
from payvand.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from payvand.helpdesk import selectors, services
from payvand.helpdesk.models import Mention, Message, StatusCategory, TeamContact, TeamSettings, Ticket, TicketLink
from payvand.helpdesk.tests.factories import status_for
from payvand.helpdesk.tests.services_support import detail, ticket_new, verbs
from payvand.notifications.models import Notification

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def ticket(agent_a: User, customer_x: Contact, team_a: Team) -> Ticket:
    return ticket_new(by=agent_a, requester=customer_x, team=team_a, assignee=agent_a, subject="Router is down")


@pytest.fixture
def reviewed_team(team_a: Team, dispatcher: User) -> Team:
    TeamSettings.objects.create(team=team_a, review_replies=True)
    TeamContact.objects.create(team=team_a, user=dispatcher, role=TeamContact.Role.DISPATCHER)
    return team_a


def _mails_to(outbox: list[Any], address: str) -> list[Any]:
    return [m for m in outbox if address in m.to]


# ---------------------------------------------------------------------------------------------- replies and notes


def test_a_reply_is_sent_to_the_requester_by_email(
    ticket: Ticket, agent_a: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_add(ticket=ticket, by=agent_a, body="We are on it.")
    message.refresh_from_db()
    ticket.refresh_from_db()
    assert message.sent_at is not None
    assert ticket.first_response_at == message.sent_at
    mails = _mails_to(mailoutbox, "x@example.com")
    assert len(mails) == 1
    assert mails[0].subject == f"[{ticket.reference}] Router is down"
    assert "We are on it." in mails[0].body
    assert "message.reply" in verbs(ticket)


def test_a_message_does_not_bump_the_version_but_moves_the_ticket_up(ticket: Ticket, agent_a: User):
    before = Ticket.objects.get(pk=ticket.pk)
    services.message_add(ticket=ticket, by=agent_a, body="A note", kind=Message.Kind.NOTE)
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.version == before.version  # an agent editing the fields meanwhile doesn't conflict
    assert after.updated_at > before.updated_at


def test_a_note_is_never_emailed_to_the_requester(
    ticket: Ticket, agent_a: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.message_add(ticket=ticket, by=agent_a, body="Internal", kind=Message.Kind.NOTE)
    assert note.sent_at is None
    assert _mails_to(mailoutbox, "x@example.com") == []
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_html_is_sanitised(ticket: Ticket, agent_a: User):
    message = services.message_add(
        ticket=ticket,
        by=agent_a,
        body='<p onclick="x()">Hi <b>there</b> &amp; welcome</p><script>alert(1)</script><a href="https://a.example">a</a>',
        is_html=True,
    )
    assert "<script" not in message.body_html
    assert "alert" not in message.body_html
    assert "onclick" not in message.body_html
    assert "<b>there</b>" in message.body_html
    assert 'rel="noopener noreferrer nofollow"' in message.body_html
    assert message.body_text == "Hi there & welcome\na"


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"body": "   "}, "body"),
        ({"body": "<p> </p>", "is_html": True}, "body"),
        ({"body": "x" * 100_001}, "body"),
        ({"body": "hi", "kind": "shout"}, "kind"),
        ({"body": "hi", "kind": "inbound", "is_draft": True}, "is_draft"),
        ({"body": "hi", "channel": "pigeon"}, "channel"),
    ],
)
def test_bad_messages_are_refused(ticket: Ticket, agent_a: User, fields: dict[str, Any], bad: str):
    with pytest.raises(ValidationFailed) as exc:
        services.message_add(ticket=ticket, by=agent_a, **fields)
    assert {e.field for e in exc.value.errors} == {bad}
    assert not Message.objects.exists()


def test_writing_on_a_merged_ticket_is_refused(ticket: Ticket, agent_a: User, supervisor: User, customer_x):
    survivor = ticket_new(by=agent_a, requester=customer_x)
    services.ticket_merge(survivor=survivor, duplicate=ticket, by=supervisor)
    with pytest.raises(Conflict):
        services.message_add(ticket=ticket, by=agent_a, body="Hello?")


# ---------------------------------------------------------------------------------------------- mentions


def test_a_mention_notifies_and_lets_the_person_see_the_ticket(ticket: Ticket, agent_a: User, agent_b: User):
    with pytest.raises(NotFound):
        selectors.ticket_get_for_user(user=agent_b, ticket_id=ticket.pk)
    message = services.message_add(
        ticket=ticket, by=agent_a, body="@agent.b@example.com can you check the line?", kind=Message.Kind.NOTE
    )
    assert list(Mention.objects.filter(message=message).values_list("user", flat=True)) == [agent_b.pk]
    notification = Notification.objects.get(user=agent_b, kind="mention")
    assert notification.ticket == ticket
    assert notification.url == f"/tickets/{ticket.pk}/"
    assert selectors.ticket_get_for_user(user=agent_b, ticket_id=ticket.pk) == ticket
    assert [m.message for m in selectors.mentions_for(user=agent_b)] == [message]


def test_mentions_of_people_without_ticket_rights_or_unknown_are_ignored(ticket: Ticket, agent_a: User, outsider: User):
    services.message_add(
        ticket=ticket, by=agent_a, body="@outsider@example.com @nobody@example.com hi", kind=Message.Kind.NOTE
    )
    assert not Mention.objects.exists()
    assert not Notification.objects.filter(user=outsider).exists()


def test_a_customer_cannot_mention_staff(ticket: Ticket, agent_b: User, customer_x: Contact):
    services.message_add(
        ticket=ticket, by=None, body="@agent.b@example.com help", kind=Message.Kind.INBOUND, author_contact=customer_x
    )
    assert not Mention.objects.exists()


def test_an_inbound_message_notifies_the_assignee_and_watchers(ticket: Ticket, agent_a, supervisor, customer_x):
    services.ticket_watch(ticket=ticket, by=supervisor)
    services.message_add(
        ticket=ticket, by=None, body="Still down", kind=Message.Kind.INBOUND, author_contact=customer_x
    )
    assert set(Notification.objects.filter(kind="message").values_list("user", flat=True)) == {
        agent_a.pk,
        supervisor.pk,
    }


# ---------------------------------------------------------------------------------------------- drafts


def test_a_draft_is_invisible_to_others_and_not_sent(
    ticket: Ticket, agent_a: User, dispatcher: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
):
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.message_add(ticket=ticket, by=agent_a, body="Draft @dispatcher@example.com", is_draft=True)
    assert draft.sent_at is None
    assert mailoutbox == []
    assert not Mention.objects.exists()  # mentions count when the draft is sent
    assert [m.pk for m in detail(user=agent_a, ticket_id=ticket.pk).thread] == [draft.pk]
    assert detail(user=dispatcher, ticket_id=ticket.pk).thread == []


def test_only_the_author_publishes_a_draft(
    ticket: Ticket, agent_a: User, dispatcher: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
):
    draft = services.message_add(ticket=ticket, by=agent_a, body="Draft @dispatcher@example.com", is_draft=True)
    with pytest.raises(PermissionDenied):
        services.message_publish_draft(message=draft, by=dispatcher)
    with pytest.raises(PermissionDenied):
        services.message_draft_update(message=draft, by=dispatcher, body="Hijacked")

    services.message_draft_update(message=draft, by=agent_a, body="Final text @dispatcher@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        services.message_publish_draft(message=draft, by=agent_a)
    draft.refresh_from_db()
    assert not draft.is_draft
    assert draft.sent_at is not None
    assert draft.body_text == "Final text @dispatcher@example.com"
    assert Mention.objects.filter(message=draft, user=dispatcher).exists()
    assert len(_mails_to(mailoutbox, "x@example.com")) == 1
    with pytest.raises(Conflict):
        services.message_publish_draft(message=draft, by=agent_a)
    with pytest.raises(Conflict):
        services.message_draft_update(message=draft, by=agent_a, body="Too late")


# ---------------------------------------------------------------------------------------------- review


def test_a_reply_of_a_reviewed_team_waits_and_the_dispatcher_is_told(
    ticket: Ticket, reviewed_team: Team, agent_a: User, dispatcher: User, mailoutbox: list[Any]
):
    reply = services.message_add(ticket=ticket, by=agent_a, body="Please restart it.")
    assert reply.review == Message.Review.PENDING
    assert reply.sent_at is None
    assert mailoutbox == []
    assert list(selectors.review_queue(user=dispatcher)) == [reply]
    assert Notification.objects.filter(user=dispatcher, kind="review").exists()
    # a note is never reviewed; a reply of someone with the review right goes straight out
    note = services.message_add(ticket=ticket, by=agent_a, body="Internal", kind=Message.Kind.NOTE)
    assert note.review == ""
    direct = services.message_add(ticket=ticket, by=dispatcher, body="Direct")
    assert direct.review == ""
    assert direct.sent_at is not None


def test_the_dispatcher_approves_and_the_reply_goes_out(
    ticket: Ticket,
    reviewed_team: Team,
    agent_a: User,
    dispatcher: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
):
    reply = services.message_add(ticket=ticket, by=agent_a, body="Please restart it.")
    with django_capture_on_commit_callbacks(execute=True):
        services.message_review(message=reply, by=dispatcher, approve=True)
    reply.refresh_from_db()
    ticket.refresh_from_db()
    assert reply.review == Message.Review.APPROVED
    assert reply.reviewed_by == dispatcher
    assert reply.sent_at is not None
    assert ticket.first_response_at == reply.sent_at
    mails = _mails_to(mailoutbox, "x@example.com")
    assert len(mails) == 1
    assert "Please restart it." in mails[0].body
    assert Notification.objects.filter(user=agent_a, kind="review_done").exists()
    assert list(selectors.review_queue(user=dispatcher)) == []
    with pytest.raises(Conflict):
        services.message_review(message=reply, by=dispatcher, approve=True)


def test_the_dispatcher_edits_before_approving(
    ticket: Ticket,
    reviewed_team: Team,
    agent_a: User,
    dispatcher: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
):
    reply = services.message_add(ticket=ticket, by=agent_a, body="pls restart")
    with django_capture_on_commit_callbacks(execute=True):
        services.message_review(message=reply, by=dispatcher, approve=True, body="Please restart the router.")
    reply.refresh_from_db()
    assert reply.body_text == "Please restart the router."
    assert "Please restart the router." in _mails_to(mailoutbox, "x@example.com")[0].body
    assert "message.approved" in verbs(ticket)


def test_the_dispatcher_sends_a_reply_back_to_its_author(
    ticket: Ticket, reviewed_team: Team, agent_a: User, dispatcher: User, mailoutbox: list[Any]
):
    reply = services.message_add(ticket=ticket, by=agent_a, body="pls restart")
    services.message_review(message=reply, by=dispatcher, approve=False, note="Be polite.")
    reply.refresh_from_db()
    assert reply.is_draft
    assert reply.review == Message.Review.RETURNED
    assert reply.review_note == "Be polite."
    assert reply.sent_at is None
    assert mailoutbox == []
    assert detail(user=dispatcher, ticket_id=ticket.pk).thread == []  # a draft again
    # the author rewrites it and sends it again: back in the queue
    services.message_draft_update(message=reply, by=agent_a, body="Could you please restart the router?")
    services.message_publish_draft(message=reply, by=agent_a)
    reply.refresh_from_db()
    assert reply.review == Message.Review.PENDING
    assert list(selectors.review_queue(user=dispatcher)) == [reply]


def test_an_agent_may_not_review(ticket: Ticket, reviewed_team: Team, agent_a: User):
    other = services.message_add(ticket=ticket, by=agent_a, body="Reply")
    with pytest.raises(PermissionDenied):
        services.message_review(message=other, by=agent_a, approve=True)


def test_an_empty_edit_is_refused(ticket: Ticket, reviewed_team: Team, agent_a: User, dispatcher: User):
    reply = services.message_add(ticket=ticket, by=agent_a, body="Reply")
    with pytest.raises(ValidationFailed):
        services.message_review(message=reply, by=dispatcher, approve=True, body="  ")
    reply.refresh_from_db()
    assert reply.review == Message.Review.PENDING


# ---------------------------------------------------------------------------------------------- attachments


def test_attachments_over_the_limit_are_refused(ticket: Ticket, agent_a: User, settings: Any):
    settings.ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.bin", b"x" * 1025)
    with pytest.raises(ValidationFailed) as exc:
        services.message_add(ticket=ticket, by=agent_a, body="See attached", attachments=[big])
    assert [e.field for e in exc.value.errors] == ["attachments"]
    assert not Message.objects.exists()


def test_the_content_type_is_sniffed_not_trusted(ticket: Ticket, agent_a: User):
    files = [
        SimpleUploadedFile("picture.txt", PNG, content_type="text/plain"),
        SimpleUploadedFile("page.html", b"<html><script>alert(1)</script></html>", content_type="text/html"),
        SimpleUploadedFile("blob.dat", b"\x00\xff\xfe\x00binary", content_type="text/html"),
        SimpleUploadedFile("notes.txt", "سلام".encode(), content_type="application/pdf"),
    ]
    message = services.message_add(ticket=ticket, by=agent_a, body="", attachments=files)
    types = {a.name: a.content_type for a in message.attachments.all()}
    assert types == {
        "picture.txt": "image/png",
        "page.html": "text/plain",
        "blob.dat": "application/octet-stream",
        "notes.txt": "text/plain",
    }
    assert all(a.size > 0 for a in message.attachments.all())
    assert "text/html" not in types.values()


# ---------------------------------------------------------------------------------------------- inbound


def test_an_inbound_message_reopens_a_ticket_pending_on_the_customer(ticket: Ticket, agent_a, customer_x):
    services.ticket_set_status(ticket=ticket, by=agent_a, status=status_for(StatusCategory.PENDING_CUSTOMER))
    services.message_add(
        ticket=ticket, by=None, body="Here it is", kind=Message.Kind.INBOUND, author_contact=customer_x
    )
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN


def test_an_inbound_message_reopens_a_resolved_ticket(ticket: Ticket, supervisor: User, customer_x, settings):
    settings.TICKET_REPLY_TO_CLOSED = "follow_up"
    services.ticket_resolve(ticket=ticket, by=supervisor, resolution="Restarted")
    message = services.message_add(
        ticket=ticket, by=None, body="Still broken", kind=Message.Kind.INBOUND, author_contact=customer_x
    )
    ticket.refresh_from_db()
    assert message.ticket_id == ticket.pk
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.resolved_at is None


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(
    ticket: Ticket, supervisor: User, customer_x: Contact, agent_a: User, settings: Any
):
    settings.TICKET_REPLY_TO_CLOSED = "follow_up"
    services.ticket_close(ticket=ticket, by=supervisor, resolution="Fixed")
    message = services.message_add(
        ticket=ticket,
        by=None,
        body="It broke again",
        kind=Message.Kind.INBOUND,
        author_contact=customer_x,
        channel="email",
        external_id="<again@mail>",
    )
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.CLOSED  # the closed ticket stays closed...
    assert not ticket.messages.exists()
    follow_up = message.ticket  # ...and the message opens a new one
    assert follow_up.pk != ticket.pk
    assert follow_up.is_active
    assert (follow_up.requester, follow_up.team, follow_up.subject) == (customer_x, ticket.team, ticket.subject)
    assert follow_up.channel == "email"
    assert follow_up.external_id == "<again@mail>"
    assert list(follow_up.messages.all()) == [message]
    assert TicketLink.objects.filter(source=follow_up, target=ticket, kind=TicketLink.Kind.FOLLOW_UP).exists()
    assert "ticket.follow_up" in verbs(ticket)
    # the same email delivered twice is not registered twice
    with pytest.raises(Conflict):
        services.message_add(
            ticket=ticket, by=None, body="It broke again", kind=Message.Kind.INBOUND, external_id="<again@mail>"
        )
    assert TicketLink.objects.filter(kind=TicketLink.Kind.FOLLOW_UP).count() == 1


def test_a_reply_to_a_closed_ticket_reopens_it_when_so_configured(
    ticket: Ticket, supervisor: User, customer_x: Contact, settings: Any
):
    settings.TICKET_REPLY_TO_CLOSED = "reopen"
    services.ticket_close(ticket=ticket, by=supervisor)
    message = services.message_add(
        ticket=ticket, by=None, body="Again", kind=Message.Kind.INBOUND, author_contact=customer_x
    )
    ticket.refresh_from_db()
    assert message.ticket_id == ticket.pk
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.closed_at is None
    assert not TicketLink.objects.exists()
    assert Ticket.objects.count() == 1


def test_an_inbound_message_on_a_merged_ticket_goes_to_the_survivor(
    ticket: Ticket, agent_a: User, supervisor: User, customer_x: Contact
):
    survivor = ticket_new(by=agent_a, requester=customer_x, subject="Main")
    services.ticket_merge(survivor=survivor, duplicate=ticket, by=supervisor)
    message = services.message_add(
        ticket=ticket, by=None, body="Any news?", kind=Message.Kind.INBOUND, author_contact=customer_x
    )
    assert message.ticket_id == survivor.pk


def test_a_follow_up_keeps_the_message_when_the_old_form_values_no_longer_fit(
    ticket: Ticket, supervisor: User, customer_x: Contact, settings: Any
):
    forms_services = pytest.importorskip("payvand.forms.services")
    from payvand.helpdesk.tests.factories import TicketTypeFactory

    form = forms_services.form_create(
        by=None,
        name="Line",
        spec={
            "sections": [
                {"title": "Line", "fields": [{"name": "line", "kind": "text", "label": "Line", "required": True}]}
            ]
        },
    )
    ticket_type = TicketTypeFactory.create(form=form)
    Ticket.objects.filter(pk=ticket.pk).update(type=ticket_type, form_values={})
    settings.TICKET_REPLY_TO_CLOSED = "follow_up"
    services.ticket_close(ticket=ticket, by=supervisor)
    message = services.message_add(
        ticket=ticket, by=None, body="Help", kind=Message.Kind.INBOUND, author_contact=customer_x
    )
    assert message.ticket.type is None
    assert message.ticket.pk != ticket.pk


def test_sent_time_is_recorded_once(ticket: Ticket, agent_a: User):
    first = services.message_add(ticket=ticket, by=agent_a, body="One")
    services.message_add(ticket=ticket, by=agent_a, body="Two")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.first_response_at == first.sent_at
    assert ticket.first_response_at <= timezone.now()
