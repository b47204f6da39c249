from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from coursebridge.accounts.models import Academy, Group, Role, User
from coursebridge.accounts.selectors import (
    can_administer,
    can_administer_group,
    can_author,
    is_training_admin,
)
from coursebridge.catalog.models import Category, Course, CourseKind, CourseStatus, Placement, PlacementKind
from coursebridge.catalog.selectors import catalogue_search
from coursebridge.content.models import Package
from coursebridge.core.errors import Conflict
from coursebridge.learning.models import Attempt, Enrollment
from coursebridge.learning.selectors import transcript
from coursebridge.learning.services import launch_course
from coursebridge.web import demo

pytestmark = pytest.mark.django_db

# Two package courses built in code, and the real test packages when they are on this machine.
PACKAGES = 2 + sum((demo.TESTDATA_PACKAGES / name).is_file() for name in demo.REAL_PACKAGES)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def snapshot() -> dict[str, object]:
    """What the demo holds, by value rather than by id."""
    academy = Academy.objects.get(slug=demo.DEMO_SLUG)
    enrollments = Enrollment.objects.filter(academy=academy).select_related("user", "course")
    return {
        "groups": sorted(Group.objects.filter(academy=academy).values_list("name", "depth")),
        "users": sorted(User.objects.filter(academy=academy).values_list("username", flat=True)),
        "courses": sorted(Course.objects.filter(academy=academy).values_list("title", "status", "status_reason")),
        "enrollments": sorted(
            (e.user.username, e.course.title, e.status, e.progress, e.score, e.time_spent_seconds)
            for e in enrollments
        ),
    }


def test_demo_loads_what_it_was_designed_to_hold():
    result = demo.demo_load()

    academy = result.academy
    assert (academy.slug, academy.name) == ("demo", "Demo Academy")
    groups = {g.name: g for g in Group.objects.filter(academy=academy)}
    assert sorted((g.name, g.depth) for g in groups.values()) == [
        ("Americas", 2), ("Data", 2), ("Demo Academy", 0), ("EMEA", 2), ("Engineering", 1), ("Platform", 2),
        ("Sales", 1), ("Support", 1),
    ]
    assert groups["EMEA"].parent == groups["Sales"]
    assert User.objects.filter(academy=academy).count() == 14
    assert Category.objects.filter(academy=academy, provider="").count() == 19
    assert Category.objects.filter(academy=academy, provider="opensesame").count() == 7
    courses = Course.objects.filter(academy=academy)
    assert Counter(courses.values_list("kind", flat=True)) == {
        CourseKind.WEB_LINK: 50, CourseKind.PROVIDER: 6, CourseKind.PACKAGE: PACKAGES,
    }
    assert Counter(courses.values_list("status", flat=True)) == {
        CourseStatus.ACTIVE: 51 + PACKAGES, CourseStatus.INACTIVE: 2, CourseStatus.ARCHIVED: 3,
    }
    assert Counter(Placement.objects.filter(academy=academy).values_list("kind", flat=True)) == {
        PlacementKind.CATALOGUE: 54 + PACKAGES, PlacementKind.LIBRARY: 56 + PACKAGES,
    }
    enrollments = Enrollment.objects.filter(academy=academy)
    assert Counter(enrollments.values_list("status", flat=True)) == {
        "in_progress": 22, "failed": 10, "completed": 8, "passed": 6, "not_started": 6,
    }
    assert Attempt.objects.filter(academy=academy).count() == 47
    assert result.logins == [*demo.DEMO_LOGINS, ("Marketplace admin", "market-admin", "demo-password"),
                             ("Marketplace API client", "demo-academy-client", "demo-academy-secret")]


