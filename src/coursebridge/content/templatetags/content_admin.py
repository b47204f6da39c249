"""Template tags of the content app's admin pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from coursebridge.accounts.models import Academy, User
from coursebridge.content.hacp import format_decimal, format_time
from coursebridge.learning.selectors import attempt_list

register = template.Library()

ATTEMPTS_SHOWN = 50


@register.inclusion_tag("content/_user_attempts.html")
def user_attempts(academy: Academy, person: User) -> dict[str, Any]:
    """The attempts of a user the admin page already shows, newest first, each linking to its
    detail page (the page checks the admin's scope again)."""
    attempts = list(attempt_list(academy=academy, user_id=person.pk)[: ATTEMPTS_SHOWN + 1])
    return {"academy": academy, "attempts": attempts[:ATTEMPTS_SHOWN], "more": len(attempts) > ATTEMPTS_SHOWN}


@register.filter
def plain_number(value: Decimal | None) -> str:
    """A stored score without its padding zeros: 17.5 for 17.5000, "—" when there is none."""
    return format_decimal(value) if value is not None else "—"


@register.filter
def hms(value: int | None) -> str:
    """Seconds as HH:MM:SS, the way content reports time."""
    return format_time(value or 0)
