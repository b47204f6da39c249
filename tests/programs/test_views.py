"""The program pages: an admin builds a program and a session; a learner follows it."""

import pytest
from django.urls import reverse

from coursebridge.learning.models import Enrollment
from coursebridge.programs.models import Participant, Program, ProgramStep, Session
from tests.factories import AcademyFactory, CourseFactory, GroupFactory, learner_in, training_admin_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def campus():
    academy = AcademyFactory(slug="campus")
    team = GroupFactory(academy=academy, name="Sales")
    return {
        "academy": academy, "team": team, "admin": training_admin_of(academy, username="ada"),
        "learner": learner_in(team, username="lena"),
        "intro": CourseFactory(academy=academy, title="Intro"), "deep": CourseFactory(academy=academy, title="Deep"),
    }


def url(name, **kwargs):
    return reverse(f"web:{name}", kwargs={"slug": "campus", **kwargs})


def test_an_admin_builds_a_program_with_steps_and_a_session_with_participants(client_for, campus):
    client = client_for(campus["admin"])

    response = client.post(url("program_list"), {"title": "Onboarding", "order": "linear", "description": ""})
    program = Program.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("program_detail", program_id=program.pk)
    for course in (campus["deep"], campus["intro"]):
        assert client.post(url("program_step_add", program_id=program.pk), {"course": course.pk}).status_code == 302
    intro_step = ProgramStep.objects.get(course=campus["intro"])
    client.post(url("program_step_move", program_id=program.pk, step_id=intro_step.pk), {"direction": "up"})
    assert list(program.steps.order_by("position").values_list("course__title", flat=True)) == ["Intro", "Deep"]

    response = client.post(url("session_create", program_id=program.pk),
                           {"name": "May", "starts_on": "2026-05-01", "ends_on": "2026-04-01"})
    assert response.status_code == 400
    assert "The end date (2026-04-01) is before the start date (2026-05-01)." in response.content.decode()
    response = client.post(url("session_create", program_id=program.pk),
                           {"name": "May", "starts_on": "2020-05-01", "ends_on": "2099-05-31"})
    session = Session.objects.get()
    assert response["Location"] == url("session_admin", session_id=session.pk)
    assert client.post(url("participant_add", session_id=session.pk), {"group": campus["team"].pk}).status_code == 302
    response = client.post(url("participant_add", session_id=session.pk), {})
    assert response.status_code == 400
    assert "Choose either a learner or a group." in response.content.decode()

    page = client.get(url("session_admin", session_id=session.pk)).content.decode()
    assert "Group Sales and its subgroups" in page
    assert "0 of 2" in page
    assert Participant.objects.get().group == campus["team"]


def test_the_program_form_names_what_is_missing(client_for, campus):
    response = client_for(campus["admin"]).post(url("program_list"), {"title": ""})

    assert response.status_code == 400
    assert Program.objects.count() == 0


def test_learners_cannot_open_the_program_admin(client_for, campus):
    assert client_for(campus["learner"]).get(url("program_list")).status_code == 403


def test_a_learner_follows_a_session_from_my_programs(client_for, campus):
    from coursebridge.learning.services import attempt_record_progress
    from coursebridge.programs.services import session_participant_add
    from tests.programs.factories import open_session, program_with

    program = program_with([campus["intro"], campus["deep"]])
    session = open_session(program)
    session_participant_add(session=session, user=campus["learner"])
    client = client_for(campus["learner"])

    page = client.get(url("my_programs")).content.decode()
    assert "Onboarding" in page and "0 of 2 steps" in page
    page = client.get(url("session_detail", session_id=session.pk)).content.decode()
    assert "Complete &#x27;Intro&#x27; first." in page

    intro_step, deep_step = program.steps.order_by("position")
    refused = client.post(url("session_step_start", session_id=session.pk, step_id=deep_step.pk))
    assert refused.status_code == 403
    assert "Complete &#x27;Intro&#x27; first." in refused.content.decode()
    started = client.post(url("session_step_start", session_id=session.pk, step_id=intro_step.pk))
    assert started.status_code == 302
    assert started["Location"] == campus["intro"].launch_url

    enrollment = Enrollment.objects.get(user=campus["learner"])
    attempt_record_progress(attempt=enrollment.attempts.get(), status="completed")
    page = client.get(url("session_detail", session_id=session.pk)).content.decode()
    assert "1 of 2 steps completed · 50%" in page


