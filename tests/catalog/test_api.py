"""The API of categories, courses, their lifecycle, placements and the learner's catalogue."""

from __future__ import annotations

import pytest
from django.test import Client

from coursebridge.accounts.models import Role
from coursebridge.accounts.services import api_token_create
from coursebridge.catalog.models import Category, Course, CourseStatus, CourseStatusChange, Placement
from coursebridge.catalog.services import course_archive, course_deactivate, provider_categories_ensure
from tests.factories import (
    AcademyFactory,
    CategoryFactory,
    CourseFactory,
    GroupFactory,
    ProviderCourseFactory,
    UserFactory,
    learner_in,
    member,
    root_group,
    training_admin_of,
)

pytestmark = pytest.mark.django_db

READ_ONLY_REASON = (
    "Set by opensesame, which owns this course: changes come from the provider at each sync, so they cannot be "
    "edited here."
)


def token_client(user) -> Client:
    _, clear = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {clear}"})


# --- Categories ------------------------------------------------------------------------------------


def test_categories_are_listed_as_a_tree_with_their_provider():
    academy = AcademyFactory()
    leaders = provider_categories_ensure(academy=academy, provider="opensesame", paths=["|Business|Leadership"])[
        "|Business|Leadership"
    ]
    own = CategoryFactory(academy=academy, name="Compliance")
    learner = learner_in(root_group(academy))

    body = token_client(learner).get(f"/api/academies/{academy.slug}/categories").json()

    assert [(c["name"], c["depth"], c["is_provider_owned"], c["provider"]) for c in body["items"]] == [
        ("Business", 0, True, "opensesame"),
        ("Leadership", 1, True, "opensesame"),
        ("Compliance", 0, False, ""),
    ]
    assert body["items"][1]["parent_id"] == leaders.parent_id
    assert body["items"][2]["id"] == own.pk


def test_a_category_is_created_renamed_and_deleted():
    academy = AcademyFactory()
    client = token_client(training_admin_of(academy))
    url = f"/api/academies/{academy.slug}/categories"

    created = client.post(url, data={"name": "Safety"}, content_type="application/json")
    category_id = created.json()["id"]
    child = client.post(url, data={"name": "Fire", "parent_id": category_id}, content_type="application/json")
    renamed = client.patch(f"{url}/{category_id}", data={"name": "Health & safety"}, content_type="application/json")
    deleted = client.delete(f"{url}/{child.json()['id']}")

    assert created.status_code == 201
    assert (child.status_code, child.json()["depth"], child.json()["parent_id"]) == (201, 1, category_id)
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Health & safety")
    assert deleted.status_code == 204
    assert list(Category.objects.filter(academy=academy).values_list("name", flat=True)) == ["Health & safety"]


