"""Reads of the marketplace, each scoped to one customer account (or, for the provider API, to one
integration of the account whose token asks)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Min, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from coursebridge.core.errors import NotFound
from coursebridge.marketplace.models import (
    CourseList,
    CourseStatus,
    CustomerAccount,
    CustomerAdmin,
    Delivery,
    Integration,
    Launch,
    License,
    ListGroup,
    ListItem,
    MarketCourse,
)


def account_for_admin(*, user: Any, slug: str) -> CustomerAccount | None:
    """The account `slug` when `user` administers it (a superuser administers every account)."""
    if not getattr(user, "is_authenticated", False):
        return None
    account = CustomerAccount.objects.filter(slug=slug).first()
    if account is None:
        return None
    if user.is_superuser or CustomerAdmin.objects.filter(user=user, account=account).exists():
        return account
    return None


def home_account(*, user: Any) -> CustomerAccount | None:
    admin = CustomerAdmin.objects.select_related("account").filter(user=user).first()
    return admin.account if admin else None


def lists_of(*, account: CustomerAccount) -> QuerySet[CourseList]:
    return CourseList.objects.filter(account=account).annotate(course_count=Count("groups__items"))


def list_of(*, account: CustomerAccount, list_id: int) -> CourseList:
    course_list = CourseList.objects.filter(account=account, pk=list_id).first()
    if course_list is None:
        raise NotFound("No such List in this account.")
    return course_list


@dataclass
class ListRow:
    item: ListItem
    course: MarketCourse
    license_kinds: list[str]


def list_groups(*, account: CustomerAccount, course_list: CourseList) -> list[tuple[ListGroup, list[ListRow]]]:
    """The List's Groups with their courses and the license types the account holds for each."""
    groups = list(ListGroup.objects.filter(course_list=course_list))
    items = list(ListItem.objects.filter(group__in=groups).select_related("course__publisher"))
    now = timezone.now()
    kinds: dict[int, list[str]] = defaultdict(list)
    for course_id, kind, expires, paused in License.objects.filter(
        account=account, course_id__in=[i.course_id for i in items]
    ).values_list("course_id", "kind", "expires_at", "paused"):
        if not paused and (expires is None or expires > now):
            kinds[course_id].append(kind)
    by_group: dict[int, list[ListRow]] = defaultdict(list)
    for item in items:
        row = ListRow(item=item, course=item.course, license_kinds=sorted(kinds[item.course_id]))
        by_group[item.group_id].append(row)
    return [(group, by_group[group.pk]) for group in groups]


def integrations_of(*, account: CustomerAccount, active_only: bool = True) -> QuerySet[Integration]:
    qs = Integration.objects.filter(account=account)
    return qs.filter(active=True) if active_only else qs


def my_courses(*, account: CustomerAccount, tab: str = "delivered") -> list[dict[str, Any]]:
    """My Courses: each delivered course, its license, the integrations it went to, status and dates.
    Tabs: delivered (available), attention (retiring, retired, license expired or paused), archived."""
    now = timezone.now()
    rows: dict[int, dict[str, Any]] = {}
    deliveries = (Delivery.objects.filter(account=account)
                  .select_related("course__publisher", "license", "integration")
                  .order_by("course__title", "integration__name"))
    for d in deliveries:
        row = rows.setdefault(d.course_id, {
            "course": d.course, "licenses": set(), "integrations": [], "first_delivered": d.created_at,
            "last_sent": None, "pending": False, "license_ok": True,
        })
        row["licenses"].add(d.license.get_kind_display())
        row["integrations"].append({"name": d.integration.name, "sent_at": d.sent_at, "kind": d.integration.kind})
        row["first_delivered"] = min(row["first_delivered"], d.created_at)
        if d.sent_at and (row["last_sent"] is None or d.sent_at > row["last_sent"]):
            row["last_sent"] = d.sent_at
        row["pending"] = row["pending"] or d.sent_at is None
        if d.license.paused or (d.license.expires_at is not None and d.license.expires_at <= now):
            row["license_ok"] = False
    result = []
    for row in rows.values():
        course = row["course"]
        if course.status == CourseStatus.ARCHIVED:
            row_tab = "archived"
        elif course.status != CourseStatus.ACTIVE or not row["license_ok"]:
            row_tab = "attention"
        else:
            row_tab = "delivered"
        if row_tab == tab:
            row["licenses"] = ", ".join(sorted(row["licenses"]))
            row["status"] = "License expired or paused" if not row["license_ok"] else course.get_status_display()
            result.append(row)
    return result


def legacy_queue(*, integration: Integration, tab: str) -> QuerySet[Delivery]:
    """Pending: courses not sent yet (on OCN, sent ones too: they stay Pending until OCN imports them).
    History: courses sent."""
    qs = Delivery.objects.filter(integration=integration).select_related("course", "license")
    if tab == "history":
        return qs.filter(sent_at__isnull=False).order_by("-sent_at", "course__title")
    if integration.kind == "ocn":
        return qs.order_by("course__title")
    return qs.filter(sent_at__isnull=True).order_by("course__title")


CONTENT_FIELDS = (
    "position", "course__code", "course__title", "course__description_text", "course__description_html",
    "course__image_url", "course__thumbnail_url", "course__duration_seconds", "course__languages",
    "course__categories", "course__publisher__name", "course__package_file", "course__au_path", "course__status",
)


def delivered_content(
    *, integration: Integration, page: int, limit: int, after: int | None = None, codes: list[str] | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """One page of what the provider API lists for an integration, and whether more follow: the
    courses delivered and sent to it, archived ones left out, as plain values (no model instances:
    this is the API's hot path). With `after` (a position) the page is the next `limit` rows by key;
    else page N is the range of positions ((N-1)*limit, N*limit]. Both walk one partial index
    (integration, position, course); courses and publishers are joined by primary key."""
    feed = Delivery.objects.filter(integration=integration, sent_at__isnull=False, listed=True)
    if codes is not None:
        # Only the named courses (after a push notice): by key, whatever the page number says.
        feed = feed.filter(course__code__in=codes)
        after = after or 0
    if after is not None:
        rows = list(feed.filter(position__gt=after).order_by("position").values(*CONTENT_FIELDS)[:limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
    else:
        end = page * limit
        rows = list(feed.filter(position__gt=end - limit, position__lte=end).order_by("position")
                    .values(*CONTENT_FIELDS))
        # Positions given out so far say whether pages follow, without a query (trailing ones may be
        # empty when the last courses were archived).
        more = end < integration.last_position
    return rows, more


def activity_rows(*, account: CustomerAccount, start: date | None, end: date | None) -> list[dict[str, Any]]:
    """Launches by course, learner and day."""
    qs = Launch.objects.filter(account=account)
    if start:
        qs = qs.filter(launched_at__date__gte=start)
    if end:
        qs = qs.filter(launched_at__date__lte=end)
    rows = (qs.annotate(day=TruncDate("launched_at"))
            .values("day", "course__title", "course__code", "learner_key", "license__kind")
            .annotate(launches=Count("id"), first=Min("launched_at"))
            .order_by("-day", "course__title", "learner_key"))
    return [dict(row) for row in rows]
