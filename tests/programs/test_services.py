"""Program sessions: steps open, lock, complete and become unavailable as the rules say."""

import re
from datetime import date

import pytest

from coursebridge.catalog.models import CourseKind
from coursebridge.catalog.services import course_archive, course_deactivate, course_reactivate
from coursebridge.core.errors import Conflict, DomainError, LaunchRefused
from coursebridge.learning.models import Enrollment, EntryPoint, LearningStatus
from coursebridge.learning.services import attempt_record_progress, launch_course
from coursebridge.programs.models import ProgramStep, StepOrder
from coursebridge.programs.selectors import session_view, sessions_of_learner
from coursebridge.programs.services import (
    program_step_add,
    program_step_move,
    program_step_remove,
    session_create,
    session_participant_add,
    session_step_start,
)
from tests.factories import AcademyFactory, CourseFactory, GroupFactory, ProviderCourseFactory, learner_in
from tests.programs.factories import complete_in_session, open_session, program_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def path():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy, name="Sales")
    east = GroupFactory(academy=academy, parent=team, name="East")
    learner = learner_in(east, username="lena")
    courses = [
        CourseFactory(academy=academy, title="Welcome", placed_in=team),
        ProviderCourseFactory(academy=academy, title="Learn Python", provider="openclassrooms"),
        CourseFactory(academy=academy, title="Wrap-up"),
    ]
    program = program_with(courses)
    session = open_session(program)
    session_participant_add(session=session, group=team)
    return {"academy": academy, "learner": learner, "courses": courses, "program": program, "session": session,
            "team": team}


def states(view):
    return [(s.course.title, s.state, s.reason) for s in view.steps]


def test_a_linear_session_opens_its_first_step_only(path):
    view = session_view(session=path["session"], user=path["learner"])

    assert states(view) == [
        ("Welcome", "open", ""),
        ("Learn Python", "locked", "Complete 'Welcome' first."),
        ("Wrap-up", "locked", "Complete 'Welcome' first."),
    ]
    assert (view.done, view.counted, view.percent, view.completed) == (0, 3, 0, False)


def test_a_member_of_a_subgroup_of_a_participant_group_takes_part(path):
    assert list(sessions_of_learner(academy=path["academy"], user=path["learner"])) == [path["session"]]
    outsider = learner_in(GroupFactory(academy=path["academy"], name="Support"))
    assert list(sessions_of_learner(academy=path["academy"], user=outsider)) == []


def test_start_from_a_step_records_a_session_enrollment_and_completion_opens_the_next_step(path):
    welcome = path["courses"][0]
    launch = session_step_start(session=path["session"], step=ProgramStep.objects.get(course=welcome),
                                user=path["learner"])

    enrollment = Enrollment.objects.get(pk=launch.attempt.enrollment_id)
    assert (enrollment.entry_point, enrollment.entry_key) == (EntryPoint.SESSION, f"session:{path['session'].pk}")
    assert launch.url == welcome.launch_url
    assert states(session_view(session=path["session"], user=path["learner"]))[0] == ("Welcome", "in_progress", "")

    attempt_record_progress(attempt=launch.attempt, status=LearningStatus.COMPLETED)
    view = session_view(session=path["session"], user=path["learner"])

    assert states(view) == [
        ("Welcome", "completed", ""),
        ("Learn Python", "open", ""),
        ("Wrap-up", "locked", "Complete 'Learn Python' first."),
    ]
    assert (view.done, view.counted, view.percent) == (1, 3, 33)


