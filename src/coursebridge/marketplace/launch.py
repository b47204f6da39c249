"""aiccLaunchUrl: the license and seat checks, the launch record, and serving the AU.

A learner is known by the LMS's student id: the `student_id` query parameter when the LMS adds it,
else the Student_ID that a server-side GetParam to the LMS's aicc_url returns for the aicc_sid (the
AU then does its own GetParam as usual). A learner takes a seat at their first launch; a PPU seat
lasts PPU_SEAT_DAYS; a volume license refuses launches past its seats; seats are counted under a
row lock on the license so parallel first launches never take more than there are.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.db import IntegrityError, transaction
from django.utils import timezone

from coursebridge.content.hacp import parse_aicc_data
from coursebridge.core.errors import LaunchRefused, NotFound
from coursebridge.marketplace.models import (
    LAUNCHABLE_STATUSES,
    Delivery,
    Integration,
    Launch,
    License,
    LicenseKind,
    MarketCourse,
    Seat,
)

PPU_SEAT_DAYS = 365
LAUNCH_KEY_LIFETIME = timedelta(hours=24)
GETPARAM_TIMEOUT = 5.0


@dataclass(frozen=True)
class LaunchTarget:
    integration: Integration
    course: MarketCourse
    license: License


def launch_target(*, ciid: str, course_code: str) -> LaunchTarget:
    """The delivery a launch URL names, or NotFound / LaunchRefused with the page's message."""
    if "\x00" in ciid + course_code:
        raise NotFound("This course was not delivered to this learning platform.")
    delivery = (Delivery.objects.select_related("integration", "course", "license")
                .filter(integration__ciid=ciid, course__code=course_code).first())
    if delivery is None or not delivery.integration.active:
        raise NotFound("This course was not delivered to this learning platform.")
    if delivery.sent_at is None:
        raise LaunchRefused("This course has not been sent to your learning platform yet.")
    course = delivery.course
    if course.status not in LAUNCHABLE_STATUSES:
        raise LaunchRefused(f"“{course.title}” has been {course.get_status_display().lower()} by its publisher and "
                            "can no longer be launched.")
    if not course.au_path:
        raise LaunchRefused(f"“{course.title}” has no content to launch yet.")
    return LaunchTarget(integration=delivery.integration, course=course, license=delivery.license)


def learner_from_lms(*, integration: Integration, aicc_sid: str, aicc_url: str) -> str:
    """Ask the LMS who the learner is (a GetParam for the session). LaunchRefused when it will not say.
    Only an aicc_url on one of the integration's registered hosts is called: the address comes with the
    launch, and the marketplace must not be made to post to any host someone names."""
    if not aicc_sid or urlsplit(aicc_url).scheme not in {"http", "https"}:
        raise LaunchRefused("The launch is missing aicc_sid and aicc_url: open the course from your learning platform.")
    if not integration.lms_host_allowed(aicc_url):
        raise LaunchRefused(f"The learning platform at {urlsplit(aicc_url).netloc} is not registered for this "
                            "integration, so it cannot be asked who you are. Its administrator can add the host "
                            "to the integration's learning platform hosts.")
    try:
        response = httpx.post(
            aicc_url, data={"command": "GetParam", "version": "3.5", "session_id": aicc_sid, "aicc_data": ""},
            timeout=GETPARAM_TIMEOUT,
        )
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        raise LaunchRefused("Your learning platform could not be reached to identify you. Try again.") from exc
    text = response.text
    student_id = parse_aicc_data(text).core.get("student_id", "").strip() if "error=0" in text.replace(" ", "") else ""
    if not response.is_success or not student_id:
        raise LaunchRefused("Your learning platform did not confirm who you are. Open the course from it again.")
    return student_id


def launch_start(*, target: LaunchTarget, learner_key: str) -> Launch:
    """Check the license, take or reuse the learner's seat, record the launch."""
    learner_key = learner_key.strip()[:255]
    if not learner_key or "\x00" in learner_key:
        raise LaunchRefused("The launch does not say who the learner is.")
    now = timezone.now()
    with transaction.atomic():
        lic = License.objects.select_for_update().get(pk=target.license.pk)
        title = target.course.title
        if lic.paused:
            raise LaunchRefused(f"Your organisation's license for “{title}” is paused. Contact your administrator.")
        if lic.expires_at is not None and lic.expires_at <= now:
            raise LaunchRefused(f"Your organisation's license for “{title}” expired on "
                                f"{lic.expires_at:%d %B %Y}. Contact your administrator.")
        seat = Seat.objects.filter(license=lic, learner_key=learner_key).first()
        if seat is not None and seat.expires_at is not None and seat.expires_at <= now:
            raise LaunchRefused(f"Your seat for “{title}” expired on {seat.expires_at:%d %B %Y}. "
                                "Contact your administrator.")
        if seat is None:
            if lic.kind == LicenseKind.VOLUME and lic.seats is not None and lic.seats_used >= lic.seats:
                raise LaunchRefused(f"All {lic.seats} seats of your organisation's license for “{title}” are taken. "
                                    "Contact your administrator.")
            expires = now + timedelta(days=PPU_SEAT_DAYS) if lic.kind == LicenseKind.PPU else None
            try:
                with transaction.atomic():
                    seat = Seat.objects.create(license=lic, learner_key=learner_key, started_at=now, expires_at=expires)
            except IntegrityError:  # pragma: no cover - the row lock makes this a second line of defence
                seat = Seat.objects.get(license=lic, learner_key=learner_key)
            else:
                License.objects.filter(pk=lic.pk).update(seats_used=lic.seats_used + 1)
        return Launch.objects.create(
            account_id=lic.account_id, integration=target.integration, course=target.course, license=lic,
            seat=seat, learner_key=learner_key, key=secrets.token_urlsafe(24), launched_at=now,
        )


def launch_for_key(*, key: str) -> Launch:
    """The launch whose AU files a content URL serves; keys live LAUNCH_KEY_LIFETIME."""
    launch = None if "\x00" in key else Launch.objects.select_related("course").filter(key=key).first()
    if launch is None or launch.launched_at < timezone.now() - LAUNCH_KEY_LIFETIME:
        raise NotFound("This launch has ended. Open the course from your learning platform again.")
    return launch
