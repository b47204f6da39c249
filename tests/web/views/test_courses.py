import pytest
from django.urls import reverse

from coursebridge.accounts.models import Role
from coursebridge.catalog.models import Course, CourseStatus, CourseStatusChange, Placement, PlacementKind
from coursebridge.catalog.services import course_archive, provider_categories_ensure
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


def url(name, academy, **kwargs):
    return reverse(f"web:{name}", kwargs={"slug": academy.slug, **kwargs})


def showing(first, last, total):
    return f"Showing {first}\u2013{last} of {total}"


@pytest.fixture
def academy():
    return AcademyFactory()


@pytest.fixture
def admin_client(academy, client_for):
    return client_for(training_admin_of(academy))


# The list


def test_course_list_shows_every_course_with_its_provider_and_status(academy, admin_client):
    CourseFactory(academy=academy, title="Native course")
    ProviderCourseFactory(academy=academy, title="Provider course", provider="opensesame")
    course_archive(course=CourseFactory(academy=academy, title="Old course"), reason="Replaced")
    CourseFactory(title="Another academy's course")

    response = admin_client.get(url("course_list", academy))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Native course" in content and "Provider course" in content and "Old course" in content
    assert "Another academy" not in content
    assert '<td data-label="Provider">opensesame</td>' in content
    assert '<span class="badge status-archived">Archived</span>' in content
    assert "<br><span class=\"muted small\">Replaced</span>" in content


def test_course_list_search_status_filter_and_paging(academy, admin_client):
    for n in range(30):
        CourseFactory(academy=academy, title=f"Topic {n:02d}")
    leadership = CourseFactory(academy=academy, title="Leadership")
    course_archive(course=leadership, reason="Old")

    first = admin_client.get(url("course_list", academy)).content.decode()
    second = admin_client.get(url("course_list", academy), {"page": 2}).content.decode()
    searched = admin_client.get(url("course_list", academy), {"q": "leader"}).content.decode()
    archived = admin_client.get(url("course_list", academy), {"status": "archived"}).content.decode()
    active = admin_client.get(url("course_list", academy), {"status": "active", "q": "leader"}).content.decode()

    assert showing(1, 25, 31) in first
    assert showing(26, 31, 31) in second
    assert "Leadership" in searched and "Topic 01" not in searched
    assert "Leadership" in archived and "Topic 01" not in archived
    assert '<option value="archived" selected>' in archived
    assert "No course matches these filters." in active


def test_course_admin_pages_are_for_training_admins(academy, client_for):
    group = GroupFactory(academy=academy)
    group_admin = UserFactory(academy=academy)
    member(group_admin, group, Role.GROUP_ADMIN)
    course = CourseFactory(academy=academy)

    for user in (group_admin, learner_in(group)):
        client = client_for(user)
        assert client.get(url("course_list", academy)).status_code == 403
        assert client.get(url("course_edit", academy, course_id=course.pk)).status_code == 403
        assert client.post(url("course_archive", academy, course_id=course.pk), {"reason": "x"}).status_code == 403
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


# Lifecycle


def test_archive_and_reactivate_round_trip_keeps_reasons(academy, admin_client):
    group = GroupFactory(academy=academy)
    course = CourseFactory(academy=academy, title="Negotiation", placed_in=group)

    form = admin_client.get(url("course_archive", academy, course_id=course.pk))
    archived = admin_client.post(url("course_archive", academy, course_id=course.pk), {"reason": "Outdated"})
    course.refresh_from_db()
    status_after_archive = course.status
    reactivated = admin_client.post(url("course_reactivate", academy, course_id=course.pk), {"reason": "Updated"})
    course.refresh_from_db()

    assert form.status_code == 200
    assert "Reason to archive “Negotiation”" in form.content.decode()
    assert archived.status_code == 302
    assert archived["Location"] == url("course_list", academy)
    assert status_after_archive == CourseStatus.ARCHIVED
    assert reactivated.status_code == 302
    assert course.status == CourseStatus.ACTIVE
    changes = CourseStatusChange.objects.filter(course=course).order_by("id")
    assert list(changes.values_list("from_status", "to_status", "reason")) == [
        ("active", "archived", "Outdated"), ("archived", "active", "Updated"),
    ]
    assert Placement.objects.filter(course=course).count() == 2


