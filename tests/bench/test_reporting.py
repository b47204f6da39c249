"""The reporting benchmark: its generated academy, and one timed run of every page."""

import pytest
from bench.reporting import ATTEMPTS_PER_ENROLLMENT, PER_LEARNER, generate, run_all

from coursebridge.learning.models import ActivityDay, Attempt, Enrollment

pytestmark = pytest.mark.django_db


def test_the_generated_academy_has_the_attempts_asked_for():
    data = generate(attempts=800)

    assert data["attempts"] == 800
    assert Attempt.objects.filter(academy=data["academy"]).count() == 800
    assert Enrollment.objects.filter(academy=data["academy"]).count() == 800 // ATTEMPTS_PER_ENROLLMENT
    assert ActivityDay.objects.filter(academy=data["academy"]).count() == 400
    assert data["academy"].users.filter(username__startswith="learner-").count() == 400 // PER_LEARNER


def test_every_page_is_timed():
    lines = [figure.line() for figure in run_all(label="test", attempts=400, requests=2)]

    assert [line.split()[1] for line in lines] == [
        "reporting_attempts_test", "reporting_generate_seconds_test", "reporting_dashboard_p95_ms_test",
        "reporting_dashboard_group_p95_ms_test", "reporting_activity_first_page_p95_ms_test",
        "reporting_activity_first_page_group_p95_ms_test",
    ]
    assert lines[0] == "bench: reporting_attempts_test 400 attempts"
