from decimal import Decimal

import pytest
from django.utils import timezone

from coursebridge.accounts.services import group_create
from coursebridge.catalog.models import CourseKind, Visibility
from coursebridge.catalog.services import course_archive, course_deactivate, course_reactivate, course_update
from coursebridge.core.errors import DomainError, LaunchRefused, NotFound
from coursebridge.learning.models import Attempt, Enrollment, EntryPoint, LearningStatus
from coursebridge.learning.services import LAUNCHERS, attempt_record_progress, enrollment_create, launch_course
from tests.factories import AcademyFactory, CourseFactory, UserFactory, learner_in, root_group

pytestmark = pytest.mark.django_db


def setting(**course_kwargs):
    """A learner in Sales with a course in Sales' catalogue."""
    academy = AcademyFactory()
    sales = group_create(parent=root_group(academy), name="Sales")
    learner = learner_in(sales)
    course = CourseFactory(academy=academy, placed_in=sales, title="Negotiation",
                           launch_url="https://learn.example.org/negotiation", **course_kwargs)
    return learner, course


def enrollment_of(learner, course) -> Enrollment:
    return Enrollment.objects.get(user=learner, course=course)


# launch_course


def test_first_start_enrolls_and_records_attempt_one_in_progress():
    learner, course = setting()
    before = timezone.now()

    launch = launch_course(user=learner, course=course)

    assert launch.url == "https://learn.example.org/negotiation"
    enrollment = enrollment_of(learner, course)
    assert (enrollment.academy_id, enrollment.entry_point, enrollment.entry_key) == (
        course.academy_id, EntryPoint.CATALOGUE, "catalogue",
    )
    assert enrollment.status == LearningStatus.IN_PROGRESS
    assert before <= enrollment.first_activity_at == enrollment.last_activity_at <= timezone.now()
    attempt = Attempt.objects.get(enrollment=enrollment)
    assert launch.attempt == attempt
    assert (attempt.number, attempt.status, attempt.progress, attempt.academy_id) == (
        1, LearningStatus.IN_PROGRESS, 0, course.academy_id,
    )
    assert attempt.first_activity_at == attempt.last_activity_at == attempt.started_at
    assert attempt.first_activity_at is not None


def test_second_start_resumes_the_unfinished_attempt():
    learner, course = setting()
    first = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=first, progress=40)

    second = launch_course(user=learner, course=course).attempt

    assert second.pk == first.pk
    stored = Attempt.objects.get(pk=first.pk)
    assert (stored.number, stored.progress, stored.status) == (1, 40, LearningStatus.IN_PROGRESS)
    assert stored.first_activity_at == first.first_activity_at
    assert stored.last_activity_at > first.first_activity_at
    assert Attempt.objects.filter(enrollment__user=learner).count() == 1
    assert Enrollment.objects.filter(user=learner).count() == 1


def test_start_after_completion_opens_attempt_two_and_keeps_the_completion():
    learner, course = setting()
    first = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=first, status=LearningStatus.COMPLETED)
    completed_at = enrollment_of(learner, course).completed_at

    second = launch_course(user=learner, course=course).attempt

    assert (second.number, second.status, second.progress) == (2, LearningStatus.IN_PROGRESS, 0)
    enrollment = enrollment_of(learner, course)
    assert (enrollment.status, enrollment.progress, enrollment.completed_at) == (
        LearningStatus.COMPLETED, 100, completed_at,
    )
    assert list(enrollment.attempts.values_list("number", flat=True)) == [1, 2]


def test_start_after_failing_opens_a_new_attempt():
    learner, course = setting()
    first = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=first, status=LearningStatus.FAILED, progress=70)

    assert launch_course(user=learner, course=course).attempt.number == 2


def test_archived_course_refuses_a_new_learner():
    learner, course = setting()
    course_archive(course=course, reason="Obsolete")

    with pytest.raises(LaunchRefused) as exc:
        launch_course(user=learner, course=course)

    assert exc.value.message == "'Negotiation' is archived and cannot be launched."
    assert exc.value.code == "launch_refused"
    assert Enrollment.objects.count() == 0