def test_deactivate_from_htmx_answers_the_updated_row(academy, admin_client):
    course = CourseFactory(academy=academy, title="Negotiation")
    headers = {"HX-Request": "true"}

    form = admin_client.get(url("course_deactivate", academy, course_id=course.pk), headers=headers)
    response = admin_client.post(url("course_deactivate", academy, course_id=course.pk), {"reason": "Retired"},
                                 headers=headers)

    form_content = form.content.decode()
    assert "<html" not in form_content
    assert f'hx-post="{url("course_deactivate", academy, course_id=course.pk)}"' in form_content
    content = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#course-{course.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    assert content.startswith(f'<tr id="course-{course.pk}">')
    assert '<span class="badge status-inactive">Inactive</span>' in content
    assert ">Reactivate</a>" in content and ">Archive</a>" in content and ">Deactivate</a>" not in content
    course.refresh_from_db()
    assert course.status == CourseStatus.INACTIVE


def test_lifecycle_change_needs_a_reason(academy, admin_client):
    course = CourseFactory(academy=academy)

    response = admin_client.post(url("course_archive", academy, course_id=course.pk), {"reason": ""})

    assert response.status_code == 400
    assert "Say why: every lifecycle change keeps its reason." in response.content.decode()
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_refused_lifecycle_change_shows_the_services_message(academy, admin_client):
    course = CourseFactory(academy=academy)

    response = admin_client.post(url("course_reactivate", academy, course_id=course.pk), {"reason": "Why not"},
                                 headers={"HX-Request": "true"})

    assert response.status_code == 400
    assert "The course is already active." in response.content.decode()
    assert not CourseStatusChange.objects.exists()


def test_lifecycle_from_the_edit_page_returns_there(academy, admin_client):
    course = CourseFactory(academy=academy)
    edit = url("course_edit", academy, course_id=course.pk)

    response = admin_client.post(url("course_archive", academy, course_id=course.pk),
                                 {"reason": "Old", "next": edit})
    outside = admin_client.post(url("course_reactivate", academy, course_id=course.pk),
                                {"reason": "Back", "next": "https://evil.example.org/"})

    assert response["Location"] == edit
    assert outside["Location"] == url("course_list", academy)


# Create


def test_create_a_web_link_course_placed_in_groups(academy, admin_client):
    group = GroupFactory(academy=academy, name="Sales")
    category = CategoryFactory(academy=academy, name="Skills")

    response = admin_client.post(url("course_new", academy), {
        "title": "Cold calling", "launch_url": "https://learn.example.org/cold", "description": "Call.",
        "duration_minutes": "30", "language": "en", "visibility": "visible", "categories": [category.pk],
        "tags": "phone, sales", "groups": [group.pk],
    })

    course = Course.objects.get(title="Cold calling")
    assert response.status_code == 302
    assert response["Location"] == url("course_edit", academy, course_id=course.pk)
    assert course.academy == academy
    assert course.duration_minutes == 30
    assert [c.name for c in course.categories.all()] == ["Skills"]
    assert sorted(t.name for t in course.tags.all()) == ["phone", "sales"]
    assert set(Placement.objects.filter(course=course).values_list("group_id", "kind")) == {
        (group.pk, PlacementKind.CATALOGUE), (group.pk, PlacementKind.LIBRARY),
    }


def test_create_without_a_launch_address_shows_the_services_message_next_to_it(academy, admin_client):
    response = admin_client.post(url("course_new", academy), {"title": "No address", "visibility": "visible"})

    content = response.content.decode()
    assert response.status_code == 400
    assert "A web-link course needs the address it opens." in content.split('for="id_launch_url"')[1].split(
        "</div>")[0]
    assert not Course.objects.exists()


# Edit


