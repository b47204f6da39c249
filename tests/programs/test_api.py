"""The programs API: training admins build programs and sessions; learners follow their sessions."""

import pytest
from django.test import Client

from coursebridge.accounts.services import api_token_create
from coursebridge.learning.models import Enrollment, LearningStatus
from coursebridge.learning.services import attempt_record_progress
from tests.factories import (
    AcademyFactory,
    CourseFactory,
    GroupFactory,
    ProviderCourseFactory,
    learner_in,
    training_admin_of,
)

pytestmark = pytest.mark.django_db


def api(user):
    _, clear = api_token_create(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {clear}"})


@pytest.fixture
def campus():
    academy = AcademyFactory(slug="campus")
    team = GroupFactory(academy=academy, name="Sales")
    return {
        "academy": academy, "team": team, "admin": api(training_admin_of(academy)),
        "learner_user": (learner := learner_in(team, username="lena")), "learner": api(learner),
        "intro": CourseFactory(academy=academy, title="Intro"),
        "python": ProviderCourseFactory(academy=academy, title="Python", provider="openclassrooms"),
    }


BASE = "/api/academies/campus"


def test_a_program_session_built_and_followed_through_the_api(campus):
    admin, learner = campus["admin"], campus["learner"]
    program = admin.post(f"{BASE}/programs", {"title": "Data path"}, content_type="application/json")
    assert program.status_code == 201
    program_id = program.json()["id"]
    assert program.json()["order"] == "linear"
    for course in ("intro", "python"):
        step = admin.post(f"{BASE}/programs/{program_id}/steps", {"course_id": campus[course].pk},
                          content_type="application/json")
        assert step.status_code == 201
    again = admin.post(f"{BASE}/programs/{program_id}/steps", {"course_id": campus["intro"].pk},
                       content_type="application/json")
    assert again.status_code == 409
    assert again.json()["error"] == {"code": "conflict", "message": "'Intro' is already a step of this program.",
                                     "field": "course_id"}
    session = admin.post(f"{BASE}/sessions", {"program_id": program_id, "name": "Q1", "starts_on": "2020-01-01",
                                              "ends_on": "2099-03-31"}, content_type="application/json")
    assert session.status_code == 201
    session_id = session.json()["id"]
    assert session.json()["state"] == "open"
    participant = admin.post(f"{BASE}/sessions/{session_id}/participants", {"group_id": campus["team"].pk},
                             content_type="application/json")
    assert participant.status_code == 201

    mine = learner.get(f"{BASE}/me/sessions").json()
    assert mine["count"] == 1
    item = mine["items"][0]
    assert (item["done"], item["counted"], item["percent"]) == (0, 2, 0)
    assert [(s["course_title"], s["state"]) for s in item["steps"]] == [("Intro", "open"), ("Python", "locked")]
    python_step = item["steps"][1]["step_id"]

    locked = learner.post(f"{BASE}/me/sessions/{session_id}/steps/{python_step}/launch")
    assert locked.status_code == 403
    assert locked.json()["error"]["message"] == "Complete 'Intro' first."
    launch = learner.post(f"{BASE}/me/sessions/{session_id}/steps/{item['steps'][0]['step_id']}/launch")
    assert launch.status_code == 200
    attempt_record_progress(attempt=Enrollment.objects.get().attempts.get(), status=LearningStatus.PASSED)

    progress = learner.get(f"{BASE}/me/sessions/{session_id}").json()
    assert (progress["done"], progress["percent"]) == (1, 50)
    assert [s["state"] for s in progress["steps"]] == ["completed", "open"]
    assert progress["steps"][0]["status"] == "passed"


def test_learners_cannot_build_programs(campus):
    response = campus["learner"].post(f"{BASE}/programs", {"title": "Mine"}, content_type="application/json")

    assert response.status_code == 403


def test_a_session_with_dates_the_wrong_way_round_is_refused_on_ends_on(campus):
    program_id = campus["admin"].post(f"{BASE}/programs", {"title": "P"}, content_type="application/json").json()["id"]
    response = campus["admin"].post(f"{BASE}/sessions", {"program_id": program_id, "name": "S",
                                                        "starts_on": "2026-02-01", "ends_on": "2026-01-01"},
                                    content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "ends_on"


def test_a_participant_is_a_user_or_a_group(campus):
    program_id = campus["admin"].post(f"{BASE}/programs", {"title": "P"}, content_type="application/json").json()["id"]
    session_id = campus["admin"].post(f"{BASE}/sessions", {"program_id": program_id, "name": "S",
                                                          "starts_on": "2026-01-01", "ends_on": "2026-02-01"},
                                      content_type="application/json").json()["id"]

    response = campus["admin"].post(f"{BASE}/sessions/{session_id}/participants", {},
                                    content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Add either a user or a group."


def test_a_program_is_changed_and_its_steps_reordered_through_the_api(campus):
    admin = campus["admin"]
    program_id = admin.post(f"{BASE}/programs", {"title": "Data path"}, content_type="application/json").json()["id"]
    steps = [admin.post(f"{BASE}/programs/{program_id}/steps", {"course_id": campus[c].pk},
                        content_type="application/json").json()["id"] for c in ("intro", "python")]

    changed = admin.patch(f"{BASE}/programs/{program_id}", {"order": "free", "description": "Start here."},
                          content_type="application/json")
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["order"], changed.json()["description"]) == (
        "Data path", "free", "Start here.")
    moved = admin.post(f"{BASE}/programs/{program_id}/steps/{steps[1]}/move", {"direction": "up"},
                       content_type="application/json")
    assert (moved.status_code, moved.json()["position"]) == (200, 1)
    program = admin.get(f"{BASE}/programs/{program_id}").json()
    assert [s["course_title"] for s in program["steps"]] == ["Python", "Intro"]

    blank = admin.patch(f"{BASE}/programs/{program_id}", {"title": " "}, content_type="application/json")
    assert (blank.status_code, blank.json()["error"]["field"]) == (400, "title")
    null = admin.patch(f"{BASE}/programs/{program_id}", {"order": None}, content_type="application/json")
    assert null.status_code == 422
    sideways = admin.post(f"{BASE}/programs/{program_id}/steps/{steps[0]}/move", {"direction": "left"},
                          content_type="application/json")
    assert sideways.status_code == 422
    elsewhere = admin.post(f"{BASE}/programs/{program_id}/steps/999999/move", {"direction": "up"},
                           content_type="application/json")
    assert elsewhere.status_code == 404
    assert campus["learner"].patch(f"{BASE}/programs/{program_id}", {"title": "Mine"},
                                   content_type="application/json").status_code == 403
    assert admin.get(f"{BASE}/programs/{program_id}").json()["title"] == "Data path"
