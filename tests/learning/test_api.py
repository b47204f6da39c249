"""The API of enrollments, launches, attempts and transcripts."""

from __future__ import annotations

import pytest
from django.test import Client

from coursebridge.accounts.models import Role
from coursebridge.accounts.services import api_token_create
from coursebridge.catalog.services import course_archive, course_deactivate
from coursebridge.learning.models import Attempt, Enrollment
from coursebridge.learning.services import attempt_record_progress, enrollment_create, launch_course
from tests.factories import (
    AcademyFactory,
    CourseFactory,
    GroupFactory,
    UserFactory,
    learner_in,
    member,
    root_group,
    training_admin_of,
)

pytestmark = pytest.mark.django_db


def token_client(user) -> Client:
    _, clear = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {clear}"})


# --- Enrollments -----------------------------------------------------------------------------------


def test_an_admin_enrolls_a_learner():
    academy = AcademyFactory()
    learner = learner_in(root_group(academy), username="nina")
    course = CourseFactory(academy=academy, title="Listening")

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/enrollments",
        data={"user_id": learner.pk, "course_id": course.pk},
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["username"], body["course_title"], body["status"], body["entry_point"]) == (
        "nina",
        "Listening",
        "not_started",
        "catalogue",
    )
    assert Enrollment.objects.filter(user=learner, course=course).count() == 1


def test_enrolling_twice_returns_the_same_enrollment():
    academy = AcademyFactory()
    learner = learner_in(root_group(academy))
    course = CourseFactory(academy=academy)
    client = token_client(training_admin_of(academy))
    body = {"user_id": learner.pk, "course_id": course.pk}

    first = client.post(f"/api/academies/{academy.slug}/enrollments", data=body, content_type="application/json")
    second = client.post(f"/api/academies/{academy.slug}/enrollments", data=body, content_type="application/json")

    assert first.json()["id"] == second.json()["id"]


def test_an_archived_course_takes_no_new_learners():
    academy = AcademyFactory()
    learner = learner_in(root_group(academy))
    course = CourseFactory(academy=academy, title="Old")
    course_archive(course=course, reason="Outdated")

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/enrollments",
        data={"user_id": learner.pk, "course_id": course.pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "'Old' is archived and takes no new learners.",
        "field": "course_id",
    }


def test_a_learner_enrolls_themselves_in_a_catalogue_course_only():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    learner = learner_in(team)
    placed = CourseFactory(academy=academy, placed_in=team)
    unplaced = CourseFactory(academy=academy)
    client = token_client(learner)
    url = f"/api/academies/{academy.slug}/enrollments"

    mine = client.post(url, data={"course_id": placed.pk}, content_type="application/json")
    refused = client.post(url, data={"course_id": unplaced.pk}, content_type="application/json")

    assert mine.status_code == 201
    assert mine.json()["user_id"] == learner.pk
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "code": "invalid",
        "message": f"No course {unplaced.pk} in your catalogue.",
        "field": "course_id",
    }