def test_a_session_is_not_found_for_someone_outside_it(client_for, campus):
    from coursebridge.programs.services import session_participant_add
    from tests.programs.factories import open_session, program_with

    session = open_session(program_with([campus["intro"]]))
    session_participant_add(session=session, group=campus["team"])
    outsider = learner_in(GroupFactory(academy=campus["academy"], name="Support"))

    assert client_for(outsider).get(url("session_detail", session_id=session.pk)).status_code == 404


def test_moving_the_end_date_into_the_past_closes_the_session(client_for, campus):
    from coursebridge.programs.services import session_participant_add
    from tests.programs.factories import open_session, program_with

    session = open_session(program_with([campus["intro"]]))
    session_participant_add(session=session, user=campus["learner"])
    client = client_for(campus["admin"])
    address = url("session_edit", session_id=session.pk)

    bad = client.post(address, {"name": "May", "starts_on": "2020-05-01", "ends_on": "2020-04-01"})
    assert bad.status_code == 400
    assert "The end date (2020-04-01) is before the start date (2020-05-01)." in bad.content.decode()
    assert client.post(address, {"name": "May", "starts_on": "2020-05-01", "ends_on": "2020-05-31"}).status_code == 302

    page = client_for(campus["learner"]).get(url("session_detail", session_id=session.pk)).content.decode()
    assert "This session closed on 2020-05-31." in page


def _session_of(campus, *, learners: int, steps: int):
    """A session of `steps` courses with `learners` learners (half added one by one, half through a
    group), each having completed the first k steps (k = their number modulo the step count + 1)."""
    from coursebridge.learning.services import attempt_record_progress, launch_course
    from coursebridge.programs.services import session_participant_add
    from tests.programs.factories import open_session, program_with

    courses = [CourseFactory(academy=campus["academy"], title=f"Step {n:02d}") for n in range(steps)]
    session = open_session(program_with(courses, order="free"))
    cohort = GroupFactory(academy=campus["academy"], name=f"Cohort {learners}")
    session_participant_add(session=session, group=cohort)
    users = []
    for n in range(learners):
        if n % 2:
            user = learner_in(cohort, username=f"p{learners}-{n:03d}")
        else:
            user = learner_in(campus["team"], username=f"p{learners}-{n:03d}")
            session_participant_add(session=session, user=user)
        for course in courses[:n % steps + 1]:
            attempt = launch_course(user=user, course=course, entry_point="session", session_id=session.pk).attempt
            attempt_record_progress(attempt=attempt, status="completed", progress=100)
        users.append(user)
    return session, users


def test_the_session_page_reads_every_learners_progress_in_a_fixed_number_of_queries(client_for, campus):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coursebridge.programs.selectors import session_learner_rows, session_view

    client = client_for(campus["admin"])
    small, _ = _session_of(campus, learners=2, steps=2)
    big, big_users = _session_of(campus, learners=40, steps=9)
    client.get(url("session_admin", session_id=small.pk))  # the session's first request settles its caches

    with CaptureQueriesContext(connection) as few:
        assert client.get(url("session_admin", session_id=small.pk)).status_code == 200
    with CaptureQueriesContext(connection) as many:
        page = client.get(url("session_admin", session_id=big.pk)).content.decode()

    assert len(many) == len(few)
    rows = session_learner_rows(session=big)
    assert [user.username for user, _ in rows] == sorted(u.username for u in big_users)
    for user, view in rows:
        alone = session_view(session=big, user=user)
        assert (view.done, view.counted, [s.state for s in view.steps]) == (
            alone.done, alone.counted, [s.state for s in alone.steps])
    assert [view.done for _, view in rows] == [n % 9 + 1 for n in range(40)]
    assert page.count(" of 9</td>") == 40
    assert "9 of 9" in page and "1 of 9" in page
