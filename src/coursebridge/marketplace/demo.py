"""The demo marketplace, loaded by `coursebridge demo`: publishers with a few hundred courses in
categories (each a real AICC package generated in code), Lists with Groups, and the customer account
"demo" with its admin, licenses of every kind and integrations of every kind, one of them a push
integration pointed at the demo academy's webhook address. Loading again replaces it."""

from __future__ import annotations

import os
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from coursebridge.marketplace import services
from coursebridge.marketplace.credentials import digest
from coursebridge.marketplace.demo_content import aicc_course_zip
from coursebridge.marketplace.models import (
    AccessToken,
    ApiClient,
    CustomerAccount,
    Delivery,
    Integration,
    IntegrationKind,
    Launch,
    License,
    LicenseKind,
    MarketCourse,
    Publisher,
    Seat,
    WebhookEvent,
)
from coursebridge.marketplace.packages import STORAGE_ROOT, package_delete

DEMO_ACCOUNT = "demo"
DEMO_ADMIN = "market-admin"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed for everyone to use: it is a demo
DEMO_CLIENT_ID = "demo-academy-client"
DEMO_CLIENT_SECRET = "demo-academy-secret"  # noqa: S105 - the demo academy's connector signs in with it
# The push integration's signing secret, published with the demo so the demo academy can check notices.
DEMO_WEBHOOK_SECRET = "demo-academy-webhook-secret"  # noqa: S105 - a demo value
DEMO_SEED = 20261124
PUBLISHERS = {
    "skillwave": "Skillwave Learning",
    "northstar": "Northstar Academy Press",
    "brightpath": "BrightPath Media",
    "codecraft": "CodeCraft Studios",
    "safeworks": "SafeWorks Compliance",
}
# Category path -> (publisher, topics); each topic makes a few courses ("… Fundamentals", "… in Practice"…).
CATALOGUE: dict[str, tuple[str, list[str]]] = {
    "|Business|Leadership": ("northstar", ["Leading Teams", "Delegation", "Coaching Conversations", "Change Management",
                                           "Strategic Thinking", "Giving Feedback"]),
    "|Business|Communication": ("skillwave", ["Presentation Skills", "Business Writing", "Active Listening",
                                              "Negotiation", "Difficult Conversations", "Storytelling"]),
    "|Business|Project Management": ("skillwave", ["Agile Basics", "Scrum", "Risk Management", "Stakeholder Mapping",
                                                   "Kanban"]),
    "|Technology|Programming": ("codecraft", ["Python", "JavaScript", "SQL", "Git", "TypeScript", "Go"]),
    "|Technology|Cloud": ("codecraft", ["Cloud Computing", "Containers", "Kubernetes", "Serverless"]),
    "|Technology|Security": ("codecraft", ["Cybersecurity Awareness", "Phishing Defence", "Password Hygiene",
                                           "Secure Coding"]),
    "|Compliance|Health and Safety": ("safeworks", ["Fire Safety", "Manual Handling", "First Aid", "Working at Height",
                                                    "Hazard Reporting"]),
    "|Compliance|Ethics": ("safeworks", ["Anti-Bribery", "Data Protection", "Code of Conduct", "Harassment Prevention",
                                         "Whistleblowing"]),
    "|Personal Development|Wellbeing": ("brightpath", ["Stress Management", "Resilience", "Mindfulness at Work",
                                                       "Sleep and Energy"]),
    "|Personal Development|Productivity": ("brightpath", ["Time Management", "Focus", "Remote Work", "Note Taking",
                                                         "Email Mastery"]),
}
FORMS = ["Fundamentals", "in Practice", "for Managers", "Advanced", "Quick Start", "Masterclass"]
LANGUAGES = [["en"], ["en"], ["en"], ["en", "fr"], ["en", "de"], ["es"]]
LISTS = {
    "New Manager Essentials": {
        "Foundations": ("|Business|Leadership", 8),
        "Communication": ("|Business|Communication", 6),
        "Wellbeing": ("|Personal Development|Wellbeing", 4),
    },
    "Compliance 2026": {
        "Health and Safety": ("|Compliance|Health and Safety", 10),
        "Ethics": ("|Compliance|Ethics", 10),
        "Security": ("|Technology|Security", 6),
    },
    "Tech Skills": {
        "Programming": ("|Technology|Programming", 12),
        "Cloud": ("|Technology|Cloud", 8),
    },
}