def test_a_provider_course_whose_statistics_reach_100_completes_its_step(path):
    """As the statistics import does: progress 100 on the session's enrollment completes the step."""
    welcome, python, wrap_up = path["courses"]
    complete_in_session(path["learner"], welcome, path["session"])
    attempt = session_step_start(session=path["session"], step=ProgramStep.objects.get(course=python),
                                 user=path["learner"]).attempt
    attempt_record_progress(attempt=attempt, progress=40)
    assert states(session_view(session=path["session"], user=path["learner"]))[1][1] == "in_progress"

    attempt_record_progress(attempt=attempt, progress=100, status=LearningStatus.COMPLETED)
    complete_in_session(path["learner"], wrap_up, path["session"])
    view = session_view(session=path["session"], user=path["learner"])

    assert [s.state for s in view.steps] == ["completed", "completed", "completed"]
    assert (view.done, view.counted, view.percent, view.completed) == (3, 3, 100, True)


def test_a_completion_earned_in_the_catalogue_does_not_complete_the_step(path):
    welcome = path["courses"][0]
    attempt = launch_course(user=path["learner"], course=welcome).attempt
    attempt_record_progress(attempt=attempt, status=LearningStatus.COMPLETED)

    assert states(session_view(session=path["session"], user=path["learner"]))[0] == ("Welcome", "open", "")


def test_a_locked_step_cannot_be_started(path):
    with pytest.raises(LaunchRefused, match=re.escape("Complete 'Welcome' first.")):
        session_step_start(session=path["session"], step=ProgramStep.objects.get(course=path["courses"][1]),
                           user=path["learner"])
    assert not Enrollment.objects.filter(user=path["learner"]).exists()


def test_in_a_free_program_every_step_is_open(path):
    program = program_with(path["courses"], title="Electives", order=StepOrder.FREE)
    session = open_session(program)
    session_participant_add(session=session, user=path["learner"])

    assert [s.state for s in session_view(session=session, user=path["learner"]).steps] == ["open"] * 3
    session_step_start(session=session, step=program.steps.get(position=3), user=path["learner"])


def test_an_archived_course_makes_its_step_unavailable_and_progress_is_recalculated(path):
    welcome, python, _ = path["courses"]
    complete_in_session(path["learner"], welcome, path["session"])
    course_archive(course=python, reason="Retired by the provider")

    view = session_view(session=path["session"], user=path["learner"])

    assert states(view) == [
        ("Welcome", "completed", ""),
        ("Learn Python", "unavailable", "This course is archived and cannot be launched."),
        ("Wrap-up", "open", ""),
    ]
    assert (view.done, view.counted, view.percent) == (1, 2, 50)
    with pytest.raises(LaunchRefused, match=re.escape("archived")):
        session_step_start(session=path["session"], step=ProgramStep.objects.get(course=python),
                           user=path["learner"])

    course_reactivate(course=python, reason="Back")
    view = session_view(session=path["session"], user=path["learner"])
    assert [s.state for s in view.steps] == ["completed", "open", "locked"]
    assert (view.done, view.counted) == (1, 3)


def test_a_completed_step_stays_completed_when_its_course_is_archived(path):
    welcome = path["courses"][0]
    complete_in_session(path["learner"], welcome, path["session"])
    course_archive(course=welcome, reason="Old")

    view = session_view(session=path["session"], user=path["learner"])

    assert states(view)[0] == ("Welcome", "completed", "")
    assert (view.done, view.counted) == (1, 3)


def test_an_inactive_course_stays_open_to_a_learner_who_started_it(path):
    welcome = path["courses"][0]
    session_step_start(session=path["session"], step=ProgramStep.objects.get(course=welcome), user=path["learner"])
    other = learner_in(path["team"], username="omar")
    course_deactivate(course=welcome, reason="Replaced")

    assert states(session_view(session=path["session"], user=path["learner"]))[0][1] == "in_progress"
    newcomer = states(session_view(session=path["session"], user=other))
    assert newcomer[0] == ("Welcome", "unavailable",
                           "This course is no longer offered (Replaced). Only learners who had already started it "
                           "can open it.")
    assert newcomer[1] == ("Learn Python", "open", "")