def test_a_learner_does_not_enroll_someone_else():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    learner = learner_in(team)
    other = learner_in(team)
    course = CourseFactory(academy=academy, placed_in=team)

    response = token_client(learner).post(
        f"/api/academies/{academy.slug}/enrollments",
        data={"user_id": other.pk, "course_id": course.pk},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not Enrollment.objects.exists()


def test_a_group_admin_enrolls_only_users_they_manage():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    admin = UserFactory(academy=academy)
    member(admin, sales, Role.GROUP_ADMIN)
    outsider = learner_in(GroupFactory(academy=academy, name="Ops"))
    course = CourseFactory(academy=academy)

    response = token_client(admin).post(
        f"/api/academies/{academy.slug}/enrollments",
        data={"user_id": outsider.pk, "course_id": course.pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "user_id"
    assert not Enrollment.objects.exists()


def test_enrollments_are_filtered():
    academy = AcademyFactory()
    team = root_group(academy)
    nina, otto = learner_in(team, username="nina"), learner_in(team, username="otto")
    listening, writing = (
        CourseFactory(academy=academy, title="Listening"),
        CourseFactory(academy=academy, title="Writing"),
    )
    for user in (nina, otto):
        for course in (listening, writing):
            enrollment_create(user=user, course=course)
    attempt_record_progress(attempt=launch_course(user=nina, course=writing).attempt, status="completed")
    client = token_client(training_admin_of(academy))
    url = f"/api/academies/{academy.slug}/enrollments"

    def pairs(**params):
        return sorted((e["username"], e["course_title"]) for e in client.get(url, params).json()["items"])

    assert len(pairs()) == 4
    assert pairs(user_id=nina.pk) == [("nina", "Listening"), ("nina", "Writing")]
    assert pairs(course_id=writing.pk) == [("nina", "Writing"), ("otto", "Writing")]
    assert pairs(status="completed") == [("nina", "Writing")]


def test_a_learner_lists_only_their_own_enrollments():
    academy = AcademyFactory()
    team = root_group(academy)
    nina, otto = learner_in(team), learner_in(team)
    course = CourseFactory(academy=academy)
    enrollment_create(user=nina, course=course)
    enrollment_create(user=otto, course=course)
    client = token_client(nina)
    url = f"/api/academies/{academy.slug}/enrollments"

    own = client.get(url).json()
    others = client.get(url, {"user_id": otto.pk})

    assert [e["user_id"] for e in own["items"]] == [nina.pk]
    assert others.status_code == 403


def test_a_group_admin_lists_the_enrollments_of_their_users():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    admin = UserFactory(academy=academy)
    member(admin, sales, Role.GROUP_ADMIN)
    seller = learner_in(sales)
    outsider = learner_in(GroupFactory(academy=academy, name="Ops"))
    course = CourseFactory(academy=academy)
    enrollment_create(user=seller, course=course)
    enrollment_create(user=outsider, course=course)

    body = token_client(admin).get(f"/api/academies/{academy.slug}/enrollments").json()

    assert [e["user_id"] for e in body["items"]] == [seller.pk]


# --- Launch ----------------------------------------------------------------------------------------


def test_a_launch_returns_the_address_and_the_attempt():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    learner = learner_in(team)
    course = CourseFactory(academy=academy, placed_in=team, launch_url="https://learn.example.org/listening")

    response = token_client(learner).post(f"/api/academies/{academy.slug}/courses/{course.pk}/launch")

    assert response.status_code == 200
    attempt = Attempt.objects.get()
    assert response.json() == {"url": "https://learn.example.org/listening", "attempt_id": attempt.pk}
    assert (attempt.enrollment.user_id, attempt.enrollment.course_id, attempt.status) == (
        learner.pk,
        course.pk,
        "in_progress",
    )


def test_an_archived_course_is_not_launched_and_the_learner_is_told_why():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    learner = learner_in(team)
    course = CourseFactory(academy=academy, placed_in=team, title="Old ways")
    course_archive(course=course, reason="Outdated")

    response = token_client(learner).post(f"/api/academies/{academy.slug}/courses/{course.pk}/launch")

    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "launch_refused", "message": "'Old ways' is archived and cannot be launched.", "field": None}
    }
    assert not Attempt.objects.exists()


def test_an_inactive_course_is_not_launched_by_a_newcomer():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    course = CourseFactory(academy=academy, placed_in=team, title="Retiring")
    course_deactivate(course=course, reason="withdrawn by the provider")

    response = token_client(learner_in(team)).post(f"/api/academies/{academy.slug}/courses/{course.pk}/launch")

    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "'Retiring' is no longer offered (withdrawn by the provider). Only learners who had already started it "
        "can open it."
    )


def test_a_course_outside_the_catalogue_is_not_launched():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy, title="Elsewhere")

    response = token_client(learner_in(root_group(academy))).post(
        f"/api/academies/{academy.slug}/courses/{course.pk}/launch"
    )

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "'Elsewhere' is not in your catalogue."


def test_launching_a_course_of_another_academy_is_not_found():
    academy = AcademyFactory()
    foreign = CourseFactory(academy=AcademyFactory())

    response = token_client(learner_in(root_group(academy))).post(
        f"/api/academies/{academy.slug}/courses/{foreign.pk}/launch"
    )

    assert response.status_code == 404
    assert not Attempt.objects.exists()


