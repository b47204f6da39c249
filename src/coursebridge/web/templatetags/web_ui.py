"""Filters the templates share: safe descriptions, durations, and CSS classes for statuses."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from coursebridge.catalog.search import plain_text
from coursebridge.web.sanitize import sanitize_html

register = template.Library()


@register.filter
def rich_text(value: str) -> SafeString:
    """A description as safe HTML (allowlisted tags only, all text escaped)."""
    return sanitize_html(value)


@register.filter
def summary(value: str, length: int = 220) -> str:
    """The first words of a description as plain text (the template escapes it)."""
    text = " ".join(plain_text(value or "").split())
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"


@register.filter
def minutes(value: int | None) -> str:
    """45 -> "45 min", 90 -> "1 h 30 min"."""
    if value is None:
        return ""
    hours, rest = divmod(int(value), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


@register.filter
def seconds(value: int | None) -> str:
    """Time spent: 0 -> "0 min", 40 -> "40 s", 3900 -> "1 h 05 min"."""
    value = int(value or 0)
    if 0 < value < 60:
        return f"{value} s"
    return minutes(value // 60)


@register.filter
def status_class(value: str) -> str:
    """A CSS modifier for a course lifecycle or learning status."""
    return "status-" + (value or "none").replace("_", "-")