def test_provider_course_fields_are_disabled_with_the_reason(academy, admin_client):
    course = ProviderCourseFactory(academy=academy, title="Provider title", provider="opensesame",
                                   publisher="Acme Learning")
    leaf = provider_categories_ensure(academy=academy, provider="opensesame", paths=["|Business|Leadership"])
    course.categories.add(leaf["|Business|Leadership"])

    response = admin_client.get(url("course_edit", academy, course_id=course.pk))

    content = response.content.decode()
    assert response.status_code == 200
    for name in ("title", "description", "launch_url", "image_url", "duration_minutes", "language"):
        tag = content.split(f'name="{name}"')[1].split(">")[0]
        assert "disabled" in tag, name
    for name in ("visibility", "tags"):
        assert "disabled" not in content.split(f'name="{name}"')[1].split(">")[0], name
    assert course.read_only_reason.replace("'", "&#x27;") in content
    assert content.count(course.read_only_reason) >= 7  # beside each provider field, and once for all
    assert '<input value="Acme Learning" disabled>' in content
    assert '<span class="chip locked"' in content and ">Leadership</span>" in content


def test_provider_course_takes_local_changes_and_ignores_provider_fields(academy, admin_client):
    course = ProviderCourseFactory(academy=academy, title="Provider title")
    local = CategoryFactory(academy=academy, name="Onboarding")

    response = admin_client.post(url("course_edit", academy, course_id=course.pk), {
        "title": "Hijacked", "visibility": "hidden", "tags": "new, starter", "categories": [local.pk],
    })

    course.refresh_from_db()
    assert response.status_code == 302
    assert course.title == "Provider title"
    assert course.visibility == "hidden"
    assert sorted(t.name for t in course.tags.all()) == ["new", "starter"]
    assert [c.name for c in course.categories.all()] == ["Onboarding"]


def test_native_course_edit_saves_and_shows_history(academy, admin_client):
    course = CourseFactory(academy=academy, title="Old title")
    course_archive(course=course, reason="Parked for now")

    response = admin_client.post(url("course_edit", academy, course_id=course.pk), {
        "title": "New title", "launch_url": course.launch_url, "description": "", "visibility": "visible",
        "tags": "",
    })
    page = admin_client.get(url("course_edit", academy, course_id=course.pk)).content.decode()

    course.refresh_from_db()
    assert response.status_code == 302
    assert course.title == "New title"
    assert "Parked for now" in page
    assert (
        '<span class="badge status-active">Active</span> → <span class="badge status-archived">Archived</span>'
    ) in page
    assert 'disabled' not in page.split('name="title"')[1].split(">")[0]


def test_native_course_edit_refusal_lands_next_to_the_field(academy, admin_client):
    course = CourseFactory(academy=academy, title="Keep me")

    response = admin_client.post(url("course_edit", academy, course_id=course.pk), {
        "title": "Keep me", "launch_url": "", "visibility": "visible",
    })

    content = response.content.decode()
    assert response.status_code == 400
    assert "A web-link course needs the address it opens." in content.split('for="id_launch_url"')[1].split(
        "</div>")[0]


def test_placements_are_edited_per_group(academy, admin_client):
    sales, support = GroupFactory(academy=academy, name="Sales"), GroupFactory(academy=academy, name="Support")
    course = CourseFactory(academy=academy, placed_in=sales)

    page = admin_client.get(url("course_edit", academy, course_id=course.pk)).content.decode()
    response = admin_client.post(url("course_placements", academy, course_id=course.pk), {
        "catalogue": [str(support.pk)], "library": [str(sales.pk), str(root_group(academy).pk)],
    })

    assert f'name="catalogue" value="{sales.pk}" aria-label="Sales: catalogue" checked' in page
    assert f'name="catalogue" value="{support.pk}" aria-label="Support: catalogue">' in page
    assert response.status_code == 302
    assert set(Placement.objects.filter(course=course).values_list("group_id", "kind")) == {
        (support.pk, "catalogue"), (sales.pk, "library"), (root_group(academy).pk, "library"),
    }


def test_placements_refuse_another_academys_group(academy, admin_client):
    course = CourseFactory(academy=academy)
    foreign = GroupFactory()

    response = admin_client.post(url("course_placements", academy, course_id=course.pk),
                                 {"catalogue": [str(foreign.pk)]})

    assert response.status_code == 400
    assert not Placement.objects.filter(course=course).exists()
