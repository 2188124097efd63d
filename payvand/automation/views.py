"""Pages: the list of automation rules (order, enable/disable) and the rule builder with its test-run."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payvand.accounts.models import User
from payvand.automation import approvals, selectors, services, webhooks
from payvand.automation.forms import ApprovalRequestForm, MacroForm, RuleForm
from payvand.automation.models import ApprovalRequest, Rule, WebhookSubscription
from payvand.core.errors import PayvandError, ValidationFailed
from payvand.core.forms import BootstrapForm, apply_errors
from payvand.core.http import ui_errors
from payvand.core.localization import to_ascii_digits
from payvand.helpdesk.models import Ticket
from payvand.helpdesk.selectors import ticket_get_for_user


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@ui_errors
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = list(selectors.rule_list(user=_user(request)))
    return render(request, "automation/rules.html", {"rules": rules})


@ui_errors
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    user = _user(request)
    selectors.rule_require_manage(user=user)
    rule: Rule | None = selectors.rule_get(user=user, rule_id=rule_id) if rule_id else None
    if request.method != "POST":
        return render(request, "automation/rule.html", {"rule": rule, "form": RuleForm(rule=rule)})
    form = RuleForm(request.POST)
    matches = None
    if form.is_valid():
        try:
            data = form.data_in()
            if "test" in request.POST:
                matches = selectors.rule_test_run(user=user, rule=services.rule_preview(data=data))
            else:
                if rule is None:
                    services.rule_create(by=user, data=data)
                else:
                    services.rule_update(rule=rule, by=user, data=data)
                return redirect("automation:rules")
        except ValidationFailed as exc:
            apply_errors(form, exc, form.field_for)
    status = 200 if matches is not None else 422
    return render(request, "automation/rule.html", {"rule": rule, "form": form, "matches": matches}, status=status)


@ui_errors
@require_POST
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    user = _user(request)
    rule = selectors.rule_get(user=user, rule_id=rule_id)
    services.rule_set_active(rule=rule, by=user, active=not rule.is_active)
    return redirect("automation:rules")


@ui_errors
@require_POST
def rule_move(request: HttpRequest, rule_id: int, direction: str) -> HttpResponse:
    user = _user(request)
    services.rule_move(rule=selectors.rule_get(user=user, rule_id=rule_id), by=user, up=direction == "up")
    return redirect("automation:rules")


@ui_errors
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    user = _user(request)
    services.rule_delete(rule=selectors.rule_get(user=user, rule_id=rule_id), by=user)
    return redirect("automation:rules")


# ---------------------------------------------------------------------------------------------- macros


@ui_errors
def macro_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = MacroForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.macro_create(by=user, data=form.data_in())
                return redirect("automation:macros")
            except ValidationFailed as exc:
                apply_errors(form, exc, form.field_for)
        status = 422
    macros = selectors.macros_for_user(user=user).select_related("team", "owner")
    return render(request, "automation/macros.html", {"macros": macros, "form": form}, status=status)


@ui_errors
@require_POST
def macro_delete(request: HttpRequest, macro_id: int) -> HttpResponse:
    user = _user(request)
    services.macro_delete(macro=selectors.macro_get_for_user(user=user, macro_id=macro_id), by=user)
    return redirect("automation:macros")


@ui_errors
def ticket_macros(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The ticket page's macro menu (loaded by htmx into the sidebar)."""
    user = _user(request)
    ticket = ticket_get_for_user(user=user, ticket_id=ticket_id)
    macros = list(selectors.macros_for_user(user=user)) if ticket.is_active else []
    target = ContentType.objects.get_for_model(Ticket)
    requests = ApprovalRequest.objects.filter(target_type=target, target_id=str(ticket.pk)).order_by("-created_at")
    context = {"ticket": ticket, "macros": macros, "approval_form": ApprovalRequestForm(), "approvals": requests}
    return render(request, "automation/ticket_macros.html", context)


@ui_errors
@require_POST
def macro_apply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    ticket = ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    try:
        macro = selectors.macro_get_for_user(user=user, macro_id=int(request.POST.get("macro") or 0))
        services.macro_apply(macro=macro, ticket=ticket, by=user)
        messages.success(request, _("Macro %(name)s applied.") % {"name": macro.name})
    except (PayvandError, ValueError) as exc:
        detail = exc.detail if isinstance(exc, PayvandError) else _("Choose a macro.")
        reasons = [str(e.message) for e in exc.errors] if isinstance(exc, PayvandError) else []
        messages.error(request, " ".join([str(detail), *reasons]))
    return redirect("helpdesk:detail", ticket.pk)


