from __future__ import annotations

from django import template

from payvand.telephony.services import ami_configured

register = template.Library()


@register.simple_tag
def telephony_pbx() -> bool:
    """Whether click-to-call goes through the PBX (else phone numbers stay tel: links)."""
    return ami_configured()
