"""Writes of the marketplace: catalogue and lifecycle, accounts, Lists, licenses. Keyword-only,
typed, one transaction each. Delivery lives in delivery.py, launches in launch.py, API credentials in
credentials.py, webhooks in webhooks.py."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from coursebridge.core.errors import Conflict, DomainError, NotFound
from coursebridge.marketplace import webhooks
from coursebridge.marketplace.models import (
    CourseList,
    CourseStatus,
    CustomerAccount,
    CustomerAdmin,
    Delivery,
    Integration,
    IntegrationKind,
    License,
    LicenseKind,
    ListGroup,
    ListItem,
    MarketCourse,
    Publisher,
)
from coursebridge.marketplace.packages import package_store

_CATEGORY_PATH = re.compile(r"^(\|[^|]+)+$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


def new_code(prefix: str = "") -> str:
    """A public id: hard to guess, safe in URLs."""
    return prefix + secrets.token_hex(12)


def _clean_categories(categories: Iterable[str]) -> list[str]:
    cleaned = []
    for position, path in enumerate(categories):
        path = path.strip()
        if not _CATEGORY_PATH.match(path):
            raise DomainError(
                f"Category {position + 1} ({path!r}) is not a path like \"|Business|Leadership\".", field="categories"
            )
        cleaned.append(path)
    return cleaned


def _clean_languages(languages: Iterable[str]) -> list[str]:
    cleaned = []
    for language in languages:
        if not _LANGUAGE.match(language.strip()):
            raise DomainError(f"{language!r} is not a language code like \"en\" or \"pt-BR\".", field="languages")
        cleaned.append(language.strip())
    return cleaned


def _clean_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise DomainError(
            f"{slug!r} is not a slug: lower-case letters, digits and hyphens, starting with a letter or digit.",
            field="slug",
        )
    return slug


# --- Publishers and courses -----------------------------------------------------------------------


@transaction.atomic
def publisher_create(*, slug: str, name: str) -> Publisher:
    if Publisher.objects.filter(slug=_clean_slug(slug)).exists():
        raise Conflict(f"A publisher with the slug {slug!r} exists.", field="slug")
    if not name.strip():
        raise DomainError("A publisher needs a name.", field="name")
    return Publisher.objects.create(slug=slug, name=name.strip())


@transaction.atomic
def course_create(
    *,
    publisher: Publisher,
    title: str,
    description_text: str = "",
    description_html: str = "",
    duration_seconds: int = 0,
    languages: Sequence[str] = ("en",),
    categories: Sequence[str] = (),
    image_url: str = "",
    thumbnail_url: str = "",
    package: bytes | None = None,
    code: str | None = None,
) -> MarketCourse:
    """A publisher's course, with its AICC package validated and stored when given."""
    if not title.strip():
        raise DomainError("A course needs a title.", field="title")
    if duration_seconds < 0:
        raise DomainError("The duration cannot be negative.", field="duration_seconds")
    code = code or new_code()
    if MarketCourse.objects.filter(code=code).exists():
        raise Conflict(f"A course with the id {code!r} exists.", field="code")
    course = MarketCourse(
        publisher=publisher, code=code, title=title.strip(), description_text=description_text,
        description_html=description_html, duration_seconds=duration_seconds,
        languages=_clean_languages(languages), categories=_clean_categories(categories),
        image_url=image_url, thumbnail_url=thumbnail_url,
    )
    if package is not None:
        _attach(course, package)
    course.save()
    return course


def _attach(course: MarketCourse, package: bytes) -> None:
    stored = package_store(code=course.code, data=package)
    course.package_file = stored.package_file
    course.package_prefix = stored.package_prefix
    course.au_path = stored.au_path
    course.package_identifier = stored.identifier


@transaction.atomic
def course_package_replace(*, course: MarketCourse, package: bytes) -> MarketCourse:
    _attach(course, package)
    course.save()
    webhooks.events_for_course(course=course, event="content.updated")
    return course


def _lifecycle(course: MarketCourse, status: str, reason: str, event: str) -> MarketCourse:
    course.status = status
    course.status_reason = reason.strip()[:300]
    course.save(update_fields=["status", "status_reason", "retire_date", "updated_at"])
    Delivery.objects.filter(course=course).update(listed=status != CourseStatus.ARCHIVED)
    webhooks.events_for_course(course=course, event=event)
    return course


@transaction.atomic
def course_retire_schedule(
    *, course: MarketCourse, retire_date: date, reason: str, replacements: Sequence[MarketCourse] = ()
) -> MarketCourse:
    """Retiring: the course still launches until `retire_date`; replacements are suggested."""
    course = MarketCourse.objects.select_for_update().get(pk=course.pk)
    if course.status not in (CourseStatus.ACTIVE, CourseStatus.RETIRING):
        raise Conflict(f"“{course.title}” is {course.get_status_display().lower()}; only an active course can retire.")
    if retire_date < timezone.localdate():
        raise DomainError("The retire date is in the past.", field="retire_date")
    if any(r.pk == course.pk for r in replacements):
        raise DomainError("A course cannot replace itself.", field="replacements")
    course.retire_date = retire_date
    course.replacements.set(replacements)
    return _lifecycle(course, CourseStatus.RETIRING, reason, "content.retiring")