def test_a_provider_category_is_not_renamed_and_says_why():
    academy = AcademyFactory()
    business = provider_categories_ensure(academy=academy, provider="opensesame", paths=["|Business"])["|Business"]

    response = token_client(training_admin_of(academy)).patch(
        f"/api/academies/{academy.slug}/categories/{business.pk}",
        data={"name": "Mine"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "read_only",
        "message": "'Business' is created and managed by opensesame; it cannot be changed here.",
        "field": "category",
    }
    business.refresh_from_db()
    assert business.name == "Business"


def test_a_provider_category_is_not_deleted():
    academy = AcademyFactory()
    business = provider_categories_ensure(academy=academy, provider="opensesame", paths=["|Business"])["|Business"]

    response = token_client(training_admin_of(academy)).delete(
        f"/api/academies/{academy.slug}/categories/{business.pk}"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "read_only"
    assert Category.objects.filter(pk=business.pk).exists()


def test_no_category_goes_under_a_provider_category():
    academy = AcademyFactory()
    business = provider_categories_ensure(academy=academy, provider="opensesame", paths=["|Business"])["|Business"]

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/categories",
        data={"name": "Mine", "parent_id": business.pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "parent_id"


def test_learners_do_not_create_categories():
    academy = AcademyFactory()

    response = token_client(learner_in(root_group(academy))).post(
        f"/api/academies/{academy.slug}/categories", data={"name": "Mine"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Only training admins of this academy may do this."


# --- Course list and catalogue ---------------------------------------------------------------------


def test_admins_list_every_course_with_filters():
    academy = AcademyFactory()
    CourseFactory(academy=academy, title="Alpha")
    archived = CourseFactory(academy=academy, title="Beta")
    course_archive(course=archived, reason="Old")
    ProviderCourseFactory(academy=academy, title="Gamma")
    client = token_client(training_admin_of(academy))
    url = f"/api/academies/{academy.slug}/courses"

    def titles(**params):
        return [c["title"] for c in client.get(url, params).json()["items"]]

    assert titles() == ["Alpha", "Beta", "Gamma"]
    assert titles(status="archived") == ["Beta"]
    assert titles(q="alp") == ["Alpha"]
    assert titles(provider="opensesame") == ["Gamma"]
    assert titles(provider="") == ["Alpha", "Beta"]
    assert titles(kind="provider") == ["Gamma"]
    assert titles(kind="web_link", status="active") == ["Alpha"]


def test_an_unknown_status_filter_is_a_422():
    academy = AcademyFactory()

    response = token_client(training_admin_of(academy)).get(f"/api/academies/{academy.slug}/courses?status=gone")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "status"


def test_a_group_admin_reads_the_course_list():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy)
    admin = UserFactory(academy=academy)
    member(admin, sales, Role.GROUP_ADMIN)
    CourseFactory(academy=academy, title="Alpha")

    body = token_client(admin).get(f"/api/academies/{academy.slug}/courses").json()

    assert [c["title"] for c in body["items"]] == ["Alpha"]


def test_learners_are_sent_to_the_catalogue():
    academy = AcademyFactory(slug="acme")

    response = token_client(learner_in(root_group(academy))).get("/api/academies/acme/courses")

    assert response.status_code == 403
    assert (
        response.json()["error"]["message"] == "Learners find courses in the catalogue: /api/academies/acme/catalogue."
    )


def test_the_catalogue_shows_a_learner_the_active_courses_placed_for_them():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    ops = GroupFactory(academy=academy, name="Ops")
    learner = learner_in(sales)
    CourseFactory(academy=academy, title="Negotiation basics", placed_in=sales)
    CourseFactory(academy=academy, title="Company welcome", placed_in=root_group(academy))
    CourseFactory(academy=academy, title="Forklift safety", placed_in=ops)
    gone = CourseFactory(academy=academy, title="Negotiation advanced", placed_in=sales)
    course_deactivate(course=gone, reason="Retired")
    client = token_client(learner)
    url = f"/api/academies/{academy.slug}/catalogue"

    everything = client.get(url).json()
    found = client.get(url, {"q": "negot"}).json()

    assert [c["title"] for c in everything["items"]] == ["Company welcome", "Negotiation basics"]
    assert everything["count"] == 2
    assert [c["title"] for c in found["items"]] == ["Negotiation basics"]


def test_the_catalogue_filters_by_category_and_pages():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    learner = learner_in(team)
    skills = CategoryFactory(academy=academy, name="Skills")
    for n in range(3):
        course = CourseFactory(academy=academy, title=f"Skill {n}", placed_in=team)
        course.categories.add(skills)
    CourseFactory(academy=academy, title="Other", placed_in=team)
    client = token_client(learner)

    page = client.get(f"/api/academies/{academy.slug}/catalogue", {"category_id": skills.pk, "limit": 2}).json()

    assert [c["title"] for c in page["items"]] == ["Skill 0", "Skill 1"]
    assert page["count"] == 3
    assert page["next"].endswith(f"category_id={skills.pk}&limit=2&offset=2")


def test_a_category_of_another_academy_is_refused_in_the_catalogue():
    academy = AcademyFactory()
    foreign = CategoryFactory(academy=AcademyFactory())

    response = token_client(learner_in(root_group(academy))).get(
        f"/api/academies/{academy.slug}/catalogue", {"category_id": foreign.pk}
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "category_id"


def test_the_catalogue_refuses_a_huge_limit():
    academy = AcademyFactory()

    response = token_client(learner_in(root_group(academy))).get(
        f"/api/academies/{academy.slug}/catalogue", {"limit": 1000}
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "limit"


def test_a_catalogue_offset_past_the_end_is_an_empty_page():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    CourseFactory(academy=academy, placed_in=team)

    response = token_client(learner_in(team)).get(
        f"/api/academies/{academy.slug}/catalogue", {"offset": 9223372036854775807}
    )

    assert response.status_code == 200
    assert (response.json()["items"], response.json()["count"], response.json()["next"]) == ([], 1, None)


# --- One course ------------------------------------------------------------------------------------


def test_a_provider_course_lists_its_read_only_fields_and_why():
    academy = AcademyFactory()
    course = ProviderCourseFactory(academy=academy)

    body = token_client(training_admin_of(academy)).get(f"/api/academies/{academy.slug}/courses/{course.pk}").json()

    assert body["read_only_fields"] == [
        "title",
        "description",
        "image_url",
        "duration_minutes",
        "language",
        "publisher",
        "launch_url",
    ]
    assert body["read_only_reason"] == READ_ONLY_REASON
    assert body["provider"] == "opensesame"


def test_a_native_course_has_no_read_only_fields():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy)

    body = token_client(training_admin_of(academy)).get(f"/api/academies/{academy.slug}/courses/{course.pk}").json()

    assert (body["read_only_fields"], body["read_only_reason"]) == ([], "")


def test_a_learner_reads_a_catalogue_course_but_not_others():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    learner = learner_in(team)
    placed = CourseFactory(academy=academy, placed_in=team)
    unplaced = CourseFactory(academy=academy)
    client = token_client(learner)

    assert client.get(f"/api/academies/{academy.slug}/courses/{placed.pk}").status_code == 200
    response = client.get(f"/api/academies/{academy.slug}/courses/{unplaced.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"No course {unplaced.pk} in your catalogue."


def test_a_web_link_course_is_created_and_placed():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    skills = CategoryFactory(academy=academy)

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/courses",
        data={
            "title": "Listening",
            "launch_url": "https://learn.example.org/listening",
            "duration_minutes": 30,
            "category_ids": [skills.pk],
            "tags": ["soft skills"],
            "group_ids": [team.pk],
        },
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["title"], body["status"], body["duration_minutes"]) == (
        "web_link",
        "Listening",
        "active",
        30,
    )
    assert (body["category_ids"], body["tags"]) == ([skills.pk], ["soft skills"])
    assert sorted(Placement.objects.filter(course_id=body["id"]).values_list("group_id", "kind")) == [
        (team.pk, "catalogue"),
        (team.pk, "library"),
    ]


def test_a_course_without_an_http_address_is_refused():
    academy = AcademyFactory()

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/courses",
        data={"title": "Bad", "launch_url": "ftp://example.org/x"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "'ftp://example.org/x' is not an http(s) address.",
        "field": "launch_url",
    }
    assert not Course.objects.filter(title="Bad").exists()


def test_learners_do_not_create_courses():
    academy = AcademyFactory()

    response = token_client(learner_in(root_group(academy))).post(
        f"/api/academies/{academy.slug}/courses",
        data={"title": "Mine", "launch_url": "https://example.org"},
        content_type="application/json",
    )

    assert response.status_code == 403


def test_a_native_course_is_changed():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy, title="Old")

    response = token_client(training_admin_of(academy)).patch(
        f"/api/academies/{academy.slug}/courses/{course.pk}",
        data={"title": "New", "visibility": "hidden", "tags": ["b", "a"]},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["visibility"], response.json()["tags"]) == (
        "New",
        "hidden",
        ["a", "b"],
    )
    course.refresh_from_db()
    assert (course.title, course.visibility) == ("New", "hidden")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Mine now"),
        ("description", "x"),
        ("launch_url", "https://example.org/mine"),
        ("duration_minutes", 5),
        ("language", "fr"),
        ("image_url", "https://example.org/i.png"),
    ],
)
def test_a_provider_owned_field_is_refused_with_the_reason(field, value):
    academy = AcademyFactory()
    course = ProviderCourseFactory(academy=academy, title="Theirs")

    response = token_client(training_admin_of(academy)).patch(
        f"/api/academies/{academy.slug}/courses/{course.pk}", data={field: value}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"error": {"code": "read_only", "message": READ_ONLY_REASON, "field": field}}
    course.refresh_from_db()
    assert course.title == "Theirs"


def test_the_local_fields_of_a_provider_course_stay_editable():
    academy = AcademyFactory()
    course = ProviderCourseFactory(academy=academy)
    local = CategoryFactory(academy=academy, name="Ours")

    response = token_client(training_admin_of(academy)).patch(
        f"/api/academies/{academy.slug}/courses/{course.pk}",
        data={"tags": ["pick"], "category_ids": [local.pk], "visibility": "hidden"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert (response.json()["tags"], response.json()["category_ids"], response.json()["visibility"]) == (
        ["pick"],
        [local.pk],
        "hidden",
    )


def test_publisher_is_not_a_field_a_patch_takes():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy)

    response = token_client(training_admin_of(academy)).patch(
        f"/api/academies/{academy.slug}/courses/{course.pk}",
        data={"publisher": "Me"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["message"] == "Unknown field 'publisher'."


# --- Lifecycle -------------------------------------------------------------------------------------


def test_a_course_is_archived_reactivated_and_deactivated_with_reasons():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy)
    admin = training_admin_of(academy, username="keeper")
    client = token_client(admin)
    base = f"/api/academies/{academy.slug}/courses/{course.pk}"

    archived = client.post(f"{base}/archive", data={"reason": "Outdated"}, content_type="application/json")
    reactivated = client.post(f"{base}/reactivate", data={"reason": "Updated"}, content_type="application/json")
    deactivated = client.post(f"{base}/deactivate", data={"reason": "Retired"}, content_type="application/json")
    history = client.get(f"{base}/status-changes").json()

    assert (archived.status_code, archived.json()["status"], archived.json()["status_label"]) == (
        200,
        "archived",
        "Archived",
    )
    assert (reactivated.json()["status"], reactivated.json()["status_label"]) == ("active", "")
    assert (deactivated.json()["status"], deactivated.json()["status_reason"]) == ("inactive", "Retired")
    assert [(c["from_status"], c["to_status"], c["reason"], c["changed_by"]) for c in history["items"]] == [
        ("active", "inactive", "Retired", "keeper"),
        ("archived", "active", "Updated", "keeper"),
        ("active", "archived", "Outdated", "keeper"),
    ]


def test_a_lifecycle_change_needs_a_reason():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy)

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/courses/{course.pk}/archive",
        data={"reason": " "},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Say why: every lifecycle change keeps its reason.",
        "field": "reason",
    }
    assert CourseStatusChange.objects.count() == 0


def test_archiving_twice_is_a_conflict():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy)
    course_archive(course=course, reason="Old")

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/courses/{course.pk}/archive",
        data={"reason": "Again"},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["message"] == "The course is already archived."


def test_learners_do_not_change_the_lifecycle():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    course = CourseFactory(academy=academy, placed_in=team)

    response = token_client(learner_in(team)).post(
        f"/api/academies/{academy.slug}/courses/{course.pk}/archive",
        data={"reason": "Bored"},
        content_type="application/json",
    )

    assert response.status_code == 403
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


# --- Placements ------------------------------------------------------------------------------------


def test_a_course_is_placed_and_removed():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy, name="Team")
    course = CourseFactory(academy=academy)
    client = token_client(training_admin_of(academy))
    url = f"/api/academies/{academy.slug}/courses/{course.pk}/placements"

    added = client.post(
        url, data={"group_id": team.pk, "kinds": ["catalogue", "library"]}, content_type="application/json"
    )
    removed = client.delete(url, data={"group_id": team.pk, "kinds": ["library"]}, content_type="application/json")
    listed = client.get(url).json()

    assert [(p["group_name"], p["kind"]) for p in added.json()["items"]] == [("Team", "catalogue"), ("Team", "library")]
    assert [(p["group_name"], p["kind"]) for p in removed.json()["items"]] == [("Team", "catalogue")]
    assert [(p["group_id"], p["kind"]) for p in listed["items"]] == [(team.pk, "catalogue")]