def test_archived_course_refuses_a_learner_mid_course_saying_progress_is_kept():
    learner, course = setting()
    attempt = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=attempt, progress=30)
    course_archive(course=course, reason="Obsolete")

    with pytest.raises(LaunchRefused) as exc:
        launch_course(user=learner, course=course)

    assert exc.value.message == (
        "'Negotiation' is archived. Your progress is kept, and you can finish the course once it is reactivated."
    )
    assert Attempt.objects.get(pk=attempt.pk).progress == 30
    course_reactivate(course=course, reason="Back")
    assert launch_course(user=learner, course=course).attempt.pk == attempt.pk


def test_archived_course_refuses_a_learner_who_finished_it():
    learner, course = setting()
    attempt_record_progress(attempt=launch_course(user=learner, course=course).attempt,
                            status=LearningStatus.PASSED)
    course_archive(course=course, reason="Obsolete")

    with pytest.raises(LaunchRefused) as exc:
        launch_course(user=learner, course=course)

    assert exc.value.message == "'Negotiation' is archived and cannot be launched."


def test_inactive_course_refuses_new_learners_but_not_those_who_started():
    learner, course = setting()
    started = launch_course(user=learner, course=course).attempt
    newcomer = learner_in(course.placements.first().group)
    course_deactivate(course=course, reason="Retired by provider")

    with pytest.raises(LaunchRefused) as exc:
        launch_course(user=newcomer, course=course)
    again = launch_course(user=learner, course=course)

    assert exc.value.message == (
        "'Negotiation' is no longer offered (Retired by provider). "
        "Only learners who had already started it can open it."
    )
    assert again.attempt.pk == started.pk
    assert again.url == "https://learn.example.org/negotiation"
    assert not Enrollment.objects.filter(user=newcomer).exists()


def test_inactive_course_refuses_a_learner_enrolled_who_never_started():
    learner, course = setting()
    enrollment_create(user=learner, course=course)
    course_deactivate(course=course, reason="Retired")

    with pytest.raises(LaunchRefused):
        launch_course(user=learner, course=course)

    assert Attempt.objects.count() == 0


def test_a_course_outside_the_learners_catalogue_is_refused():
    learner, _ = setting()
    academy = learner.academy
    elsewhere = group_create(parent=root_group(academy), name="Engineering")
    course = CourseFactory(academy=academy, placed_in=elsewhere, title="Kubernetes")
    unplaced = CourseFactory(academy=academy, title="Unplaced")

    for target in (course, unplaced):
        with pytest.raises(LaunchRefused) as exc:
            launch_course(user=learner, course=target)
        assert exc.value.message == f"'{target.title}' is not in your catalogue."
    assert Enrollment.objects.count() == 0


def test_a_hidden_course_is_refused_from_the_catalogue_but_open_to_an_enrolled_learner():
    learner, course = setting()
    course_update(course=course, changes={"visibility": Visibility.HIDDEN})
    other = learner_in(course.placements.first().group)

    with pytest.raises(LaunchRefused):
        launch_course(user=other, course=course)
    enrollment_create(user=learner, course=course)

    assert launch_course(user=learner, course=course).attempt.number == 1


def test_a_course_of_another_academy_is_not_found():
    learner, _ = setting()
    foreign = CourseFactory(placed_in=None)

    with pytest.raises(NotFound) as exc:
        launch_course(user=learner, course=foreign)

    assert exc.value.status == 404
    assert Enrollment.objects.count() == 0


def test_a_course_kind_without_a_launcher_is_refused_clearly_and_enrolls_nobody(monkeypatch):
    learner, course = setting(kind=CourseKind.PACKAGE)
    monkeypatch.delitem(LAUNCHERS, CourseKind.PACKAGE)

    with pytest.raises(LaunchRefused) as exc:
        launch_course(user=learner, course=course)

    assert exc.value.message == "Courses of the kind 'Package' cannot be launched here."
    assert Enrollment.objects.count() == 0
    assert Attempt.objects.count() == 0


def test_a_package_course_without_a_package_is_refused_and_enrolls_nobody():
    learner, course = setting(kind=CourseKind.PACKAGE)

    with pytest.raises(LaunchRefused) as exc:
        launch_course(user=learner, course=course)

    assert exc.value.message == f"'{course.title}' has no package to play yet. Ask an administrator to import one."
    assert Enrollment.objects.count() == 0
    assert Attempt.objects.count() == 0


