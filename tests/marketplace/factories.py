"""Marketplace rows for tests, made through the marketplace's own services."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model

from coursebridge.marketplace import services
from coursebridge.marketplace.demo_content import aicc_course_zip
from coursebridge.marketplace.models import CustomerAccount, Integration, License, MarketCourse, Publisher

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def publisher(name: str = "") -> Publisher:
    n = next(_seq)
    return services.publisher_create(slug=f"publisher-{n}", name=name or f"Publisher {n}")


def course(pub: Publisher | None = None, *, title: str = "", package: bool = True, **kwargs: Any) -> MarketCourse:
    pub = pub or publisher()
    n = next(_seq)
    title = title or f"Course {n}"
    code = kwargs.pop("code", None) or f"course-{n}"
    data = aicc_course_zip(course_id=code, title=title, publisher=pub.name) if package else None
    kwargs.setdefault("categories", ["|Business|Leadership"])
    kwargs.setdefault("duration_seconds", 1800)
    return services.course_create(publisher=pub, title=title, code=code, package=data, **kwargs)


def account(slug: str = "", **kwargs: Any) -> CustomerAccount:
    n = next(_seq)
    return services.account_create(slug=slug or f"account-{n}", name=kwargs.pop("name", f"Account {n}"), **kwargs)


def admin_of(acct: CustomerAccount, username: str = "") -> Any:
    user = get_user_model().objects.create_user(username=username or f"admin-{next(_seq)}", password=PASSWORD)
    services.customer_admin_add(account=acct, user=user)
    return user


def integration(acct: CustomerAccount, kind: str = "pull", **kwargs: Any) -> Integration:
    if kind == "push":
        kwargs.setdefault("webhook_url", "http://127.0.0.1:9/webhook")
    return services.integration_create(account=acct, name=kwargs.pop("name", f"LMS {next(_seq)}"), kind=kind, **kwargs)


def license_for(acct: CustomerAccount, c: MarketCourse, kind: str = "ppu", **kwargs: Any) -> License:
    return services.license_grant(account=acct, course=c, kind=kind, **kwargs)


def delivered(acct: CustomerAccount, integ: Integration, courses: list[MarketCourse], kind: str = "ppu") -> None:
    """Courses licensed and delivered to an integration, synchronously (the job's own run)."""
    from coursebridge.core.jobs import job_create
    from coursebridge.marketplace.delivery import JOB_DELIVER, delivery_run

    licenses = {}
    for c in courses:
        lic = License.objects.filter(account=acct, course=c, kind=kind).first()
        licenses[str(c.pk)] = (lic or license_for(acct, c, kind, **({"seats": 10} if kind == "volume" else {}))).pk
    job = job_create(kind=JOB_DELIVER, academy_id=None, created_by_id=None,
                     params={"account_id": acct.pk, "licenses": licenses, "integration_ids": [integ.pk]})
    delivery_run(job_id=job.pk)