def test_every_course_opens_a_public_https_page_and_provider_courses_are_read_only():
    academy = demo.demo_load().academy

    courses = Course.objects.filter(academy=academy).exclude(kind=CourseKind.PACKAGE)
    assert all(c.launch_url.startswith("https://") for c in courses)
    assert courses.filter(kind=CourseKind.WEB_LINK).values("launch_url").distinct().count() == 50
    provider = courses.get(title="Leading with Emotional Intelligence")
    assert provider.read_only_reason.startswith("Set by opensesame, which owns this course")
    assert sorted((c.name, c.is_provider_owned) for c in provider.categories.all()) == [
        ("Leadership", True), ("Management", False),
    ]
    assert sorted(provider.tags.values_list("name", flat=True)) == ["leadership", "managers"]
    archived = courses.get(title="Salesforce Trailhead")
    assert (archived.status, archived.status_reason, archived.status_before_archive) == (
        CourseStatus.ARCHIVED, "The CRM moved to another vendor.", CourseStatus.INACTIVE,
    )
    assert list(archived.status_changes.values_list("to_status", flat=True)) == ["archived", "inactive"]


def test_the_logins_work_and_hold_their_roles():
    academy = demo.demo_load().academy

    users = {}
    for _role, username, password in demo.DEMO_LOGINS:
        users[username] = authenticate(username=username, password=password)
        assert users[username] is not None, username
    groups = {g.name: g for g in Group.objects.filter(academy=academy)}
    assert (users["siteadmin"].is_superuser, users["siteadmin"].academy) == (True, None)
    assert is_training_admin(user=users["admin"], academy=academy)
    assert not is_training_admin(user=users["sales-admin"], academy=academy)
    assert can_administer_group(user=users["sales-admin"], group=groups["EMEA"])
    assert not can_administer_group(user=users["sales-admin"], group=groups["Engineering"])
    assert can_author(user=users["author"], academy=academy)
    assert not can_administer(user=users["author"], academy=academy)
    assert not can_author(user=users["learner"], academy=academy)
    assert list(users["learner"].memberships.values_list("group__name", "role")) == [("EMEA", Role.LEARNER)]


def test_the_learner_finds_courses_of_the_groups_above_only():
    academy = demo.demo_load().academy
    learner = User.objects.get(username="learner")

    python = catalogue_search(academy=academy, user=learner, query="python")
    everything = catalogue_search(academy=academy, user=learner, query="", limit=100)

    assert [c.title for c in python.courses] == [
        "Introduction to Computer Science and Programming in Python", "Python Tutorial for Beginners",
    ]
    assert everything.total == 41 + PACKAGES
    titles = {c.title for c in everything.courses}
    assert {"Inbound Sales", "What is GDPR?", "Consultative Selling"} <= titles
    elsewhere = {"Kubernetes Basics", "Salesforce Trailhead", "The Twelve-Factor App", "The Rust Programming Language"}
    assert not titles & elsewhere


def test_the_demo_has_package_courses_the_learner_can_launch(media):
    academy = demo.demo_load().academy
    learner = User.objects.get(username="learner")

    packages = Package.objects.filter(academy=academy, is_current=True).select_related("course")
    found = {p.course.title: (p.format, p.identifier, [u.launch for u in p.units.all()]) for p in packages}

    assert {title: found[title] for title in ("Fire Safety Basics (AICC)", "First Aid Essentials (SCORM 1.2)")} == {
        "Fire Safety Basics (AICC)": ("aicc", "DEMO-AICC-101", ["index.html"]),
        "First Aid Essentials (SCORM 1.2)": ("scorm12", "com.example.demo.scorm12.first-aid", ["index.html"]),
    }
    assert len(found) == PACKAGES
    visible = {c.title for c in catalogue_search(academy=academy, user=learner, query="", limit=100).courses}
    assert set(found) <= visible
    for package in packages:
        assert (media / package.storage_prefix / package.units.get().launch).is_file()
        launch = launch_course(user=learner, course=package.course)
        assert launch.url == reverse("web:player", args=[academy.slug, launch.attempt.pk])
    aicc_page = (media / packages.get(identifier="DEMO-AICC-101").storage_prefix / "index.html").read_text()
    assert all(command in aicc_page for command in ('hacp("GetParam"', 'hacp("PutParam"', 'hacp("ExitAU"'))
    scorm_page = (media / packages.get(format="scorm12", identifier__startswith="com.example").storage_prefix
                  / "index.html").read_text()
    assert all(call in scorm_page for call in ('"LMSInitialize"', '"cmi.core.lesson_status"', '"cmi.core.score.raw"',
                                               '"cmi.core.session_time"', '"LMSCommit"', '"LMSFinish"'))


