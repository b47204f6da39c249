"""The reports API: dashboard figures, the Activity Report's pages and its export job."""

import pytest
from django.test import Client

from coursebridge.accounts.services import api_token_create
from coursebridge.core.models import Job
from tests.reporting.factories import build_campus

pytestmark = pytest.mark.django_db

BASE = "/api/academies/campus/reports"


def api(user):
    _, clear = api_token_create(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {clear}"})


@pytest.fixture
def campus():
    return build_campus()


def test_dashboard_figures(campus):
    body = api(campus["admin"]).get(f"{BASE}/dashboard", {"date_from": "2026-03-01", "date_to": "2026-03-07"}).json()

    assert (body["scope"], body["enrollments"], body["completions"], body["active_learners"]) == (
        "Whole academy", 7, 3, 3)
    assert (body["measured_seconds"], body["estimated_seconds"]) == (5400, 7200)
    assert body["status_counts"] == {"not_started": 1, "in_progress": 1, "completed": 3, "passed": 1, "failed": 1}
    assert body["days"][1] == {"day": "2026-03-02", "completions": 2, "active_learners": 2,
                               "measured_seconds": 3000, "estimated_seconds": 0, "imported_seconds": 0}
    assert body["groups"][0] == {"group_id": campus["sales"].pk, "name": "Sales", "learners": 2, "enrollments": 4,
                                 "completed": 3, "completion_rate": 75, "measured_seconds": 4800,
                                 "estimated_seconds": 7200}
    assert [c["title"] for c in body["top_courses"]] == ["Intro", "Python", "Excel"]


def test_group_admins_and_learners(campus):
    sales = api(campus["sales_admin"])
    assert sales.get(f"{BASE}/dashboard", {"date_from": "2026-03-01", "date_to": "2026-03-07"}).json()[
        "enrollments"] == 4
    refused = sales.get(f"{BASE}/dashboard", {"group_id": campus["support"].pk})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "You do not administer the group 'Support'."
    assert api(campus["ana"]).get(f"{BASE}/activity").status_code == 403


def test_activity_report_pages(campus):
    client = api(campus["sales_admin"])

    first = client.get(f"{BASE}/activity", {"limit": 3}).json()
    assert (first["count"], len(first["items"])) == (4, 3)
    assert first["next"].endswith("limit=3&offset=3")
    last = client.get(f"{BASE}/activity", {"limit": 3, "offset": 3}).json()
    assert len(last["items"]) == 1 and last["next"] is None
    session_row = client.get(f"{BASE}/activity", {"provider": "openclassrooms", "group_id": campus["east"].pk}).json()
    assert session_row["count"] == 1
    row = session_row["items"][0]
    assert {k: row[k] for k in ("learner", "email", "groups", "course", "entry_point", "status", "progress",
                                "time_spent_seconds", "time_source")} == {
        "learner": "Ben Berg", "email": "ben@example.org", "groups": "East", "course": "Python",
        "entry_point": "Program session: Spring cohort", "status": "completed", "progress": 100,
        "time_spent_seconds": 5400, "time_source": "theoretical"}


def test_export_starts_a_job(campus):
    response = api(campus["admin"]).post(f"{BASE}/activity/export", {"format": "xlsx", "provider": "openclassrooms"},
                                         content_type="application/json")

    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.kind, job.status, job.params["format"], job.params["provider"]) == (
        "reporting.activity_export", "queued", "xlsx", "openclassrooms")
    bad = api(campus["admin"]).post(f"{BASE}/activity/export", {"format": "pdf"}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "format"
