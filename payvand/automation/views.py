"""Pages: the list of automation rules (order, enable/disable) and the rule builder with its test-run."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from payvand.accounts.models import User
from payvand.automation import selectors, services
from payvand.automation.forms import RuleForm
from payvand.automation.models import Rule
from payvand.core.errors import ValidationFailed
from payvand.core.forms import apply_errors
from payvand.core.http import ui_errors


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