def test_a_course_is_placed_in_both_by_default():
    academy = AcademyFactory()
    team = GroupFactory(academy=academy)
    course = CourseFactory(academy=academy)

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/courses/{course.pk}/placements",
        data={"group_id": team.pk},
        content_type="application/json",
    )

    assert sorted(p["kind"] for p in response.json()["items"]) == ["catalogue", "library"]


def test_a_course_is_not_placed_in_another_academys_group():
    academy = AcademyFactory()
    foreign = root_group(AcademyFactory())
    course = CourseFactory(academy=academy)

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/courses/{course.pk}/placements",
        data={"group_id": foreign.pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "group_id"
    assert not Placement.objects.filter(course=course).exists()


def test_the_course_list_is_exported_by_a_job_the_caller_follows(django_capture_on_commit_callbacks):
    from coursebridge.config.celery import app as celery_app

    academy = AcademyFactory(slug="riverside")
    admin = training_admin_of(academy)
    CourseFactory(academy=academy, title="Kept")
    course_archive(course=CourseFactory(academy=academy, title="Old"), reason="Replaced")
    client = token_client(admin)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            started = client.post(
                "/api/academies/riverside/course-exports", {"status": "archived"}, content_type="application/json"
            )
    finally:
        celery_app.conf.task_always_eager = previous

    assert started.status_code == 202
    job_id = started.json()["id"]
    followed = client.get(f"/api/jobs/{job_id}").json()
    assert followed["status"] == "succeeded"
    assert followed["counts"] == {"courses": 1}
    assert followed["download_url"] == f"/jobs/{job_id}/download"
    assert token_client(training_admin_of(academy)).get(f"/api/jobs/{job_id}").status_code == 404


def test_the_export_is_for_training_admins_and_checks_the_status():
    academy = AcademyFactory(slug="riverside")
    learner = learner_in(GroupFactory(academy=academy))

    refused = token_client(learner).post("/api/academies/riverside/course-exports", {}, content_type="application/json")
    wrong = token_client(training_admin_of(academy)).post(
        "/api/academies/riverside/course-exports", {"status": "deleted"}, content_type="application/json"
    )

    assert refused.status_code == 403
    assert wrong.status_code == 422
    assert wrong.json()["error"]["field"] == "status"
