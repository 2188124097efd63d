"""Every read of the guided cases."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from payvand.accounts.models import User
from payvand.cases.models import CaseTemplate
from payvand.core.errors import NotFound, PermissionDenied

START = "cases.start_case"
MANAGE = "cases.change_casetemplate"


def case_require_perm(*, user: User) -> None:
    if not user.has_perm(START):
        raise PermissionDenied(detail=_("You may not start guided cases."))


def case_templates_active(*, user: User) -> QuerySet[CaseTemplate]:
    case_require_perm(user=user)
    return (
        CaseTemplate.objects.filter(is_active=True, archived_at__isnull=True, ticket_type__is_active=True)
        .select_related("ticket_type__form", "team")
        .prefetch_related("tasks")
    )


def case_template_get_for_user(*, user: User, template_id: int) -> CaseTemplate:
    template = case_templates_active(user=user).filter(pk=template_id).first()
    if template is None:
        raise NotFound(detail=_("No such guided case."))
    return template


def case_buttons(*, user: User) -> list[CaseTemplate]:
    """The templates an agent may start (for the 360° page and the call banner); none without the permission."""
    if not user.has_perm(START) or not user.has_perm("helpdesk.add_ticket"):
        return []
    return list(
        CaseTemplate.objects.filter(is_active=True, archived_at__isnull=True, ticket_type__is_active=True).only(
            "pk", "button", "name"
        )
    )


def case_template_require_manage(*, user: User) -> None:
    """Admins (and whoever has `cases.change_casetemplate`) build the templates."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(detail=_("Sign in first."))
    if not user.has_perm(MANAGE):
        raise PermissionDenied(detail=_("You do not have permission to change guided cases."))


def case_templates_manage(*, user: User, archived: bool | None = False) -> QuerySet[CaseTemplate]:
    """Every template, for those who build them: the current ones (archived=False), the archived (True) or all."""
    case_template_require_manage(user=user)
    qs = CaseTemplate.objects.select_related("ticket_type__form", "team").prefetch_related(
        "tasks__skill", "tasks__team", "tasks__assignee"
    )
    if archived is not None:
        qs = qs.filter(archived_at__isnull=not archived)
    return qs


def case_templates_listed(*, user: User) -> tuple[list[CaseTemplate], list[CaseTemplate]]:
    """The templates page's (current, archived): builders see every one and the archived ones, viewers the current
    ones, agents the active ones."""
    if user.has_perm(MANAGE):
        return list(case_templates_manage(user=user)), list(case_templates_manage(user=user, archived=True))
    if user.has_perm("cases.view_casetemplate"):
        qs = CaseTemplate.objects.filter(archived_at__isnull=True).select_related("ticket_type", "team")
        return list(qs.prefetch_related("tasks__skill")), []
    return list(case_templates_active(user=user).prefetch_related("tasks__skill")), []


def case_template_get_manage(*, user: User, template_id: int) -> CaseTemplate:
    template = case_templates_manage(user=user, archived=None).filter(pk=template_id).first()
    if template is None:
        raise NotFound(detail=_("No such guided case."))
    return template