def test_the_end_date_closes_the_session_and_completions_stay(path):
    complete_in_session(path["learner"], path["courses"][0], path["session"])
    after = date(2100, 1, 1)

    view = session_view(session=path["session"], user=path["learner"], on=after)

    assert view.state == "closed"
    assert states(view) == [
        ("Welcome", "completed", ""),
        ("Learn Python", "closed", "The session closed on 2099-12-31."),
        ("Wrap-up", "closed", "The session closed on 2099-12-31."),
    ]
    assert view.percent == 33
    with pytest.raises(LaunchRefused, match=re.escape("'Spring cohort' closed on 2099-12-31")):
        session_step_start(session=path["session"], step=ProgramStep.objects.get(course=path["courses"][1]),
                           user=path["learner"], on=after)


def test_before_the_start_date_nothing_opens(path):
    session = session_create(program=path["program"], name="Autumn", starts_on=date(2099, 9, 1),
                             ends_on=date(2099, 12, 1))
    session_participant_add(session=session, user=path["learner"])

    view = session_view(session=session, user=path["learner"], on=date(2099, 8, 31))

    assert [s.state for s in view.steps] == ["not_yet_open"] * 3
    with pytest.raises(LaunchRefused, match=re.escape("'Autumn' opens on 2099-09-01.")):
        session_step_start(session=session, step=path["program"].steps.first(), user=path["learner"],
                           on=date(2099, 8, 31))


def test_someone_outside_the_session_cannot_start_its_steps(path):
    outsider = learner_in(GroupFactory(academy=path["academy"], name="Support"))
    with pytest.raises(LaunchRefused, match=re.escape("You are not a participant of 'Spring cohort'.")):
        session_step_start(session=path["session"], step=path["program"].steps.first(), user=outsider)


def test_an_empty_program_is_never_completed(path):
    empty = program_with([path["courses"][0]], title="Empty")
    ProgramStep.objects.filter(program=empty).delete()
    session = open_session(empty)
    session_participant_add(session=session, user=path["learner"])

    view = session_view(session=session, user=path["learner"])

    assert (view.done, view.counted, view.percent, view.completed) == (0, 0, 0, False)


def test_steps_refuse_inactive_courses_duplicates_and_other_academies(path):
    program = path["program"]
    inactive = CourseFactory(academy=path["academy"], title="Old")
    course_deactivate(course=inactive, reason="Gone")
    with pytest.raises(DomainError, match=re.escape("'Old' is inactive: only active courses can become steps.")):
        program_step_add(program=program, course=inactive)
    with pytest.raises(Conflict, match=re.escape("'Welcome' is already a step of this program.")):
        program_step_add(program=program, course=path["courses"][0])
    with pytest.raises(DomainError, match=re.escape("No such course in this academy.")):
        program_step_add(program=program, course=CourseFactory())
    package = CourseFactory(academy=path["academy"], kind=CourseKind.PACKAGE, title="SCORM module")
    assert program_step_add(program=program, course=package).position == 4


def test_steps_move_and_removal_closes_the_gap(path):
    program = path["program"]
    wrap_up = ProgramStep.objects.get(course=path["courses"][2])

    program_step_move(step=wrap_up, direction="up")
    assert list(program.steps.order_by("position").values_list("course__title", flat=True)) == [
        "Welcome", "Wrap-up", "Learn Python"]
    program_step_move(step=ProgramStep.objects.get(course=path["courses"][0]), direction="up")  # already first

    program_step_remove(step=ProgramStep.objects.get(course=path["courses"][0]))
    assert list(program.steps.order_by("position").values_list("position", "course__title")) == [
        (1, "Wrap-up"), (2, "Learn Python")]


def test_a_session_ends_on_or_after_its_start(path):
    with pytest.raises(DomainError, match=r"The end date \(2026-01-01\) is before the start date \(2026-02-01\)."):
        session_create(program=path["program"], name="Bad", starts_on=date(2026, 2, 1), ends_on=date(2026, 1, 1))