def test_reset_removes_the_package_files_of_the_old_demo(media):
    old = demo.demo_load().academy
    assert (media / "packages" / str(old.pk)).is_dir()

    demo.demo_delete()

    assert not (media / "packages" / str(old.pk)).exists()


def test_the_learners_transcript_has_every_state_and_labels_retired_courses():
    academy = demo.demo_load().academy
    learner = User.objects.get(username="learner")

    rows = {
        e.course.title: (e.status, e.progress, e.score, e.time_spent_seconds, e.course.status_label, e.attempt_count)
        for e in transcript(academy=academy, user=learner)
    }

    assert rows == {
        "Python Tutorial for Beginners": ("completed", 100, None, 15000, "", 1),
        "Learning How to Learn": ("in_progress", 40, None, 21600, "", 1),
        "Inbound Sales": ("passed", 100, Decimal("88.00"), 8400, "", 1),
        "Successful Negotiation: Essential Strategies and Skills": ("failed", 100, Decimal("45.00"), 25200, "", 2),
        "What is GDPR?": ("passed", 100, Decimal("92.00"), 1500, "", 1),
        "Cyber Security: Top Tips for Staff": ("completed", 100, None, 1800, "", 1),
        "Machine Learning Crash Course": ("in_progress", 55, None, 30000, "Archived", 1),
        "The Twelve-Factor App": ("in_progress", 20, None, 600, "Inactive", 1),
        "Manifesto for Agile Software Development": ("completed", 100, None, 900, "Archived", 1),
        "Personal Finance": ("not_started", 0, None, 0, "", 0),
        "Leading with Emotional Intelligence": ("in_progress", 65, None, 1320, "", 1),
        "Workplace Safety Essentials": ("completed", 100, None, 1860, "Inactive", 1),
    }


def test_records_are_spread_over_past_weeks_not_made_at_one_instant():
    academy = demo.demo_load().academy

    started = Enrollment.objects.filter(academy=academy, first_activity_at__isnull=False)
    days = {e.first_activity_at.date() for e in started}
    assert len(days) > 10
    assert all(e.first_activity_at <= e.last_activity_at for e in started)
    assert all(e.enrolled_at <= e.first_activity_at for e in started)


def test_the_command_loads_once_then_leaves_the_demo_alone():
    first, second = StringIO(), StringIO()

    call_command("demo", stdout=first)
    before = snapshot()
    call_command("demo", stdout=second)

    assert "Loaded 'Demo Academy'" in first.getvalue()
    assert "  Learner          learner / demo-password" in first.getvalue()
    assert second.getvalue() == (
        "The demo academy 'demo' already exists: nothing changed. Use --reset to delete and load it again.\n"
    )
    assert snapshot() == before


def test_reset_loads_the_same_demo_again():
    call_command("demo", stdout=StringIO())
    before, old_id = snapshot(), Academy.objects.get(slug="demo").pk
    output = StringIO()

    call_command("demo", "--reset", stdout=output)

    assert output.getvalue().startswith("Deleted the demo academy 'demo' and its users.\nLoaded 'Demo Academy'")
    assert Academy.objects.get(slug="demo").pk != old_id
    assert snapshot() == before
    assert User.objects.filter(username="siteadmin").count() == 1


def test_the_demo_keeps_to_its_own_academy():
    other = Academy.objects.create(slug="other", name="Other")
    User.objects.create(username="someone", academy=other)

    demo.demo_load()
    demo.demo_delete()

    assert list(Academy.objects.values_list("slug", flat=True)) == ["other"]
    assert list(User.objects.values_list("username", flat=True)) == ["someone"]


def test_a_taken_username_stops_the_command_with_a_message_and_no_half_demo():
    User.objects.create(username="author")

    with pytest.raises(CommandError, match=r"The demo could not be loaded: The username 'author' is taken\."):
        call_command("demo", stdout=StringIO())

    assert not Academy.objects.filter(slug="demo").exists()


def test_loading_twice_through_the_function_is_refused():
    demo.demo_load()

    with pytest.raises(Conflict, match="already exists"):
        demo.demo_load()