def test_a_course_without_an_address_is_refused():
    # A provider course can arrive without a launch URL; the launcher says so.
    learner, course = setting()
    type(course).objects.filter(pk=course.pk).update(launch_url="")
    course.refresh_from_db()

    with pytest.raises(LaunchRefused) as exc:
        launch_course(user=learner, course=course)

    assert exc.value.message == "'Negotiation' has no address to open. Ask an administrator to set one."
    assert Enrollment.objects.count() == 0


# enrollment_create


def test_enrollment_create_is_idempotent_per_entry_point():
    learner, course = setting()

    first = enrollment_create(user=learner, course=course)
    again = enrollment_create(user=learner, course=course)
    session = enrollment_create(user=learner, course=course, entry_point=EntryPoint.SESSION, session_id=7)

    assert first.pk == again.pk
    assert session.pk != first.pk
    assert session.entry_key == "session:7"
    assert first.status == LearningStatus.NOT_STARTED


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"entry_point": "email"}, "entry_point"), ({"entry_point": EntryPoint.SESSION}, "session_id")],
)
def test_enrollment_create_refuses_bad_entry_points(kwargs, field):
    learner, course = setting()

    with pytest.raises(DomainError) as exc:
        enrollment_create(user=learner, course=course, **kwargs)

    assert exc.value.field == field


def test_enrollment_create_refuses_other_academies_and_closed_courses():
    learner, course = setting()
    stranger = UserFactory()

    with pytest.raises(DomainError) as foreign:
        enrollment_create(user=stranger, course=course)
    course_deactivate(course=course, reason="Retired")
    with pytest.raises(DomainError) as closed:
        enrollment_create(user=learner, course=course)

    assert foreign.value.field == "user_id"
    assert closed.value.message == "'Negotiation' is inactive and takes no new learners."
    assert Enrollment.objects.count() == 0


# attempt_record_progress


def started(**course_kwargs) -> Attempt:
    learner, course = setting(**course_kwargs)
    return launch_course(user=learner, course=course).attempt


def test_progress_never_decreases():
    attempt = started()

    attempt_record_progress(attempt=attempt, progress=60)
    attempt_record_progress(attempt=attempt, progress=20)

    assert Attempt.objects.get(pk=attempt.pk).progress == 60
    assert Enrollment.objects.get(pk=attempt.enrollment_id).progress == 60


def test_completion_sets_progress_to_100_and_the_date_once():
    attempt = started()

    attempt_record_progress(attempt=attempt, status=LearningStatus.COMPLETED, progress=80)
    completed_at = Attempt.objects.get(pk=attempt.pk).completed_at
    attempt_record_progress(attempt=attempt, status=LearningStatus.PASSED, score=88.5)

    stored = Attempt.objects.get(pk=attempt.pk)
    assert completed_at is not None
    assert (stored.status, stored.progress, stored.completed_at, stored.score) == (
        LearningStatus.PASSED, 100, completed_at, Decimal("88.50"),
    )
    enrollment = Enrollment.objects.get(pk=attempt.enrollment_id)
    assert (enrollment.status, enrollment.completed_at, enrollment.score) == (
        LearningStatus.PASSED, completed_at, Decimal("88.50"),
    )


def test_a_finished_attempt_does_not_go_back_to_in_progress():
    attempt = started()
    attempt_record_progress(attempt=attempt, status=LearningStatus.COMPLETED)

    attempt_record_progress(attempt=attempt, status=LearningStatus.IN_PROGRESS, progress=10)

    stored = Attempt.objects.get(pk=attempt.pk)
    assert (stored.status, stored.progress) == (LearningStatus.COMPLETED, 100)
    enrollment = Enrollment.objects.get(pk=attempt.enrollment_id)
    assert (enrollment.status, enrollment.progress) == (LearningStatus.COMPLETED, 100)
    assert enrollment.completed_at == stored.completed_at