# ---------------------------------------------------------------------------------------------- webhooks


class WebhookForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    url = forms.CharField(label=_("Address"), max_length=500)
    events = forms.CharField(
        label=_("Events"), max_length=2000, help_text=_("Verbs or their beginnings, comma separated: ticket., sla.")
    )


@ui_errors
def webhook_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    webhooks.webhook_require_manage(user=user)
    form = WebhookForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            events = [e.strip() for e in d["events"].split(",")]
            try:
                sub = webhooks.webhook_create(
                    by=user, data=webhooks.WebhookIn(name=d["name"], url=d["url"], events=events)
                )
                return redirect("automation:webhook", sub.pk)
            except ValidationFailed as exc:
                apply_errors(form, exc)
        status = 422
    subs = WebhookSubscription.objects.order_by("name", "id")
    return render(request, "automation/webhooks.html", {"subs": subs, "form": form}, status=status)


@ui_errors
def webhook_detail(request: HttpRequest, webhook_id: int) -> HttpResponse:
    user = _user(request)
    webhooks.webhook_require_manage(user=user)
    sub = WebhookSubscription.objects.filter(pk=webhook_id).first()
    if sub is None:
        raise Http404
    deliveries = sub.deliveries.order_by("-created_at", "-id")[:100]
    return render(request, "automation/webhook.html", {"sub": sub, "deliveries": deliveries})


@ui_errors
@require_POST
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    user = _user(request)
    webhooks.webhook_require_manage(user=user)
    sub = WebhookSubscription.objects.filter(pk=webhook_id).first()
    if sub is None:
        raise Http404
    webhooks.webhook_delete(subscription=sub, by=user)
    return redirect("automation:webhooks")


# ---------------------------------------------------------------------------------------------- approvals


@ui_errors
@require_POST
def approval_request_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    ticket = ticket_get_for_user(user=user, ticket_id=ticket_id, action="change")
    form = ApprovalRequestForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        approvers = list(User.objects.filter(email__iexact=d["approver"].strip())) if d.get("approver") else []
        try:
            if d.get("approver") and not approvers:
                raise ValidationFailed.on("approver", _("No user has this email."))
            approvals.approval_request(
                target=ticket,
                by=user,
                kind=d["kind"],
                reason=d["reason"],
                amount=to_ascii_digits(d["amount"]),
                currency=d.get("currency") or "",
                approvers=approvers,
                role=d.get("role"),
                mode=d["mode"],
            )
            messages.success(request, _("The request was sent for approval."))
            return redirect("helpdesk:detail", ticket.pk)
        except ValidationFailed as exc:
            apply_errors(form, exc)
    errors = "; ".join(
        f"{form.fields[k].label if k in form.fields else ''}: {' '.join(str(m) for m in v)}"
        for k, v in form.errors.items()
    )
    messages.error(request, _("The request was not sent: %(errors)s") % {"errors": errors})
    return redirect("helpdesk:detail", ticket.pk)


@ui_errors
def approval_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    steps = list(approvals.approvals_pending_for(user=user))
    mine = ApprovalRequest.objects.filter(requested_by=user).order_by("-created_at")[:50]
    return render(request, "automation/approvals.html", {"steps": steps, "mine": mine})


@ui_errors
@require_POST
def approval_decide_view(request: HttpRequest, approval_id: int) -> HttpResponse:
    user = _user(request)
    item = approvals.approval_get_for_user(user=user, approval_id=approval_id)
    try:
        approvals.approval_decide(
            request=item,
            by=user,
            approve=request.POST.get("decision") == "approve",
            comment=request.POST.get("comment", ""),
        )
        messages.success(request, _("Your decision was recorded."))
    except PayvandError as exc:
        reasons = [str(e.message) for e in exc.errors]
        messages.error(request, " ".join([str(exc.detail), *reasons]))
    nxt = request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=False):
        return redirect(nxt)  # the cartable's approvals list
    return redirect("automation:approvals")