def demo_webhook_url() -> str:
    """Where the demo academy will take the marketplace's notices (its OpenSesame connector)."""
    port = os.environ.get("PORT", "8000")
    return f"http://127.0.0.1:{port}/api/academies/demo/connectors/opensesame/webhook"


def demo_delete() -> None:
    account = CustomerAccount.objects.filter(slug=DEMO_ACCOUNT).first()
    if account is not None:
        WebhookEvent.objects.filter(integration__account=account).delete()
        Launch.objects.filter(account=account).delete()
        Delivery.objects.filter(account=account).delete()
        Seat.objects.filter(license__account=account).delete()
        License.objects.filter(account=account).delete()
        AccessToken.objects.filter(client__account=account).delete()
        account.delete()
    get_user_model().objects.filter(username=DEMO_ADMIN).delete()
    courses = MarketCourse.objects.filter(publisher__slug__in=PUBLISHERS)
    for code in courses.values_list("code", flat=True):
        package_delete(prefix=f"{STORAGE_ROOT}/{code}/")
    MarketCourse.replacements.through.objects.filter(from_marketcourse__in=courses).delete()
    courses.delete()
    Publisher.objects.filter(slug__in=PUBLISHERS).delete()


@transaction.atomic
def demo_load() -> list[tuple[str, str, str]]:
    """Create (or re-create) the demo marketplace. Returns the logins to print: (role, name, secret)."""
    demo_delete()
    rng = random.Random(DEMO_SEED)
    publishers = {slug: services.publisher_create(slug=slug, name=name) for slug, name in PUBLISHERS.items()}
    by_category: dict[str, list[MarketCourse]] = {}
    number = 0
    for path, (publisher_slug, topics) in CATALOGUE.items():
        publisher = publishers[publisher_slug]
        for topic in topics:
            for form in FORMS:
                number += 1
                title = f"{topic} {form}"
                code = f"demo-{number:04d}"
                text = (f"{title}: a {rng.choice([15, 20, 30, 45, 60])}-minute course by {publisher.name} with "
                        "practical examples and a short quiz.")
                course = services.course_create(
                    publisher=publisher, title=title, code=code, description_text=text,
                    description_html=f"<p>{text}</p>", duration_seconds=rng.choice([900, 1200, 1800, 2700, 3600]),
                    languages=rng.choice(LANGUAGES), categories=[path],
                    image_url=f"https://picsum.photos/seed/{code}/640/360",
                    thumbnail_url=f"https://picsum.photos/seed/{code}/160/90",
                    package=aicc_course_zip(course_id=code, title=title, description=text, publisher=publisher.name),
                )
                by_category.setdefault(path, []).append(course)
    account = services.account_create(slug=DEMO_ACCOUNT, name="Demo Corp", ppu_enabled=True)
    admin = get_user_model().objects.create_user(username=DEMO_ADMIN, password=DEMO_PASSWORD,
                                                 first_name="Maya", last_name="Okafor")
    services.customer_admin_add(account=account, user=admin)
    listed: list[MarketCourse] = []
    for title, groups in LISTS.items():
        chosen = [(name, by_category[path][:count]) for name, (path, count) in groups.items()]
        services.list_create(account=account, title=title, groups=chosen,
                             description=f"A curated List of {sum(len(c) for _, c in chosen)} courses.")
        listed += [course for _, courses in chosen for course in courses]
    _integrations(account)
    _licenses(account, listed, rng)
    _delivered(account, rng)
    _lifecycle(by_category)
    return [
        ("Marketplace admin", DEMO_ADMIN, DEMO_PASSWORD),
        ("Marketplace API client", DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    ]


def _integrations(account: CustomerAccount) -> None:
    academy = services.integration_create(account=account, name="Demo Academy", kind=IntegrationKind.PUSH,
                                          webhook_url=demo_webhook_url(), webhook_secret=DEMO_WEBHOOK_SECRET,
                                          is_default=True)
    # A fixed CIID and client, so the demo academy's OpenSesame connector can be set up with known values.
    # Its learners' HACP endpoint is the demo academy's, on this server.
    port = os.environ.get("PORT", "8000")
    Integration.objects.filter(pk=academy.pk).update(ciid="demo-academy-ciid",
                                                     lms_hosts=f"127.0.0.1:{port}\nlocalhost:{port}")
    services.integration_create(account=account, name="Partner LMS (nightly sync)", kind=IntegrationKind.PULL)
    services.integration_create(account=account, name="Legacy LMS", kind=IntegrationKind.LEGACY)
    services.integration_create(account=account, name="SAP SuccessFactors OCN", kind=IntegrationKind.OCN)
    ApiClient.objects.create(account=account, client_id=DEMO_CLIENT_ID, secret_hash=digest(DEMO_CLIENT_SECRET))


def _licenses(account: CustomerAccount, listed: list[MarketCourse], rng: random.Random) -> None:
    """Some courses already licensed: volume (some with both PPU and volume, so delivery asks which),
    a subscription, one expired; the rest wait for Add to Library."""
    now = timezone.now()
    for index, course in enumerate(listed):
        if index % 7 == 0:
            services.license_grant(account=account, course=course, kind=LicenseKind.VOLUME,
                                   seats=rng.choice([5, 10, 25]), expires_at=now + timedelta(days=365))
            if index % 14 == 0:
                services.license_grant(account=account, course=course, kind=LicenseKind.PPU)
        elif index % 11 == 0:
            services.license_grant(account=account, course=course, kind=LicenseKind.SUBSCRIPTION,
                                   expires_at=now + timedelta(days=180))
        elif index == 5:
            services.license_grant(account=account, course=course, kind=LicenseKind.VOLUME, seats=5,
                                   expires_at=now - timedelta(days=3))


def _delivered(account: CustomerAccount, rng: random.Random) -> None:
    """A first delivery already made, so My Courses, the API and the Activity Report show something:
    the subscription courses to the demo academy, with a few launches by its learners."""
    from coursebridge.core.jobs import job_create
    from coursebridge.marketplace.delivery import JOB_DELIVER, delivery_run
    from coursebridge.marketplace.launch import launch_start, launch_target

    academy = Integration.objects.get(account=account, ciid="demo-academy-ciid")
    # No notice for this first delivery: the demo academy is not listening while the demo loads.
    Integration.objects.filter(pk=academy.pk).update(webhook_url="")
    subscriptions = License.objects.filter(account=account, kind=LicenseKind.SUBSCRIPTION)
    licenses = {str(lic.course_id): lic.pk for lic in subscriptions}
    job = job_create(kind=JOB_DELIVER, academy_id=None, created_by_id=None,
                     params={"account_id": account.pk, "licenses": licenses, "integration_ids": [academy.pk]})
    delivery_run(job_id=job.pk)
    Integration.objects.filter(pk=academy.pk).update(webhook_url=academy.webhook_url)
    now = timezone.now()
    for delivery in Delivery.objects.filter(integration=academy).select_related("course", "license"):
        target = launch_target(ciid=academy.ciid, course_code=delivery.course.code)
        for learner in rng.sample(["learner", "sales-admin", "admin", "lena", "omar"], 2):
            launched = launch_start(target=target, learner_key=learner)
            Launch.objects.filter(pk=launched.pk).update(launched_at=now - timedelta(days=rng.randint(0, 20)))


def _lifecycle(by_category: dict[str, list[MarketCourse]]) -> None:
    """A few courses along the lifecycle: retiring with a replacement, retired, archived."""
    leadership = by_category["|Business|Leadership"]
    services.course_retire_schedule(course=leadership[-1], retire_date=timezone.localdate() + timedelta(days=60),
                                    reason="Series redesign", replacements=[leadership[0]])
    services.course_retire(course=leadership[-2], reason="Outdated content")
    services.course_archive(course=leadership[-3], reason="Technical faults")