# --- Attempts --------------------------------------------------------------------------------------


def test_attempts_are_listed_and_read():
    academy = AcademyFactory()
    team = root_group(academy)
    nina, otto = learner_in(team), learner_in(team)
    course = CourseFactory(academy=academy, placed_in=team)
    first = launch_course(user=nina, course=course).attempt
    attempt_record_progress(attempt=first, status="completed")
    second = launch_course(user=nina, course=course).attempt
    launch_course(user=otto, course=course)
    client = token_client(training_admin_of(academy))
    url = f"/api/academies/{academy.slug}/attempts"

    by_user = client.get(url, {"user_id": nina.pk}).json()
    by_enrollment = client.get(url, {"enrollment_id": first.enrollment_id}).json()
    one = client.get(f"{url}/{first.pk}").json()

    assert sorted(a["number"] for a in by_user["items"]) == [1, 2]
    assert by_enrollment["count"] == 2
    assert (one["id"], one["status"], one["progress"], one["user_id"], one["course_id"]) == (
        first.pk,
        "completed",
        100,
        nina.pk,
        course.pk,
    )
    assert second.number == 2


def test_a_learner_sees_only_their_own_attempts():
    academy = AcademyFactory()
    team = root_group(academy)
    nina, otto = learner_in(team), learner_in(team)
    course = CourseFactory(academy=academy, placed_in=team)
    mine = launch_course(user=nina, course=course).attempt
    theirs = launch_course(user=otto, course=course).attempt
    client = token_client(nina)
    url = f"/api/academies/{academy.slug}/attempts"

    assert [a["id"] for a in client.get(url).json()["items"]] == [mine.pk]
    assert client.get(f"{url}/{theirs.pk}").status_code == 404
    assert client.get(url, {"user_id": otto.pk}).status_code == 403


# --- Transcripts -----------------------------------------------------------------------------------


def test_my_transcript_labels_inactive_and_archived_courses():
    academy = AcademyFactory()
    team = root_group(academy)
    learner = learner_in(team)
    active = CourseFactory(academy=academy, title="Current", placed_in=team)
    retired = CourseFactory(academy=academy, title="Retired", placed_in=team)
    old = CourseFactory(academy=academy, title="Old", placed_in=team)
    for course in (active, retired, old):
        launch_course(user=learner, course=course)
    course_deactivate(course=retired, reason="Withdrawn")
    course_archive(course=old, reason="Outdated")

    body = token_client(learner).get(f"/api/academies/{academy.slug}/me/transcript").json()

    rows = sorted((r["course_title"], r["course_status"], r["status_label"], r["attempt_count"]) for r in body["items"])
    assert rows == [
        ("Current", "active", "", 1),
        ("Old", "archived", "Archived", 1),
        ("Retired", "inactive", "Inactive", 1),
    ]
    assert body["count"] == 3


def test_an_admin_reads_a_learners_transcript():
    academy = AcademyFactory()
    team = root_group(academy)
    learner = learner_in(team)
    course = CourseFactory(academy=academy, title="Listening", placed_in=team)
    attempt_record_progress(attempt=launch_course(user=learner, course=course).attempt, status="passed", score=88.5)

    body = (
        token_client(training_admin_of(academy))
        .get(f"/api/academies/{academy.slug}/users/{learner.pk}/transcript")
        .json()
    )

    assert [(r["course_title"], r["status"], r["score"], r["progress"]) for r in body["items"]] == [
        ("Listening", "passed", 88.5, 100)
    ]


def test_a_learner_reads_their_own_transcript_but_not_anothers():
    academy = AcademyFactory()
    team = root_group(academy)
    nina, otto = learner_in(team), learner_in(team)
    client = token_client(nina)

    assert client.get(f"/api/academies/{academy.slug}/users/{nina.pk}/transcript").status_code == 200
    assert client.get(f"/api/academies/{academy.slug}/users/{otto.pk}/transcript").status_code == 404
