"""The bound that keeps catalogue search fast on a big catalogue (see the search benchmark): a query
counts and ranks only the search.MAX_MATCHES most recently added matches."""

import pytest
from django.test import Client

from coursebridge.accounts.services import api_token_create, group_create
from coursebridge.catalog import search
from coursebridge.catalog.selectors import catalogue_search
from coursebridge.catalog.services import category_create, course_create, course_deactivate
from tests.factories import AcademyFactory, learner_in, root_group

pytestmark = pytest.mark.django_db


def titles(page) -> list[str]:
    return [c.title for c in page.courses]


def catalogue(*titles_and_descriptions: tuple[str, str]):
    academy = AcademyFactory()
    group = group_create(parent=root_group(academy), name="Team")
    learner = learner_in(group)
    courses = [
        course_create(academy=academy, title=title, description=description,
                      launch_url="https://learn.example.org/c", groups=[group])
        for title, description in titles_and_descriptions
    ]
    return academy, group, learner, courses


def test_a_query_counts_and_ranks_only_the_newest_matches(monkeypatch):
    monkeypatch.setattr(search, "MAX_MATCHES", 3)
    academy, _, learner, _ = catalogue(
        ("Sales oldest", "sales sales sales"), ("Sales two", ""), ("Sales three", "sales"), ("Sales four", ""),
        ("Sales newest", "sales sales"),
    )

    page = catalogue_search(academy=academy, user=learner, query="sales")

    assert page.total == 3
    assert titles(page) == ["Sales newest", "Sales three", "Sales four"]
    assert page.has_next is False


def test_pages_are_cut_from_the_ranked_matches(monkeypatch):
    monkeypatch.setattr(search, "MAX_MATCHES", 4)
    academy, _, learner, _ = catalogue(*[(f"Sales {n}", "") for n in range(6)])

    first = catalogue_search(academy=academy, user=learner, query="sal", limit=3)
    second = catalogue_search(academy=academy, user=learner, query="sal", limit=3, offset=3)
    beyond = catalogue_search(academy=academy, user=learner, query="sal", limit=3, offset=6)

    assert (titles(first), first.total, first.has_next) == (["Sales 2", "Sales 3", "Sales 4"], 4, True)
    assert (titles(second), second.total, second.has_next) == (["Sales 5"], 4, False)
    assert (titles(beyond), beyond.total) == ([], 4)


def test_courses_the_learner_cannot_find_do_not_take_a_place_among_the_newest(monkeypatch):
    monkeypatch.setattr(search, "MAX_MATCHES", 2)
    academy, _, learner, courses = catalogue(("Sales a", ""), ("Sales b", ""), ("Sales c", ""))
    elsewhere = group_create(parent=root_group(academy), name="Elsewhere")
    course_create(academy=academy, title="Sales elsewhere", launch_url="https://learn.example.org/c",
                  groups=[elsewhere])
    course_deactivate(course=courses[2], reason="Retired")

    page = catalogue_search(academy=academy, user=learner, query="sales")

    assert (titles(page), page.total) == (["Sales a", "Sales b"], 2)


def test_the_category_filter_applies_before_the_bound(monkeypatch):
    monkeypatch.setattr(search, "MAX_MATCHES", 2)
    academy, group, learner, _ = catalogue()
    business = category_create(academy=academy, name="Business")
    filed = course_create(academy=academy, title="Sales filed", launch_url="https://learn.example.org/c",
                          category_ids=[business.pk], groups=[group])
    for title in ("Sales a", "Sales b", "Sales c"):
        course_create(academy=academy, title=title, launch_url="https://learn.example.org/c", groups=[group])

    page = catalogue_search(academy=academy, user=learner, query="sales", category_id=business.pk)

    assert (titles(page), page.total) == ([filed.title], 1)


def test_the_catalogue_without_a_query_keeps_its_exact_total(monkeypatch):
    monkeypatch.setattr(search, "MAX_MATCHES", 2)
    academy, _, learner, _ = catalogue(*[(f"Course {n}", "") for n in range(5)])

    page = catalogue_search(academy=academy, user=learner, limit=2)

    assert (titles(page), page.total, page.has_next) == (["Course 0", "Course 1"], 5, True)


def test_a_capped_result_says_so_in_the_page_and_the_api(monkeypatch, client_for):
    monkeypatch.setattr(search, "MAX_MATCHES", 2)
    academy, _, learner, _ = catalogue(("Sales one", ""), ("Sales two", ""), ("Sales three", ""))

    capped = catalogue_search(academy=academy, user=learner, query="sales")
    narrow = catalogue_search(academy=academy, user=learner, query="three")
    html = client_for(learner).get(f"/a/{academy.slug}/catalogue/", {"q": "sales"}).content.decode()
    _, token = api_token_create(user=learner, name="t")
    body = Client(headers={"Authorization": f"Bearer {token}"}).get(
        f"/api/academies/{academy.slug}/catalogue", {"q": "sales"}
    ).json()

    assert (capped.total, capped.capped) == (2, True)
    assert (narrow.total, narrow.capped) == (1, False)
    assert "Showing 1\u20132 of 2+ (refine your search to narrow them down)" in html
    assert (body["count"], body["count_is_capped"]) == (2, True)
