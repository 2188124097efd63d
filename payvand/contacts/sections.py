"""The sections of the 360° contact page, and which of them each team's layout shows, in what order (R-001.7/8).

Each app adds its own sections in its AppConfig.ready() with `register(Section(...))`: contacts gives flags,
tickets, timeline and map; telephony gives calls and scheduled calls and meetings; the sales, invoicing and assets
apps add deals, invoices and assets the same way when they come. A section is a template (rendered with the page's
context plus what its `context` function returns) and the permission a viewer needs to see it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

if TYPE_CHECKING:
    from payvand.accounts.models import User
    from payvand.contacts.models import Contact


@dataclass(frozen=True)
class Section:
    key: str
    label: str | Promise
    template: str
    context: Callable[[User, Contact], dict[str, Any]] | None = None
    permission: str = ""
    default_order: int = 100  # where it sits in the default layout; 0 leaves it out of the default


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    SECTIONS[section.key] = section


def section_choices() -> list[Section]:
    return sorted(SECTIONS.values(), key=lambda s: (s.default_order or 10_000, s.key))


def default_layout() -> list[str]:
    return [s.key for s in section_choices() if s.default_order]


def layout_clean(keys: list[str]) -> list[str]:
    """The known keys, once each, in the given order (sections of apps no longer installed drop out)."""
    seen: list[str] = []
    for key in keys:
        if key in SECTIONS and key not in seen:
            seen.append(key)
    return seen


def sections_render_list(*, user: User, contact: Contact, keys: list[str]) -> list[tuple[Section, dict[str, Any]]]:
    """The sections to draw for this viewer, in order, each with its own context."""
    out: list[tuple[Section, dict[str, Any]]] = []
    for key in layout_clean(keys):
        section = SECTIONS[key]
        if section.permission and not user.has_perm(section.permission):
            continue
        out.append((section, section.context(user, contact) if section.context else {}))
    return out