@transaction.atomic
def course_retire(*, course: MarketCourse, reason: str = "") -> MarketCourse:
    """Retired: listed with active false until archived; launches are refused."""
    course = MarketCourse.objects.select_for_update().get(pk=course.pk)
    if course.status == CourseStatus.ARCHIVED:
        raise Conflict(f"“{course.title}” is archived.")
    return _lifecycle(course, CourseStatus.RETIRED, reason or course.status_reason, "content.retired")


@transaction.atomic
def course_archive(*, course: MarketCourse, reason: str = "") -> MarketCourse:
    course = MarketCourse.objects.select_for_update().get(pk=course.pk)
    return _lifecycle(course, CourseStatus.ARCHIVED, reason or course.status_reason, "content.archived")


@transaction.atomic
def course_reactivate(*, course: MarketCourse) -> MarketCourse:
    course = MarketCourse.objects.select_for_update().get(pk=course.pk)
    course.retire_date = None
    return _lifecycle(course, CourseStatus.ACTIVE, "", "content.updated")


def courses_retire_due(*, today: date | None = None) -> int:
    """Retiring courses whose date has come become retired (run daily)."""
    today = today or timezone.localdate()
    due = list(MarketCourse.objects.filter(status=CourseStatus.RETIRING, retire_date__lte=today))
    for course in due:
        course_retire(course=course)
    return len(due)


# --- Customer accounts ----------------------------------------------------------------------------


@transaction.atomic
def account_create(*, slug: str, name: str, ppu_enabled: bool = True) -> CustomerAccount:
    if CustomerAccount.objects.filter(slug=_clean_slug(slug)).exists():
        raise Conflict(f"A customer account with the slug {slug!r} exists.", field="slug")
    if not name.strip():
        raise DomainError("An account needs a name.", field="name")
    return CustomerAccount.objects.create(slug=slug, name=name.strip(), ppu_enabled=ppu_enabled)


@transaction.atomic
def customer_admin_add(*, account: CustomerAccount, user: Any) -> CustomerAdmin:
    existing = CustomerAdmin.objects.filter(user=user).first()
    if existing is not None and existing.account_id != account.pk:
        raise Conflict("This person is already the admin of another customer account.", field="user")
    return existing or CustomerAdmin.objects.create(account=account, user=user)


@transaction.atomic
def integration_create(
    *, account: CustomerAccount, name: str, kind: str, webhook_url: str = "", webhook_secret: str = "",
    is_default: bool = False, lms_hosts: str = "",
) -> Integration:
    if kind not in IntegrationKind.values:
        raise DomainError(f"{kind!r} is not an integration kind ({', '.join(IntegrationKind.values)}).", field="kind")
    if not name.strip():
        raise DomainError("An integration needs a name.", field="name")
    if Integration.objects.filter(account=account, name=name.strip()).exists():
        raise Conflict(f"The account has an integration named {name.strip()!r}.", field="name")
    if kind == IntegrationKind.PUSH and not webhook_url.startswith(("http://", "https://")):
        raise DomainError("A push integration needs the http(s) URL of the LMS's webhook.", field="webhook_url")
    return Integration.objects.create(
        account=account, name=name.strip(), kind=kind, ciid=new_code("ciid-"), webhook_url=webhook_url,
        webhook_secret=webhook_secret or (secrets.token_urlsafe(32) if kind == IntegrationKind.PUSH else ""),
        is_default=is_default, lms_hosts=lms_hosts.strip(),
    )


# --- Lists ----------------------------------------------------------------------------------------


@transaction.atomic
def list_create(
    *, account: CustomerAccount, title: str, groups: Sequence[tuple[str, Sequence[MarketCourse]]], description: str = ""
) -> CourseList:
    """A List with its Groups, each holding courses in order."""
    if not title.strip():
        raise DomainError("A List needs a title.", field="title")
    course_list = CourseList.objects.create(account=account, title=title.strip(), description=description)
    for position, (name, courses) in enumerate(groups):
        group = ListGroup.objects.create(course_list=course_list, name=name, position=position)
        ListItem.objects.bulk_create(
            [ListItem(group=group, course=course, position=i) for i, course in enumerate(courses)]
        )
    return course_list


# --- Licenses -------------------------------------------------------------------------------------


@transaction.atomic
def license_grant(
    *, account: CustomerAccount, course: MarketCourse, kind: str, seats: int | None = None,
    expires_at: datetime | None = None,
) -> License:
    if kind not in LicenseKind.values:
        raise DomainError(f"{kind!r} is not a license kind ({', '.join(LicenseKind.values)}).", field="kind")
    if kind == LicenseKind.VOLUME and (seats is None or seats < 1):
        raise DomainError("A volume license needs at least one seat.", field="seats")
    if kind != LicenseKind.VOLUME and seats is not None:
        raise DomainError("Only volume licenses have a number of seats.", field="seats")
    if License.objects.filter(account=account, course=course, kind=kind).exists():
        raise Conflict(f"The account already has a {LicenseKind(kind).label} license for “{course.title}”.")
    return License.objects.create(account=account, course=course, kind=kind, seats=seats, expires_at=expires_at)


def license_is_usable(license: License, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return not license.paused and (license.expires_at is None or license.expires_at > now)


def course_in_account(*, account: CustomerAccount, course_id: int) -> MarketCourse:
    """A course the account can see: one of its Lists holds it, or it holds a license for it."""
    course = MarketCourse.objects.filter(pk=course_id).first()
    if course is None or not (
        ListItem.objects.filter(group__course_list__account=account, course=course).exists()
        or License.objects.filter(account=account, course=course).exists()
    ):
        raise NotFound("No such course in this account.")
    return course