def test_a_failed_attempt_keeps_its_progress_and_is_not_a_completion():
    attempt = started()

    attempt_record_progress(attempt=attempt, status=LearningStatus.FAILED, progress=70, score=30)

    stored = Attempt.objects.get(pk=attempt.pk)
    assert (stored.status, stored.progress) == (LearningStatus.FAILED, 70)
    assert stored.completed_at is not None
    enrollment = Enrollment.objects.get(pk=attempt.enrollment_id)
    assert (enrollment.status, enrollment.progress, enrollment.completed_at) == (LearningStatus.FAILED, 70, None)


def test_the_enrollment_rolls_up_the_best_status_max_progress_and_total_time():
    learner, course = setting()
    first = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=first, status=LearningStatus.FAILED, progress=90, score=40,
                            time_spent_seconds=600)
    second = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=second, progress=30, time_spent_seconds=120)

    enrollment = enrollment_of(learner, course)
    assert (enrollment.status, enrollment.progress, enrollment.time_spent_seconds, enrollment.score) == (
        LearningStatus.FAILED, 90, 720, Decimal("40.00"),
    )
    assert enrollment.completed_at is None

    attempt_record_progress(attempt=second, status=LearningStatus.PASSED, score=75, time_spent_seconds=300)

    enrollment = enrollment_of(learner, course)
    assert (enrollment.status, enrollment.progress, enrollment.time_spent_seconds, enrollment.score) == (
        LearningStatus.PASSED, 100, 900, Decimal("75.00"),
    )
    assert enrollment.completed_at == Attempt.objects.get(pk=second.pk).completed_at
    assert enrollment.first_activity_at == Attempt.objects.get(pk=first.pk).first_activity_at
    assert enrollment.last_activity_at == Attempt.objects.get(pk=second.pk).last_activity_at


def test_time_spent_is_the_latest_reported_total_of_the_attempt():
    attempt = started()

    attempt_record_progress(attempt=attempt, time_spent_seconds=100)
    attempt_record_progress(attempt=attempt, time_spent_seconds=250)

    assert Attempt.objects.get(pk=attempt.pk).time_spent_seconds == 250
    assert Enrollment.objects.get(pk=attempt.enrollment_id).time_spent_seconds == 250


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"progress": -1}, "progress"),
        ({"progress": 101}, "progress"),
        ({"status": "done"}, "status"),
        ({"time_spent_seconds": -5}, "time_spent_seconds"),
        ({"time_spent_seconds": 2**31}, "time_spent_seconds"),
        ({"score": 10000}, "score"),
        ({"score": -10000}, "score"),
        ({"score": 9999.999}, "score"),
        ({"score": float("nan")}, "score"),
        ({"score": float("inf")}, "score"),
    ],
)
def test_attempt_record_progress_refuses_invalid_reports_and_changes_nothing(kwargs, field):
    attempt = started()
    attempt_record_progress(attempt=attempt, progress=20, time_spent_seconds=30)

    with pytest.raises(DomainError) as exc:
        attempt_record_progress(attempt=attempt, **{"progress": 50, **kwargs})

    assert exc.value.field == field
    stored = Attempt.objects.get(pk=attempt.pk)
    assert (stored.progress, stored.status, stored.time_spent_seconds, stored.score) == (
        20, LearningStatus.IN_PROGRESS, 30, None,
    )


def test_a_failed_attempt_passed_later_counts_as_complete():
    attempt = started()
    attempt_record_progress(attempt=attempt, status=LearningStatus.FAILED, progress=70)

    attempt_record_progress(attempt=attempt, status=LearningStatus.PASSED)

    stored = Attempt.objects.get(pk=attempt.pk)
    assert (stored.status, stored.progress) == (LearningStatus.PASSED, 100)
    enrollment = Enrollment.objects.get(pk=attempt.enrollment_id)
    assert (enrollment.status, enrollment.progress, enrollment.completed_at) == (
        LearningStatus.PASSED, 100, stored.completed_at,
    )


@pytest.mark.parametrize("score", [0, 9999.99, -9999.99, 72.5])
def test_scores_that_fit_are_kept(score):
    attempt = started()

    attempt_record_progress(attempt=attempt, score=score)

    assert Attempt.objects.get(pk=attempt.pk).score == Decimal(str(score)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("progress", [0, 100])
def test_progress_bounds_are_accepted(progress):
    attempt = started()

    attempt_record_progress(attempt=attempt, progress=progress)

    assert Attempt.objects.get(pk=attempt.pk).progress == progress
