"""The admin's view of a learner's attempt, and the attempts listed on the user's admin page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from coursebridge.accounts.models import Role
from coursebridge.content.aicc_runtime import new_session
from coursebridge.content.attempts import raw_data_layout
from coursebridge.content.tracking import unit_state_record
from tests.content.tracking_helpers import package_course, started_attempt, state_of
from tests.factories import AcademyFactory, GroupFactory, learner_in, member, training_admin_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def academy():
    return AcademyFactory(slug="riverside", name="Riverside Academy")


@pytest.fixture
def sales(academy):
    return GroupFactory(academy=academy, name="Sales")


@pytest.fixture
def learner(sales):
    return learner_in(sales, username="lena", first_name="Lena", last_name="Berg")


@pytest.fixture
def tracked(sales, learner):
    """Lena's attempt at a two-unit course: the first unit passed with HACP data, the second not opened."""
    course, _, units = package_course(sales, units=2)
    course.title = "Forklift safety"
    course.save()
    attempt = started_attempt(learner, course)
    state = state_of(attempt, units[0])
    unit_state_record(
        state_id=state.pk,
        lesson_status="passed",
        exit_mode="logout",
        location="slide 12",
        suspend_data="q1=a",
        score_raw=Decimal("17.5"),
        score_max=Decimal(20),
        score_min=Decimal(0),
        add_seconds=754,
        new_session=True,
        data={
            "core.lesson_status": "p,l",
            "core.score": "17.5,20,0",
            "comments": "<b>great</b>",
            "objectives_status": {"j_id.1": "obj-1", "j_status.1": "p"},
            "interaction_records": {
                "columns": ["interaction_id", "result", "latency"],
                "rows": [["q1", "C", ""], ["q2", "W", "00:00:04"]],
            },
        },
    )
    new_session(state=state)
    return {"course": course, "attempt": attempt, "units": units, "state": state}


def detail_url(attempt, slug="riverside"):
    return reverse("web:attempt_detail", args=[slug, attempt.pk])


