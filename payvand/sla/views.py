"""Pages: the SLA card on the ticket page, and the settings for calendars and policies (admins, supervisors)."""

from __future__ import annotations

import datetime as dt

import jdatetime
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payvand.accounts.models import User
from payvand.core.errors import PayvandError, ValidationFailed
from payvand.core.forms import apply_errors
from payvand.core.http import is_htmx, ui_errors
from payvand.core.localization import JALALI, current_calendar
from payvand.sla import selectors, services
from payvand.sla.forms import CalendarForm, HolidayForm, HolidaysLoadForm, PolicyForm
from payvand.sla.models import BusinessCalendar


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@ui_errors
def ticket_card(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket, clocks = selectors.ticket_clocks(user=_user(request), ticket_id=ticket_id)
    return render(request, "sla/ticket_card.html", {"ticket": ticket, "clocks": clocks, "now": timezone.now()})


# ---------------------------------------------------------------------------------------------- calendars


@ui_errors
def calendar_list(request: HttpRequest) -> HttpResponse:
    calendars = selectors.calendar_list(user=_user(request)).order_by("name")
    return render(request, "sla/calendars.html", {"calendars": calendars})


def _year_span(year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of `year` in the viewer's calendar (a Jalali year for fa)."""
    if current_calendar() == JALALI:
        first = jdatetime.date(year, 1, 1).togregorian()
        return first, jdatetime.date(year + 1, 1, 1).togregorian() - dt.timedelta(days=1)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _this_year() -> int:
    today = timezone.localdate()
    return jdatetime.date.fromgregorian(date=today).year if current_calendar() == JALALI else today.year


def _calendar_page(
    request: HttpRequest,
    calendar: BusinessCalendar | None,
    form: CalendarForm,
    *,
    holiday_form: HolidayForm | None = None,
    load_form: HolidaysLoadForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, object] = {"calendar": calendar, "form": form, "error": error}
    if calendar is not None:
        try:
            year = int(request.GET.get("year") or _this_year())
            first, last = _year_span(year)
        except (ValueError, OverflowError):
            year = _this_year()
            first, last = _year_span(year)
        context |= {
            "year": year,
            "holidays": calendar.holidays.filter(date__gte=first, date__lte=last).order_by("date"),
            "holiday_form": holiday_form or HolidayForm(),
            "load_form": load_form or HolidaysLoadForm(initial={"year": year}),
            "years": [year - 1, year, year + 1],
        }
    return render(request, "sla/calendar.html", context, status=status)


@ui_errors
def calendar_edit(request: HttpRequest, calendar_id: int | None = None) -> HttpResponse:
    user = _user(request)
    selectors.sla_require_manage(user=user)
    calendar = selectors.calendar_get(user=user, calendar_id=calendar_id) if calendar_id else None
    if request.method != "POST":
        form = CalendarForm(calendar=calendar) if calendar else CalendarForm(initial={"time_zone": "Asia/Tehran"})
        return _calendar_page(request, calendar, form)
    form = CalendarForm(request.POST, calendar=calendar)
    if form.is_valid():
        values = form.cleaned_data
        try:
            if calendar is None:
                calendar = services.calendar_create(
                    by=user,
                    name=values["name"],
                    time_zone=values["time_zone"],
                    country=values["country"],
                    hours=form.hours(),
                )
            else:
                services.calendar_update(
                    calendar=calendar,
                    by=user,
                    name=values["name"],
                    time_zone=values["time_zone"],
                    country=values["country"],
                    hours=form.hours(),
                )
            return redirect("sla:calendar", calendar.pk)
        except ValidationFailed as exc:
            apply_errors(form, exc, form.field_for)
    return _calendar_page(request, calendar, form, status=422)


@ui_errors
@require_POST
def calendar_template(request: HttpRequest, template: str) -> HttpResponse:
    user = _user(request)
    selectors.sla_require_manage(user=user)
    try:
        calendar = services.calendar_from_template(by=user, template=template)
    except ValidationFailed as exc:
        calendars = selectors.calendar_list(user=user).order_by("name")
        message = "; ".join(str(e.message) for e in exc.errors) or str(exc.detail)
        return render(request, "sla/calendars.html", {"calendars": calendars, "error": message}, status=422)
    return redirect("sla:calendar", calendar.pk)


@ui_errors
@require_POST
def calendar_delete(request: HttpRequest, calendar_id: int) -> HttpResponse:
    user = _user(request)
    calendar = selectors.calendar_get(user=user, calendar_id=calendar_id)
    try:
        services.calendar_delete(calendar=calendar, by=user)
    except PayvandError as exc:
        return _calendar_page(
            request, calendar, CalendarForm(calendar=calendar), error=str(exc.detail), status=exc.status
        )
    return redirect("sla:calendars")


@ui_errors
@require_POST
def holidays_load(request: HttpRequest, calendar_id: int) -> HttpResponse:
    """Load the public holidays of the year, in the viewer's calendar: a Jalali year spans two Gregorian ones."""
    user = _user(request)
    calendar = selectors.calendar_get(user=user, calendar_id=calendar_id)
    form = HolidaysLoadForm(request.POST)
    if form.is_valid():
        year = form.cleaned_data["year"]
        try:
            first, last = _year_span(year)
            for gregorian in sorted({first.year, last.year}):
                services.holidays_load(calendar=calendar, by=user, year=gregorian)
            return redirect(f"{reverse('sla:calendar', args=[calendar.pk])}?year={year}")
        except (ValueError, OverflowError):
            form.add_error("year", _("Choose another year."))
        except ValidationFailed as exc:
            apply_errors(form, exc)
    return _calendar_page(request, calendar, CalendarForm(calendar=calendar), load_form=form, status=422)


@ui_errors
@require_POST
def holiday_add(request: HttpRequest, calendar_id: int) -> HttpResponse:
    user = _user(request)
    calendar = selectors.calendar_get(user=user, calendar_id=calendar_id)
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            holiday = services.holiday_add(
                calendar=calendar, by=user, date=form.cleaned_data["date"], name=form.cleaned_data["name"]
            )
            year = (
                jdatetime.date.fromgregorian(date=holiday.date).year
                if current_calendar() == JALALI
                else holiday.date.year
            )
            return redirect(f"{reverse('sla:calendar', args=[calendar.pk])}?year={year}")
        except ValidationFailed as exc:
            apply_errors(form, exc)
    return _calendar_page(request, calendar, CalendarForm(calendar=calendar), holiday_form=form, status=422)


@ui_errors
@require_POST
def holiday_remove(request: HttpRequest, calendar_id: int, holiday_id: int) -> HttpResponse:
    user = _user(request)
    calendar = selectors.calendar_get(user=user, calendar_id=calendar_id)
    holiday = calendar.holidays.filter(pk=holiday_id).first()
    if holiday is None:
        raise Http404
    services.holiday_remove(holiday=holiday, by=user)
    if is_htmx(request):
        return HttpResponse("")
    return redirect("sla:calendar", calendar.pk)


# ---------------------------------------------------------------------------------------------- policies


@ui_errors
def policy_list(request: HttpRequest) -> HttpResponse:
    return render(request, "sla/policies.html", {"policies": selectors.policy_list(user=_user(request))})


@ui_errors
def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    user = _user(request)
    policy = selectors.policy_get(user=user, policy_id=policy_id) if policy_id else None
    selectors.sla_require_manage(user=user)
    if request.method != "POST":
        return render(request, "sla/policy.html", {"policy": policy, "form": PolicyForm(policy=policy)})
    form = PolicyForm(request.POST, policy=policy)
    if form.is_valid():
        try:
            if policy is None:
                services.policy_create(by=user, data=form.data_in())
            else:
                services.policy_update(policy=policy, by=user, data=form.data_in())
            return redirect("sla:policies")
        except ValidationFailed as exc:
            apply_errors(form, exc, form.field_for)
    return render(request, "sla/policy.html", {"policy": policy, "form": form}, status=422)


@ui_errors
@require_POST
def policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    user = _user(request)
    services.policy_delete(policy=selectors.policy_get(user=user, policy_id=policy_id), by=user)
    return redirect("sla:policies")
