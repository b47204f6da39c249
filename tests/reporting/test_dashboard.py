"""Dashboard figures, checked against the records of tests/reporting/factories.py."""

import re

import pytest
from django.urls import reverse

from coursebridge.core.errors import DomainError, PermissionDenied
from coursebridge.reporting.dashboard import dashboard, period_of
from coursebridge.reporting.scope import report_scope
from tests.factories import learner_in
from tests.reporting.factories import build_campus, day

pytestmark = pytest.mark.django_db

WEEK = {"start": day(1), "end": day(7), "today": day(7)}


@pytest.fixture
def campus():
    return build_campus()


def board_for(campus, actor="admin", group=None):
    scope = report_scope(academy=campus["academy"], actor=campus[actor],
                         group_id=campus[group].pk if group else None)
    return dashboard(scope=scope, period=period_of(**WEEK))


def test_the_academy_dashboard(campus):
    board = board_for(campus)

    assert board.status_counts == {"not_started": 1, "in_progress": 1, "completed": 3, "passed": 1, "failed": 1}
    assert board.enrollments == 7
    assert [(d.day, n) for d, n in board.completions_by_day.items()] == [
        (1, 0), (2, 2), (3, 0), (4, 0), (5, 1), (6, 0), (7, 0)]
    assert board.completions == 3
    assert list(board.active_by_day.values()) == [1, 2, 1, 1, 1, 0, 0]
    assert board.active_learners == 3
    assert list(board.seconds_by_day["measured"].values()) == [1800, 3000, 0, 600, 0, 0, 0]
    assert list(board.seconds_by_day["theoretical"].values()) == [0, 0, 1800, 0, 5400, 0, 0]
    assert (board.measured_seconds, board.estimated_seconds, board.imported_seconds) == (5400, 7200, 0)
    assert [(g.name, g.learners, g.enrollments, g.completed, g.completion_rate, g.measured_seconds,
             g.estimated_seconds) for g in board.groups] == [
        ("Sales", 2, 4, 3, 75, 4800, 7200),
        ("Support", 1, 2, 0, 0, 600, 0),
    ]
    assert [(c.title, c.provider, c.enrollments, c.completed) for c in board.top_courses] == [
        ("Intro", "", 3, 2), ("Python", "openclassrooms", 2, 1), ("Excel", "", 2, 1)]


def test_a_group_admin_sees_only_their_subtree(campus):
    board = board_for(campus, actor="sales_admin")

    assert board.status_counts == {"not_started": 0, "in_progress": 1, "completed": 2, "passed": 1, "failed": 0}
    assert board.completions == 3
    assert board.active_learners == 2
    assert (board.measured_seconds, board.estimated_seconds) == (4800, 7200)
    assert [g.name for g in board.groups] == ["Sales"]
    assert [(c.title, c.enrollments) for c in board.top_courses] == [("Intro", 2), ("Python", 2)]


def test_a_subgroup_dashboard_compares_its_children(campus):
    board = board_for(campus, actor="sales_admin", group="east")

    assert board.enrollments == 2
    assert board.active_learners == 1
    assert list(board.active_by_day.values()) == [0, 1, 0, 0, 1, 0, 0]
    assert board.groups == []
    sales = board_for(campus, group="sales")
    assert [(g.name, g.learners, g.enrollments, g.completed) for g in sales.groups] == [("East", 1, 2, 2)]


def test_a_group_admin_cannot_report_on_another_subtree_nor_a_learner_at_all(campus):
    with pytest.raises(PermissionDenied, match=re.escape("You do not administer the group 'Support'.")):
        report_scope(academy=campus["academy"], actor=campus["sales_admin"], group_id=campus["support"].pk)
    with pytest.raises(PermissionDenied):
        report_scope(academy=campus["academy"], actor=campus["ana"])
    with pytest.raises(DomainError, match=re.escape("No group 999999 in this academy.")):
        report_scope(academy=campus["academy"], actor=campus["admin"], group_id=999999)


def test_the_period_defaults_to_the_last_30_days_and_is_checked():
    period = period_of(start=None, end=None, today=day(31))

    assert (period.start, period.end, len(period.days)) == (day(2), day(31), 30)
    with pytest.raises(DomainError, match="is after the end date"):
        period_of(start=day(5), end=day(1), today=day(31))
    with pytest.raises(DomainError, match="at most 366 days"):
        period_of(start=day(1).replace(year=2024), end=day(31), today=day(31))


def test_the_dashboard_page_draws_its_charts_with_tables_behind(client_for, campus):
    response = client_for(campus["admin"]).get(
        reverse("web:dashboard", kwargs={"slug": "campus"}), {"date_from": "2026-03-01", "date_to": "2026-03-07"})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<svg role=\"img\"") == 5
    for title in ("Completion status of enrollments", "Completions and active learners per day",
                  "Time spent per day, measured and estimated (hours)", "Groups compared: enrollments and completions",
                  "Top courses by enrollments"):
        assert f">{title}</title>" in page
    assert '<li class="kpi" id="kpi-completions"><strong>3</strong> completions in the period</li>' in page
    assert '<td class="num" data-status="completed">3</td>' in page
    assert "Estimated (theoretical)" in page


def test_the_dashboard_page_refuses_learners_and_bad_dates(client_for, campus):
    address = reverse("web:dashboard", kwargs={"slug": "campus"})

    assert client_for(campus["ana"]).get(address).status_code == 403
    bad = client_for(campus["admin"]).get(address, {"date_from": "2026-13-01"})
    assert bad.status_code == 400
    assert "Date from: Enter a valid date." in bad.content.decode()
    other = learner_in(campus["support"])
    assert client_for(other).get(address).status_code == 403