def test_a_training_admin_sees_the_attempt_its_units_and_the_raw_data(client_for, academy, tracked):
    admin = training_admin_of(academy)

    response = client_for(admin).get(detail_url(tracked["attempt"]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Forklift safety: attempt 1" in page
    assert "Berg" in page and "(lena)" in page
    facts = response.context["attempt"]
    # One of two units passed: in progress at 50 %, scored 87.5 %, 12 min 34 s.
    assert (facts.status, facts.progress, facts.score, facts.time_spent_seconds) == (
        "in_progress",
        50,
        Decimal("87.50"),
        754,
    )
    assert '<span class="pill status-in-progress">In progress</span>' in page
    assert "<dd>50%</dd>" in page
    assert "<dd>87.50</dd>" in page
    assert "12 min" in page
    units = response.context["units"]
    assert [report.unit.title for report in units] == ["Unit 1", "Unit 2"]
    assert units[1].state is None
    assert "Not opened in this attempt." in page
    row = page.split('<table class="table compact unit-tracking">')[1].split("</table>")[0]
    for cell in (
        'data-label="Status">passed<',
        'data-label="Score raw" class="num">17.5<',
        'data-label="Max" class="num">20<',
        'data-label="Min" class="num">0<',
        'data-label="Total time">00:12:34<',
        'data-label="Location">slide 12<',
        'data-label="Exit">logout<',
        'data-label="Sessions" class="num">1<',
    ):
        assert cell in row, cell
    assert "Suspend data (4 characters)" in page
    sessions = page.split('<table class="table compact aicc-sessions">')[1].split("</table>")[0]
    assert sessions.count("<tr>") == 2  # the header and the one session
    assert "<td>—</td><td>00:00:00</td></tr>" in sessions  # not ended, no time reported yet
    assert "<code>core.lesson_status</code></td><td>p,l</td>" in page
    assert "<code>objectives_status.j_id.1</code></td><td>obj-1</td>" in page
    assert "&lt;b&gt;great&lt;/b&gt;" in page and "<b>great</b>" not in page
    assert "<code>interaction_records</code> (2)" in page
    assert "<th>interaction_id</th><th>result</th><th>latency</th>" in page
    assert "<td>q2</td><td>W</td><td>00:00:04</td>" in page
    assert "<td>q1</td><td>C</td><td></td>" in page


def test_a_group_admin_sees_attempts_of_learners_in_their_subtree_only(client_for, academy, sales, tracked):
    sales_admin = learner_in(sales)
    member(sales_admin, sales, Role.GROUP_ADMIN)
    north = GroupFactory(academy=academy, name="North", parent=sales)
    north_admin = learner_in(north)
    member(north_admin, north, Role.GROUP_ADMIN)

    assert client_for(sales_admin).get(detail_url(tracked["attempt"])).status_code == 200
    assert client_for(north_admin).get(detail_url(tracked["attempt"])).status_code == 404


def test_a_learner_may_not_open_the_admin_view(client_for, learner, tracked):
    response = client_for(learner).get(detail_url(tracked["attempt"]))

    assert response.status_code == 403


def test_another_academys_admin_gets_not_found(client_for, tracked):
    other = AcademyFactory(slug="elsewhere")
    admin = training_admin_of(other)

    assert client_for(admin).get(detail_url(tracked["attempt"])).status_code == 404
    assert client_for(admin).get(detail_url(tracked["attempt"], slug="elsewhere")).status_code == 404


def test_an_unknown_attempt_is_not_found(client_for, academy):
    response = client_for(training_admin_of(academy)).get(reverse("web:attempt_detail", args=["riverside", 999999]))

    assert response.status_code == 404


def test_the_view_answers_get_only(client_for, academy, tracked):
    response = client_for(training_admin_of(academy)).post(detail_url(tracked["attempt"]))

    assert response.status_code == 405


def test_an_attempt_of_a_course_without_a_package_shows_no_units(client_for, academy, sales, learner):
    from tests.factories import CourseFactory

    course = CourseFactory(academy=academy, placed_in=sales)
    attempt = started_attempt(learner, course)

    response = client_for(training_admin_of(academy)).get(detail_url(attempt))

    assert response.status_code == 200
    assert "This course has no units to track." in response.content.decode()


def test_the_users_admin_page_lists_their_attempts_with_links(client_for, academy, learner, tracked):
    admin = training_admin_of(academy)

    response = client_for(admin).get(reverse("web:user_detail", args=["riverside", learner.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Attempts</h2>" in page
    table = page.split('<table class="table attempts">')[1].split("</table>")[0]
    assert "Forklift safety" in table
    assert f'href="{detail_url(tracked["attempt"])}"' in table
    assert "87.5" in table


def test_a_user_without_attempts_says_so(client_for, academy, sales):
    newcomer = learner_in(sales)

    response = client_for(training_admin_of(academy)).get(reverse("web:user_detail", args=["riverside", newcomer.pk]))

    assert "No attempt yet." in response.content.decode()


def test_raw_data_layout_flattens_objects_and_tabulates_lists_of_records():
    layout = raw_data_layout(
        {
            "cmi.core.lesson_status": "passed",
            "b": {"x": {"y": 1}, "z": True},
            "rows": [{"a": "1"}, {"b": "2"}],
            "stored": {"columns": ["z", "a"], "rows": [["1", 2], ["3", None]]},
            "plain": ["p", "q"],
            "empty": {},
            "none": None,
        }
    )

    assert layout.values == [
        ("b.x.y", "1"),
        ("b.z", "True"),
        ("cmi.core.lesson_status", "passed"),
        ("empty", "{}"),
        ("none", ""),
        ("plain", '["p", "q"]'),
    ]
    assert [(t.name, t.columns, t.rows) for t in layout.tables] == [
        ("rows", ["a", "b"], [["1", ""], ["", "2"]]),
        ("stored", ["z", "a"], [["1", "2"], ["3", ""]]),
    ]


def test_raw_data_layout_shortens_very_long_values():
    layout = raw_data_layout({"suspend": "x" * 5000})

    assert layout.values == [("suspend", "x" * 4000 + "…")]
