from datetime import timedelta

import pytest
from django.utils import timezone

from coursebridge.accounts.services import group_create
from coursebridge.catalog.models import CourseStatus
from coursebridge.catalog.services import course_archive, course_deactivate
from coursebridge.learning.models import Enrollment, LearningStatus
from coursebridge.learning.selectors import attempt_list, enrollment_list, transcript
from coursebridge.learning.services import attempt_record_progress, enrollment_create, launch_course
from tests.factories import AcademyFactory, CourseFactory, learner_in, root_group

pytestmark = pytest.mark.django_db


def setting():
    academy = AcademyFactory()
    sales = group_create(parent=root_group(academy), name="Sales")
    return academy, sales, learner_in(sales)


def at(enrollment: Enrollment, minutes_ago: int) -> None:
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    Enrollment.objects.filter(pk=enrollment.pk).update(last_activity_at=moment)


def test_transcript_lists_every_enrollment_with_the_course_status_label():
    academy, sales, learner = setting()
    active = CourseFactory(academy=academy, placed_in=sales, title="Active")
    inactive = CourseFactory(academy=academy, placed_in=sales, title="Inactive")
    archived = CourseFactory(academy=academy, placed_in=sales, title="Archived")
    for course in (active, inactive, archived):
        attempt_record_progress(attempt=launch_course(user=learner, course=course).attempt, progress=10)
    course_deactivate(course=inactive, reason="Retired")
    course_archive(course=archived, reason="Obsolete")

    rows = {e.course.title: e for e in transcript(academy=academy, user=learner)}

    assert set(rows) == {"Active", "Inactive", "Archived"}
    assert rows["Active"].course.status_label == ""
    assert rows["Inactive"].course.status_label == "Inactive"
    assert rows["Archived"].course.status_label == "Archived"
    assert rows["Archived"].course.status == CourseStatus.ARCHIVED
    assert {e.progress for e in rows.values()} == {10}


def test_transcript_counts_attempts():
    academy, sales, learner = setting()
    course = CourseFactory(academy=academy, placed_in=sales)
    attempt_record_progress(attempt=launch_course(user=learner, course=course).attempt,
                            status=LearningStatus.FAILED)
    launch_course(user=learner, course=course)

    assert [e.attempt_count for e in transcript(academy=academy, user=learner)] == [2]


def test_transcript_is_most_recent_activity_first_and_never_started_last():
    academy, sales, learner = setting()
    courses = {t: CourseFactory(academy=academy, placed_in=sales, title=t) for t in ["Old", "New", "Idle", "Mid"]}
    enrollments = {t: enrollment_create(user=learner, course=c) for t, c in courses.items()}
    at(enrollments["Old"], 300)
    at(enrollments["Mid"], 60)
    at(enrollments["New"], 5)

    assert [e.course.title for e in transcript(academy=academy, user=learner)] == ["New", "Mid", "Old", "Idle"]


def test_transcript_is_scoped_to_the_user_and_the_academy():
    academy, sales, learner = setting()
    colleague = learner_in(sales)
    course = CourseFactory(academy=academy, placed_in=sales)
    launch_course(user=learner, course=course)
    launch_course(user=colleague, course=course)

    assert [e.user_id for e in transcript(academy=academy, user=learner)] == [learner.pk]
    assert list(transcript(academy=AcademyFactory(), user=learner)) == []


def test_enrollment_list_filters_by_user_course_and_status():
    academy, sales, learner = setting()
    colleague = learner_in(sales)
    first = CourseFactory(academy=academy, placed_in=sales)
    second = CourseFactory(academy=academy, placed_in=sales)
    attempt_record_progress(attempt=launch_course(user=learner, course=first).attempt,
                            status=LearningStatus.COMPLETED)
    launch_course(user=learner, course=second)
    launch_course(user=colleague, course=first)
    other_academy, other_sales, stranger = setting()
    launch_course(user=stranger, course=CourseFactory(academy=other_academy, placed_in=other_sales))

    assert len(enrollment_list(academy=academy)) == 3
    assert {e.course_id for e in enrollment_list(academy=academy, user_id=learner.pk)} == {first.pk, second.pk}
    assert {e.user_id for e in enrollment_list(academy=academy, course_id=first.pk)} == {learner.pk, colleague.pk}
    assert [(e.user_id, e.course_id) for e in enrollment_list(academy=academy, status=LearningStatus.COMPLETED)] == [
        (learner.pk, first.pk)
    ]
    assert list(enrollment_list(academy=academy, user_id=stranger.pk)) == []


def test_attempt_list_is_newest_first_and_scoped():
    academy, sales, learner = setting()
    course = CourseFactory(academy=academy, placed_in=sales)
    first = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=first, status=LearningStatus.COMPLETED)
    second = launch_course(user=learner, course=course).attempt
    other_academy, other_sales, stranger = setting()
    launch_course(user=stranger, course=CourseFactory(academy=other_academy, placed_in=other_sales))

    assert [a.pk for a in attempt_list(academy=academy)] == [second.pk, first.pk]
    assert [a.pk for a in attempt_list(academy=academy, enrollment_id=first.enrollment_id)] == [second.pk, first.pk]
    assert [a.pk for a in attempt_list(academy=academy, user_id=stranger.pk)] == []
    assert len(attempt_list(academy=other_academy)) == 1
