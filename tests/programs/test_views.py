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


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_an_admin_edits_a_programs_title_description_and_order(client_for, campus):
    from tests.programs.factories import program_with

    program = program_with([campus["intro"]], title="Onboarding")
    client = client_for(campus["admin"])
    address = url("program_edit", program_id=program.pk)

    response = client.post(address, {"title": "Welcome path", "description": "Start here.", "order": "free"})
    assert response.status_code == 302
    assert response["Location"] == url("program_detail", program_id=program.pk)
    program.refresh_from_db()
    assert (program.title, program.description, program.order) == ("Welcome path", "Start here.", "free")
    page = client.get(url("program_detail", program_id=program.pk)).content.decode()
    assert "<h1>Welcome path</h1>" in page and "Program saved." in page and "Free: steps in any order" in page

    fragment = client.post(address, {"title": "Onboarding 2", "description": "", "order": "linear"}, **HTMX)
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.startswith('<div id="program-head">') and "<h1>Onboarding 2</h1>" in html
    assert "Program saved." in html and "<html" not in html
    program.refresh_from_db()
    assert (program.title, program.description, program.order) == ("Onboarding 2", "", "linear")


def test_a_program_edit_with_bad_input_says_what_and_changes_nothing(client_for, campus):
    from tests.programs.factories import program_with

    program = program_with([campus["intro"]], title="Onboarding")
    client = client_for(campus["admin"])
    address = url("program_edit", program_id=program.pk)

    blank = client.post(address, {"title": "  ", "order": "linear"}, **HTMX)
    assert blank.status_code == 400
    assert blank.content.decode().count('<p class="error" role="alert">This field is required.</p>') == 1
    assert 'aria-invalid="true" aria-describedby="id_title_error" id="id_title"' in blank.content.decode()
    bad_order = client.post(address, {"title": "Onboarding", "order": "random"})
    assert bad_order.status_code == 400
    assert "Select a valid choice. random is not one of the available choices." in bad_order.content.decode()
    program.refresh_from_db()
    assert (program.title, program.order) == ("Onboarding", "linear")
    other = AcademyFactory(slug="other")
    foreign = program_with([CourseFactory(academy=other)], title="Theirs")
    elsewhere = client.post(url("program_edit", program_id=foreign.pk), {"title": "Mine", "order": "free"})
    assert elsewhere.status_code == 404
    assert client_for(campus["learner"]).post(address, {"title": "Mine", "order": "free"}).status_code == 403
    foreign.refresh_from_db()
    assert foreign.title == "Theirs"


def test_steps_are_added_reordered_and_removed_with_htmx_fragments(client_for, campus):
    from tests.programs.factories import program_with

    wrap = CourseFactory(academy=campus["academy"], title="Wrap-up")
    program = program_with([campus["intro"], campus["deep"]])
    client = client_for(campus["admin"])

    def titles():
        return list(program.steps.order_by("position").values_list("course__title", flat=True))

    added = client.post(url("program_step_add", program_id=program.pk), {"course": wrap.pk}, **HTMX)
    html = added.content.decode()
    assert added.status_code == 200
    assert html.startswith('<section id="program-steps">') and "<html" not in html
    assert "&#x27;Wrap-up&#x27; added as the last step." in html
    assert titles() == ["Intro", "Deep", "Wrap-up"]
    assert f'<option value="{wrap.pk}"' not in html  # a course is a step once

    wrap_step = ProgramStep.objects.get(course=wrap)
    moved = client.post(url("program_step_move", program_id=program.pk, step_id=wrap_step.pk), {"direction": "up"},
                        **HTMX)
    assert moved.status_code == 200
    assert "&#x27;Wrap-up&#x27; is now step 2." in moved.content.decode()
    assert titles() == ["Intro", "Wrap-up", "Deep"]

    intro_step = ProgramStep.objects.get(course=campus["intro"])
    removed = client.post(url("program_step_remove", program_id=program.pk, step_id=intro_step.pk), **HTMX)
    html = removed.content.decode()
    assert removed.status_code == 200
    assert "&#x27;Intro&#x27; removed from the program; learners&#x27; records in it are kept." in html
    assert titles() == ["Wrap-up", "Deep"]
    assert list(program.steps.order_by("position").values_list("position", flat=True)) == [1, 2]
    assert f'<option value="{campus["intro"].pk}"' in html  # offered again

    duplicate = client.post(url("program_step_add", program_id=program.pk), {"course": wrap.pk}, **HTMX)
    assert duplicate.status_code == 400
    assert "&#x27;Wrap-up&#x27; is already a step of this program." in duplicate.content.decode()
    sideways = client.post(url("program_step_move", program_id=program.pk, step_id=wrap_step.pk),
                           {"direction": "left"})
    assert sideways.status_code == 400
    assert "Direction is up or down." in sideways.content.decode()
    assert titles() == ["Wrap-up", "Deep"]
