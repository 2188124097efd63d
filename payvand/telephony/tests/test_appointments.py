"""Scheduled calls and meetings with a customer (R-002.14): API CRUD, the 360° page and the banner, the cartable,
the reminder at start time, and bad input."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from payvand.core.models import Event
from payvand.notifications.models import Notification
from payvand.telephony.models import Appointment, Call
from payvand.telephony.services import appointment_reminders_send

URL = "/api/v1/telephony/appointments"


def _in(minutes: int) -> str:
    return (timezone.now() + dt.timedelta(minutes=minutes)).isoformat()


def test_it_creates_lists_changes_and_deletes_over_the_api(api_for, agent_a, customer_x):
    api = api_for(agent_a)
    r = api.post(
        URL,
        {"contact_id": customer_x.pk, "kind": "meeting", "starts_at": _in(60), "duration": 30, "note": "Demo"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["owner_id"] == agent_a.pk
    assert body["kind"] == "meeting"
    assert body["duration"] == 30
    assert Event.objects.filter(verb="appointment.created", contact=customer_x).exists()
    assert [a["id"] for a in api.get(f"{URL}?contact={customer_x.pk}").json()] == [body["id"]]

    r = api.patch(f"{URL}/{body['id']}", {"done": True, "note": "Went well"}, content_type="application/json")
    assert r.status_code == 200
    assert r.json()["done"] is True
    assert r.json()["version"] == 2
    assert api.get(f"{URL}?done=false").json() == []

    assert api.delete(f"{URL}/{body['id']}").status_code == 204
    assert not Appointment.objects.exists()
    assert Event.objects.filter(verb="appointment.deleted", contact=customer_x).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "lunch"}, "kind"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": "2026-12-08T10:00:00"}, "starts_at"),  # no time zone
        ({"starts_at": "1999-01-01T10:00:00Z"}, "starts_at"),
        ({"duration": 0}, "duration"),
        ({"duration": 100000}, "duration"),
        ({"note": "x" * 10001}, "note"),
        ({"contact_id": 0}, "contact_id"),
    ],
)
def test_bad_input_is_a_422_and_writes_nothing(api_for, agent_a, customer_x, payload, field):
    body = {"contact_id": customer_x.pk, "starts_at": _in(30), **payload}
    r = api_for(agent_a).post(URL, body, content_type="application/json")
    assert r.status_code == 422, r.content
    assert field in [e["field"] for e in r.json()["errors"]] or field in str(r.json())
    assert not Appointment.objects.exists()
    assert not Event.objects.filter(verb__startswith="appointment.").exists()


def test_unknown_contact_ticket_or_owner_is_refused(api_for, agent_a, agent_b, customer_x, customer_y):
    api = api_for(agent_a)
    assert api.post(URL, {"contact_id": 10**9, "starts_at": _in(5)}, content_type="application/json").status_code == 404
    r = api.post(
        URL, {"contact_id": customer_x.pk, "starts_at": _in(5), "owner_id": agent_b.pk}, content_type="application/json"
    )
    assert r.status_code == 403  # only leads plan for others
    r = api.post(
        URL, {"contact_id": customer_x.pk, "starts_at": _in(5), "ticket_id": 10**9}, content_type="application/json"
    )
    assert r.status_code == 404
    assert not Appointment.objects.exists()


def test_a_lead_plans_for_an_agent_and_outsiders_see_nothing(
    api_for, supervisor, agent_a, agent_b, outsider, customer_x
):
    r = api_for(supervisor).post(
        URL, {"contact_id": customer_x.pk, "starts_at": _in(5), "owner_id": agent_a.pk}, content_type="application/json"
    )
    assert r.status_code == 201
    pk = r.json()["id"]
    assert [a["id"] for a in api_for(agent_a).get(URL).json()] == [pk]
    assert api_for(agent_b).get(URL).json() == []
    assert api_for(agent_b).get(f"{URL}/{pk}").status_code == 404
    assert api_for(agent_b).patch(f"{URL}/{pk}", {"done": True}, content_type="application/json").status_code == 404
    assert api_for(outsider).get(URL).status_code == 403
    r = api_for(agent_a).patch(f"{URL}/{pk}", {"duration": None}, content_type="application/json")
    assert r.status_code == 422
    assert Appointment.objects.get().done is False


def test_the_reminder_goes_to_the_owner_once_at_start_time(agent_a, customer_x, api_for):
    api = api_for(agent_a)
    soon = api.post(URL, {"contact_id": customer_x.pk, "starts_at": _in(10)}, content_type="application/json").json()
    api.post(URL, {"contact_id": customer_x.pk, "starts_at": _in(120)}, content_type="application/json")
    assert appointment_reminders_send() == 0
    later = timezone.now() + dt.timedelta(minutes=11)
    assert appointment_reminders_send(now=later) == 1
    assert appointment_reminders_send(now=later) == 0
    note = Notification.objects.get(user=agent_a)
    assert note.kind == "appointment"
    assert customer_x.name in note.title
    assert note.url == reverse("contacts:detail", args=[customer_x.pk])
    # Moving it re-arms the reminder.
    api.patch(f"{URL}/{soon['id']}", {"starts_at": _in(30)}, content_type="application/json")
    assert appointment_reminders_send(now=timezone.now() + dt.timedelta(minutes=31)) == 1


def test_the_job_is_on_the_scheduler():
    from payvand.core.scheduler import jobs

    assert "telephony.appointment_reminders" in [j.name for j in jobs()]


def test_it_is_planned_from_the_360_page_and_shows_there_and_in_the_cartable(client_for, agent_a, customer_x):
    client = client_for(agent_a)
    detail = reverse("contacts:detail", args=[customer_x.pk])
    html = client.get(detail).content.decode()
    assert 'id="contact-appointments"' in html
    assert reverse("telephony:appointment_add", args=[customer_x.pk]) in html
    r = client.post(
        reverse("telephony:appointment_add", args=[customer_x.pk]),
        {
            "kind": "call",
            "starts_at": "2026-12-08 10:30",
            "duration": "20",
            "note": "Call about the refund",
            "next": detail,
        },
    )
    assert r.status_code == 302
    a = Appointment.objects.get()
    assert (a.owner, a.duration, a.note) == (agent_a, 20, "Call about the refund")
    assert a.starts_at.astimezone(ZoneInfo(agent_a.time_zone)).strftime("%H:%M") == "10:30"  # in the agent's zone
    html = client.get(detail).content.decode()
    assert "Call about the refund" in html.split('id="contact-appointments"')[1]
    box = client.get(reverse("telephony:appointments_cartable")).content.decode()
    assert "Call about the refund" in box
    assert "1 open" in box
    assert 'id="cartable-appointments"' in client.get(reverse("cartable:index")).content.decode()
    client.post(reverse("telephony:appointment_done", args=[a.pk]), {"next": detail})
    assert Appointment.objects.get().done is True
    assert "0 open" in client.get(reverse("telephony:appointments_cartable")).content.decode()


def test_a_bad_form_is_an_error_message_and_writes_nothing(client_for, agent_a, customer_x):
    client = client_for(agent_a)
    r = client.post(
        reverse("telephony:appointment_add", args=[customer_x.pk]),
        {"kind": "call", "starts_at": "not a date", "duration": "0"},
        follow=True,
    )
    assert r.status_code == 200
    assert not Appointment.objects.exists()
    assert "Enter a date" in r.content.decode()


def test_the_banner_offers_to_plan_a_call(client_for, post_event, agent_ext, customer_x):
    post_event("ringing", call_id="b-1", caller="09121234567", extension="201")
    call = Call.objects.get(call_id="b-1")
    html = client_for(agent_ext).get(reverse("telephony:pop", args=[call.pk])).content.decode()
    assert 'id="call-banner-appointment"' in html
    assert reverse("telephony:appointment_add", args=[customer_x.pk]) in html


def test_the_list_and_the_cartable_box_take_the_same_queries_for_1_or_20(api_for, client_for, agent_a, customer_x):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from payvand.telephony.services import appointment_create

    api, client = api_for(agent_a), client_for(agent_a)
    start = timezone.now() + dt.timedelta(hours=1)

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as api_q:
            assert api.get(URL).status_code == 200
        with CaptureQueriesContext(connection) as box_q:
            assert client.get(reverse("telephony:appointments_cartable")).status_code == 200
        return len(api_q), len(box_q)

    appointment_create(by=agent_a, contact=customer_x, starts_at=start)
    counts()  # warm: the first request of a session also loads the user's permissions
    one = counts()
    for n in range(19):
        appointment_create(by=agent_a, contact=customer_x, starts_at=start + dt.timedelta(minutes=n))
    assert counts() == one


def test_it_is_changed_and_called_off_from_the_360_page(client_for, agent_a, customer_x):
    from payvand.telephony.services import appointment_create

    client = client_for(agent_a)
    detail = reverse("contacts:detail", args=[customer_x.pk])
    a = appointment_create(by=agent_a, contact=customer_x, starts_at=timezone.now() + dt.timedelta(hours=2), note="x")
    Appointment.objects.filter(pk=a.pk).update(reminded_at=timezone.now())
    html = client.get(detail).content.decode()
    assert reverse("telephony:appointment_edit", args=[a.pk]) in html
    assert reverse("telephony:appointment_cancel", args=[a.pk]) in html
    r = client.post(
        reverse("telephony:appointment_edit", args=[a.pk]),
        {"kind": "meeting", "starts_at": "2027-01-05 11:15", "duration": "45", "note": "At the office", "next": detail},
    )
    assert r.status_code == 302
    assert r["Location"] == detail
    a.refresh_from_db()
    assert (a.kind, a.duration, a.note, a.reminded_at) == ("meeting", 45, "At the office", None)
    assert a.starts_at.astimezone(ZoneInfo(agent_a.time_zone)).strftime("%Y-%m-%d %H:%M") == "2027-01-05 11:15"
    assert Event.objects.filter(verb="appointment.changed", target_id=a.pk).exists()
    r = client.post(reverse("telephony:appointment_cancel", args=[a.pk]), {"next": detail})
    assert r.status_code == 302
    assert not Appointment.objects.filter(pk=a.pk).exists()
    assert Event.objects.filter(verb="appointment.deleted", contact=customer_x).exists()


def test_a_bad_change_is_an_error_message_and_changes_nothing(client_for, agent_a, agent_b, customer_x):
    from payvand.telephony.services import appointment_create

    start = timezone.now() + dt.timedelta(hours=2)
    a = appointment_create(by=agent_a, contact=customer_x, starts_at=start, duration=15, note="keep")
    r = client_for(agent_a).post(
        reverse("telephony:appointment_edit", args=[a.pk]),
        {"kind": "call", "starts_at": "1404/13/40", "duration": "0", "note": "changed"},
        follow=True,
    )
    assert r.status_code == 200
    assert "Enter a date" in r.content.decode()
    a.refresh_from_db()
    assert (a.starts_at, a.duration, a.note) == (start, 15, "keep")
    # Someone else's plan: not found for them, and still there.
    assert client_for(agent_b).post(reverse("telephony:appointment_cancel", args=[a.pk])).status_code == 404
    assert client_for(agent_b).post(reverse("telephony:appointment_edit", args=[a.pk]), {}).status_code == 404
    assert client_for(agent_a).get(reverse("telephony:appointment_cancel", args=[a.pk])).status_code == 405
    assert Appointment.objects.filter(pk=a.pk).exists()
