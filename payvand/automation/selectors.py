"""Reads of automation: rules (for those who may manage them) and the tickets a rule would match now."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.automation import engine
from payvand.automation.models import Macro, Rule
from payvand.core.errors import NotFound, PermissionDenied
from payvand.helpdesk.models import ACTIVE_CATEGORIES, Ticket
from payvand.helpdesk.selectors import ticket_queryset_for_user

MANAGE_PERM = "automation.change_rule"
TEST_RUN_LIMIT = 50
TEST_RUN_SCAN = 2000


def rule_require_manage(*, user: User) -> None:
    """Admins, supervisors and service managers build the rules."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(detail=_("Sign in first."))
    if not user.has_perm(MANAGE_PERM):
        raise PermissionDenied(detail=_("You do not have permission to change automation rules."))


def rule_list(*, user: User) -> QuerySet[Rule]:
    rule_require_manage(user=user)
    return Rule.objects.order_by("position", "id")


def rule_get(*, user: User, rule_id: int) -> Rule:
    rule_require_manage(user=user)
    rule = Rule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(detail=_("No such rule."))
    return rule


def rule_test_run(*, user: User, rule: Rule, limit: int = TEST_RUN_LIMIT) -> list[Ticket]:
    """The open tickets the viewer may see that the rule's conditions hold on now (the newest first, up to
    `limit`, among the newest TEST_RUN_SCAN open tickets)."""
    rule_require_manage(user=user)
    tickets = ticket_queryset_for_user(user=user).filter(status_category__in=ACTIVE_CATEGORIES).order_by("-created_at")
    ids = list(tickets.values_list("pk", flat=True)[:TEST_RUN_SCAN])
    return engine.tickets_matching(
        rule=rule, tickets=Ticket.objects.filter(pk__in=ids).order_by("-created_at"), limit=limit
    )


def macros_for_user(*, user: User) -> QuerySet[Macro]:
    """The macros the user may apply: everyone's, their teams', and their own."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(detail=_("Sign in first."))
    team_ids = list(user.memberships.values_list("team_id", flat=True))
    return Macro.objects.filter(
        Q(owner__isnull=True, team__isnull=True) | Q(owner__isnull=True, team_id__in=team_ids) | Q(owner=user)
    ).order_by("name", "id")


def macro_get_for_user(*, user: User, macro_id: int) -> Macro:
    macro = macros_for_user(user=user).filter(pk=macro_id).first()
    if macro is None:
        raise NotFound(detail=_("No such macro."))
    return macro
