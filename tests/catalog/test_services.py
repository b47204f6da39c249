from datetime import timedelta

import pytest
from django.utils import timezone

from coursebridge.catalog.models import (
    PROVIDER_OWNED_FIELDS,
    Category,
    Course,
    CourseKind,
    CourseStatus,
    CourseStatusChange,
    Placement,
    PlacementKind,
    Tag,
    Visibility,
)
from coursebridge.catalog.services import (
    ProviderCourseRow,
    category_create,
    category_delete,
    category_rename,
    course_archive,
    course_bulk_upsert,
    course_create,
    course_deactivate,
    course_reactivate,
    course_update,
    placement_add,
    placement_remove,
    provider_categories_ensure,
    tags_ensure,
)
from coursebridge.core.errors import Conflict, DomainError
from tests.factories import (
    AcademyFactory,
    CategoryFactory,
    CourseFactory,
    GroupFactory,
    ProviderCourseFactory,
    UserFactory,
    root_group,
)

pytestmark = pytest.mark.django_db


def tag_names(course: Course) -> list[str]:
    return sorted(course.tags.values_list("name", flat=True))


def category_names(course: Course) -> list[str]:
    return sorted(course.categories.values_list("name", flat=True))


def provider_category(academy, name="Leadership", provider="opensesame"):
    return provider_categories_ensure(academy=academy, provider=provider, paths=[f"|Business|{name}"])[
        f"|Business|{name}"
    ]


# course_create


def test_course_create_makes_an_active_visible_web_link_with_its_search_text():
    academy = AcademyFactory()
    category = category_create(academy=academy, name="Safety")
    group = GroupFactory(academy=academy)

    course = course_create(
        academy=academy, title="  Fire drills ", description="<p>Leave <b>calmly</b> &amp; quickly</p>",
        launch_url="https://learn.example.org/fire", image_url="http://img.example.org/fire.png",
        duration_minutes=30, language="en", category_ids=[category.pk], tags=["  first   aid ", "Fire"],
        groups=[group],
    )

    course.refresh_from_db()
    assert course.title == "Fire drills"
    assert course.kind == CourseKind.WEB_LINK
    assert course.status == CourseStatus.ACTIVE
    assert course.visibility == Visibility.VISIBLE
    assert course.provider == ""
    assert course.external_id is None
    assert course.status_changed_at is not None
    assert category_names(course) == ["Safety"]
    assert tag_names(course) == ["Fire", "first aid"]
    assert course.search_text == "Fire drills Leave calmly & quickly Safety Fire first aid"
    assert sorted(Placement.objects.filter(course=course, group=group).values_list("kind", flat=True)) == [
        PlacementKind.CATALOGUE, PlacementKind.LIBRARY,
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "t" * 301}, "title"),
        ({"launch_url": ""}, "launch_url"),
        ({"launch_url": "not a url"}, "launch_url"),
        ({"launch_url": "ftp://files.example.org/course"}, "launch_url"),
        ({"launch_url": "javascript:alert(1)"}, "launch_url"),
        ({"launch_url": "https://e.org/" + "a" * 1000}, "launch_url"),
        ({"language": "l" * 36}, "language"),
        ({"image_url": "file:///etc/passwd"}, "image_url"),
        ({"kind": CourseKind.PACKAGE}, "kind"),
        ({"kind": CourseKind.PROVIDER}, "kind"),
        ({"kind": "video"}, "kind"),
        ({"visibility": "secret"}, "visibility"),
        ({"duration_minutes": -5}, "duration_minutes"),
        ({"category_ids": [987654321]}, "category_ids"),
    ],
)
def test_course_create_refuses_invalid_input(kwargs, field):
    academy = AcademyFactory()
    values = {"title": "Fire drills", "launch_url": "https://learn.example.org/fire", **kwargs}

    with pytest.raises(DomainError) as exc:
        course_create(academy=academy, **values)

    assert exc.value.field == field
    assert Course.objects.count() == 0


def test_course_create_refuses_another_academys_category_and_group():
    academy = AcademyFactory()
    foreign_category = CategoryFactory()
    foreign_group = GroupFactory()

    with pytest.raises(DomainError) as by_category:
        course_create(academy=academy, title="T", launch_url="https://e.org/", category_ids=[foreign_category.pk])
    with pytest.raises(DomainError) as by_group:
        course_create(academy=academy, title="T", launch_url="https://e.org/", groups=[foreign_group])

    assert by_category.value.field == "category_ids"
    assert by_group.value.field == "group_id"
    assert Course.objects.count() == 0


def test_course_create_refuses_a_provider_category_on_a_native_course():
    academy = AcademyFactory()
    leadership = provider_category(academy)

    with pytest.raises(DomainError) as exc:
        course_create(academy=academy, title="T", launch_url="https://e.org/", category_ids=[leadership.pk])

    assert exc.value.field == "category_ids"
    assert Course.objects.count() == 0


# course_update


def test_course_update_changes_a_native_course_and_its_search_text():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy, title="Old", description="Desc")
    safety = category_create(academy=academy, name="Safety")

    course_update(
        course=course,
        changes={"title": " New ", "description": "<i>Better</i>", "duration_minutes": 15, "language": "fr",
                 "visibility": Visibility.HIDDEN, "category_ids": [safety.pk], "tags": ["drill"]},
    )

    course.refresh_from_db()
    assert (course.title, course.description, course.duration_minutes, course.language, course.visibility) == (
        "New", "<i>Better</i>", 15, "fr", Visibility.HIDDEN,
    )
    assert category_names(course) == ["Safety"]
    assert tag_names(course) == ["drill"]
    assert course.search_text == "New Better Safety drill"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": None}, "title"),
        ({"title": "t" * 301}, "title"),
        ({"launch_url": ""}, "launch_url"),
        ({"launch_url": "mailto:someone@example.org"}, "launch_url"),
        ({"image_url": "nope"}, "image_url"),
        ({"visibility": "secret"}, "visibility"),
        ({"duration_minutes": -1}, "duration_minutes"),
        ({"language": "l" * 36}, "language"),
        ({"image_url": "https://e.org/" + "a" * 1000}, "image_url"),
        ({"status": CourseStatus.ARCHIVED}, "status"),
        ({"provider": "opensesame"}, "provider"),
        ({"external_id": "x"}, "external_id"),
        ({"category_ids": [987654321]}, "category_ids"),
    ],
)
def test_course_update_refuses_invalid_changes_and_leaves_the_course_as_it_was(changes, field):
    course = CourseFactory(title="Fire drills", launch_url="https://e.org/fire")

    with pytest.raises(DomainError) as exc:
        course_update(course=course, changes=changes)

    assert exc.value.field == field
    stored = Course.objects.get(pk=course.pk)
    assert (stored.title, stored.launch_url, stored.visibility, stored.status) == (
        "Fire drills", "https://e.org/fire", Visibility.VISIBLE, CourseStatus.ACTIVE,
    )


@pytest.mark.parametrize("field_name", PROVIDER_OWNED_FIELDS)
def test_course_update_refuses_each_provider_owned_field_with_the_reason(field_name):
    course = ProviderCourseFactory(title="Negotiation", provider="opensesame")
    value = 42 if field_name == "duration_minutes" else "https://changed.example.org/" if "url" in field_name else "x"

    with pytest.raises(DomainError) as exc:
        course_update(course=course, changes={field_name: value})

    assert exc.value.code == "read_only"
    assert exc.value.field == field_name
    assert exc.value.message == course.read_only_reason
    assert "opensesame" in exc.value.message
    assert Course.objects.get(pk=course.pk).title == "Negotiation"


def test_read_only_reason_is_empty_for_native_courses():
    assert CourseFactory().read_only_reason == ""


def test_course_update_accepts_local_fields_on_a_provider_course():
    academy = AcademyFactory()
    course = ProviderCourseFactory(academy=academy, title="Negotiation", description="Win-win")
    mine = category_create(academy=academy, name="Onboarding")

    course_update(course=course, changes={"tags": ["sales"], "category_ids": [mine.pk],
                                          "visibility": Visibility.HIDDEN})

    course.refresh_from_db()
    assert tag_names(course) == ["sales"]
    assert category_names(course) == ["Onboarding"]
    assert course.visibility == Visibility.HIDDEN
    assert course.title == "Negotiation"
    assert course.search_text == "Negotiation Win-win Onboarding sales"


def test_course_update_keeps_provider_categories_when_local_categories_change():
    academy = AcademyFactory()
    course = ProviderCourseFactory(academy=academy)
    leadership = provider_category(academy)
    course.categories.add(leadership)
    first = category_create(academy=academy, name="Onboarding")
    second = category_create(academy=academy, name="Managers")

    course_update(course=course, changes={"category_ids": [first.pk]})
    assert category_names(course) == ["Leadership", "Onboarding"]

    course_update(course=course, changes={"category_ids": [second.pk]})
    assert category_names(course) == ["Leadership", "Managers"]

    course_update(course=course, changes={"category_ids": []})
    assert category_names(course) == ["Leadership"]


def test_course_update_refuses_adding_a_provider_category_to_a_provider_course():
    academy = AcademyFactory()
    course = ProviderCourseFactory(academy=academy)
    other = provider_category(academy, name="Coaching")

    with pytest.raises(DomainError) as exc:
        course_update(course=course, changes={"category_ids": [other.pk]})

    assert exc.value.code == "read_only"
    assert category_names(course) == []


def test_course_update_refuses_a_provider_category_on_a_native_course():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy)

    with pytest.raises(DomainError) as exc:
        course_update(course=course, changes={"category_ids": [provider_category(academy).pk]})

    assert exc.value.field == "category_ids"
    assert category_names(course) == []


# tags and categories


def test_tags_ensure_normalises_and_reuses_tags_per_academy():
    academy = AcademyFactory()
    first = tags_ensure(academy=academy, names=["  Fire  safety", "fire safety", "", "  ", "Fire safety"])
    again = tags_ensure(academy=academy, names=["Fire safety"])
    tags_ensure(academy=AcademyFactory(), names=["Fire safety"])

    assert sorted(t.name for t in first) == ["Fire safety", "fire safety"]
    assert [t.pk for t in again] == [next(t.pk for t in first if t.name == "Fire safety")]
    assert Tag.objects.filter(academy=academy).count() == 2


def test_tags_ensure_refuses_overlong_names():
    with pytest.raises(DomainError) as exc:
        tags_ensure(academy=AcademyFactory(), names=["t" * 101])

    assert exc.value.field == "tags"


def test_category_create_refuses_duplicates_and_provider_parents():
    academy = AcademyFactory()
    safety = category_create(academy=academy, name=" Safety ")
    category_create(academy=academy, name="Fire", parent=safety)

    with pytest.raises(Conflict):
        category_create(academy=academy, name="Safety")
    with pytest.raises(Conflict):
        category_create(academy=academy, name="Fire", parent=safety)
    with pytest.raises(DomainError) as provider_parent:
        category_create(academy=academy, name="Mine", parent=provider_category(academy))
    with pytest.raises(DomainError) as foreign_parent:
        category_create(academy=AcademyFactory(), name="Mine", parent=safety)

    assert provider_parent.value.field == "parent_id"
    assert foreign_parent.value.field == "parent_id"
    assert safety.name == "Safety"


def test_category_names_are_required_and_fit_the_column():
    academy = AcademyFactory()
    safety = category_create(academy=academy, name="Safety")

    for action in (
        lambda: category_create(academy=academy, name="  "),
        lambda: category_create(academy=academy, name="c" * 201),
        lambda: category_rename(category=safety, name=" "),
        lambda: category_rename(category=safety, name="c" * 201),
    ):
        with pytest.raises(DomainError) as exc:
            action()
        assert exc.value.field == "name"
    assert Category.objects.get(academy=academy).name == "Safety"


def test_category_rename_refreshes_the_search_text_of_its_courses():
    academy = AcademyFactory()
    safety = category_create(academy=academy, name="Safety")
    course = course_create(academy=academy, title="Drills", launch_url="https://e.org/", category_ids=[safety.pk])

    category_rename(category=safety, name="Security")

    course.refresh_from_db()
    assert course.search_text == "Drills Security"


def test_category_rename_refuses_a_sibling_name():
    academy = AcademyFactory()
    safety = category_create(academy=academy, name="Safety")
    category_create(academy=academy, name="Security")
    parent = category_create(academy=academy, name="Parent")
    child = category_create(academy=academy, name="Child", parent=parent)
    category_create(academy=academy, name="Sibling", parent=parent)

    with pytest.raises(Conflict) as at_root:
        category_rename(category=safety, name="Security")
    with pytest.raises(Conflict) as below:
        category_rename(category=child, name="Sibling")

    assert (at_root.value.field, below.value.field) == ("name", "name")
    assert Category.objects.get(pk=safety.pk).name == "Safety"
    assert category_rename(category=safety, name="Safety").name == "Safety"


def test_category_delete_removes_it_from_courses_and_their_search_text():
    academy = AcademyFactory()
    safety = category_create(academy=academy, name="Safety")
    course = course_create(academy=academy, title="Drills", launch_url="https://e.org/", category_ids=[safety.pk])

    category_delete(category=safety)

    course.refresh_from_db()
    assert category_names(course) == []
    assert course.search_text == "Drills"


def test_category_delete_refuses_a_category_with_subcategories():
    academy = AcademyFactory()
    safety = category_create(academy=academy, name="Safety")
    category_create(academy=academy, name="Fire", parent=safety)

    with pytest.raises(DomainError):
        category_delete(category=safety)

    assert Category.objects.filter(pk=safety.pk).exists()


def test_provider_categories_cannot_be_renamed_or_deleted():
    academy = AcademyFactory()
    leadership = provider_category(academy)

    with pytest.raises(DomainError) as renamed:
        category_rename(category=leadership, name="Mine")
    with pytest.raises(DomainError) as deleted:
        category_delete(category=leadership)

    assert renamed.value.code == "read_only"
    assert deleted.value.code == "read_only"
    assert "opensesame" in renamed.value.message
    assert Category.objects.get(pk=leadership.pk).name == "Leadership"


def test_provider_categories_ensure_builds_the_tree_idempotently():
    academy = AcademyFactory()
    paths = ["|Business|Leadership", "|Business|Sales", "|Technology", "Business|Leadership|Coaching|", "||"]

    leaves = provider_categories_ensure(academy=academy, provider="opensesame", paths=paths)
    again = provider_categories_ensure(academy=academy, provider="opensesame", paths=paths)

    categories = {c.external_path: c for c in Category.objects.filter(academy=academy)}
    assert sorted(categories) == [
        "|Business", "|Business|Leadership", "|Business|Leadership|Coaching", "|Business|Sales", "|Technology",
    ]
    business = categories["|Business"]
    assert business.parent is None
    assert categories["|Business|Leadership"].parent == business
    assert categories["|Business|Sales"].parent == business
    assert categories["|Business|Leadership|Coaching"].parent == categories["|Business|Leadership"]
    assert categories["|Technology"].parent is None
    assert {c.provider for c in categories.values()} == {"opensesame"}
    assert all(c.is_provider_owned for c in categories.values())
    assert {k: v.name for k, v in leaves.items()} == {
        "|Business|Leadership": "Leadership", "|Business|Sales": "Sales", "|Technology": "Technology",
        "Business|Leadership|Coaching|": "Coaching",
    }
    assert {k: v.pk for k, v in again.items()} == {k: v.pk for k, v in leaves.items()}


def test_provider_categories_ensure_keeps_providers_and_academies_apart():
    academy = AcademyFactory()
    local = category_create(academy=academy, name="Business")

    mine = provider_categories_ensure(academy=academy, provider="opensesame", paths=["|Business"])["|Business"]
    theirs = provider_categories_ensure(academy=academy, provider="openclassrooms", paths=["|Business"])["|Business"]
    elsewhere = provider_categories_ensure(academy=AcademyFactory(), provider="opensesame", paths=["|Business"])

    assert len({local.pk, mine.pk, theirs.pk, elsewhere["|Business"].pk}) == 4


# lifecycle


def test_every_lifecycle_change_is_recorded_with_reason_time_and_states():
    admin = UserFactory()
    course = CourseFactory(academy=admin.academy)
    before = timezone.now()

    course_deactivate(course=course, reason="  Retired by provider ", by=admin)
    course_reactivate(course=course, reason="Back in the catalog", by=admin)
    course_archive(course=course, reason="Obsolete", by=None)

    changes = list(CourseStatusChange.objects.filter(course=course).order_by("id"))
    assert [(c.from_status, c.to_status, c.reason, c.changed_by_id) for c in changes] == [
        (CourseStatus.ACTIVE, CourseStatus.INACTIVE, "Retired by provider", admin.pk),
        (CourseStatus.INACTIVE, CourseStatus.ACTIVE, "Back in the catalog", admin.pk),
        (CourseStatus.ACTIVE, CourseStatus.ARCHIVED, "Obsolete", None),
    ]
    assert all(before <= c.changed_at <= timezone.now() for c in changes)
    stored = Course.objects.get(pk=course.pk)
    assert (stored.status, stored.status_reason, stored.status_changed_at) == (
        CourseStatus.ARCHIVED, "Obsolete", changes[-1].changed_at,
    )


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_lifecycle_change_needs_a_reason(reason):
    course = CourseFactory()

    with pytest.raises(DomainError) as exc:
        course_archive(course=course, reason=reason)

    assert exc.value.field == "reason"
    assert Course.objects.get(pk=course.pk).status == CourseStatus.ACTIVE
    assert CourseStatusChange.objects.count() == 0


def test_a_no_op_lifecycle_change_is_refused():
    course = CourseFactory()
    course_archive(course=course, reason="Obsolete")

    with pytest.raises(Conflict) as archived_again:
        course_archive(course=course, reason="Again")
    course_reactivate(course=course, reason="Needed")
    with pytest.raises(Conflict):
        course_reactivate(course=course, reason="Again")
    course_deactivate(course=course, reason="Retired")
    with pytest.raises(Conflict):
        course_deactivate(course=course, reason="Again")

    assert archived_again.value.field == "status"
    assert CourseStatusChange.objects.filter(course=course).count() == 3


def test_archive_then_reactivate_restores_an_active_course():
    course = CourseFactory()

    course_archive(course=course, reason="Obsolete")
    assert Course.objects.get(pk=course.pk).status_before_archive == CourseStatus.ACTIVE
    course_reactivate(course=course, reason="Needed again")

    stored = Course.objects.get(pk=course.pk)
    assert (stored.status, stored.status_before_archive) == (CourseStatus.ACTIVE, "")


def test_archive_then_reactivate_restores_an_inactive_course_to_inactive():
    course = CourseFactory()
    course_deactivate(course=course, reason="Retired by provider")

    course_archive(course=course, reason="Cleanup")
    course_reactivate(course=course, reason="Undo cleanup")

    stored = Course.objects.get(pk=course.pk)
    assert (stored.status, stored.status_reason, stored.status_before_archive) == (
        CourseStatus.INACTIVE, "Undo cleanup", "",
    )
    last = CourseStatusChange.objects.filter(course=course).first()
    assert (last.from_status, last.to_status) == (CourseStatus.ARCHIVED, CourseStatus.INACTIVE)


def test_archive_keeps_placements_categories_tags_and_visibility():
    academy = AcademyFactory()
    group = GroupFactory(academy=academy)
    safety = category_create(academy=academy, name="Safety")
    course = course_create(academy=academy, title="Drills", launch_url="https://e.org/", category_ids=[safety.pk],
                           tags=["fire"], groups=[group], visibility=Visibility.HIDDEN)

    course_archive(course=course, reason="Obsolete")
    course_reactivate(course=course, reason="Back")

    stored = Course.objects.get(pk=course.pk)
    assert stored.visibility == Visibility.HIDDEN
    assert category_names(stored) == ["Safety"]
    assert tag_names(stored) == ["fire"]
    assert Placement.objects.filter(course=course).count() == 2


# placements


def test_placement_add_is_idempotent_and_remove_removes_only_the_kinds_given():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy)
    group = GroupFactory(academy=academy)

    placement_add(course=course, group=group, kinds=[PlacementKind.CATALOGUE])
    placement_add(course=course, group=group, kinds=[PlacementKind.CATALOGUE, PlacementKind.LIBRARY])
    assert Placement.objects.filter(course=course, group=group).count() == 2

    placement_remove(course=course, group=group, kinds=[PlacementKind.CATALOGUE])
    assert list(Placement.objects.filter(course=course).values_list("kind", "academy_id")) == [
        (PlacementKind.LIBRARY, academy.pk),
    ]


def test_placement_add_refuses_another_academys_group_and_unknown_kinds():
    course = CourseFactory()

    with pytest.raises(DomainError) as foreign:
        placement_add(course=course, group=GroupFactory(), kinds=[PlacementKind.CATALOGUE])
    with pytest.raises(DomainError) as unknown:
        placement_add(course=course, group=root_group(course.academy), kinds=["shelf"])

    assert foreign.value.field == "group_id"
    assert unknown.value.field == "kind"
    assert Placement.objects.count() == 0


# course_bulk_upsert


def rows(*items: tuple[str, str], **extra) -> list[ProviderCourseRow]:
    return [ProviderCourseRow(external_id=eid, title=title, **extra) for eid, title in items]


def test_course_bulk_upsert_inserts_provider_courses_and_returns_their_ids():
    academy = AcademyFactory()

    ids = course_bulk_upsert(
        academy=academy, provider="opensesame",
        rows=[
            ProviderCourseRow(
                external_id="os-1", title="Negotiation", description="<p>Win-win</p>",
                launch_url="https://os.example.org/1", image_url="https://os.example.org/1.png",
                duration_minutes=45, language="en", publisher="Acme Learning", content_hash="h1",
                category_names=["Business", "Sales"],
            ),
            ProviderCourseRow(external_id="os-2", title="Coaching"),
        ],
    )

    assert set(ids) == {"os-1", "os-2"}
    first = Course.objects.get(pk=ids["os-1"])
    assert (first.academy_id, first.kind, first.provider, first.external_id) == (
        academy.pk, CourseKind.PROVIDER, "opensesame", "os-1",
    )
    assert (first.title, first.description, first.launch_url, first.image_url) == (
        "Negotiation", "<p>Win-win</p>", "https://os.example.org/1", "https://os.example.org/1.png",
    )
    assert (first.duration_minutes, first.language, first.publisher, first.content_hash) == (
        45, "en", "Acme Learning", "h1",
    )
    assert (first.status, first.visibility) == (CourseStatus.ACTIVE, Visibility.VISIBLE)
    assert first.search_text == "Negotiation Win-win Business Sales"
    assert Course.objects.get(pk=ids["os-2"]).title == "Coaching"


def test_course_bulk_upsert_updates_by_external_id_without_touching_local_fields():
    academy = AcademyFactory()
    group = GroupFactory(academy=academy)
    ids = course_bulk_upsert(academy=academy, provider="opensesame", rows=rows(("os-1", "Negotiation")))
    course = Course.objects.get(pk=ids["os-1"])
    onboarding = category_create(academy=academy, name="Onboarding")
    course_update(course=course, changes={"tags": ["sales kickoff"], "category_ids": [onboarding.pk],
                                          "visibility": Visibility.HIDDEN})
    placement_add(course=course, group=group, kinds=[PlacementKind.CATALOGUE])
    course_deactivate(course=course, reason="Removed by provider")
    created_at = Course.objects.get(pk=course.pk).created_at

    again = course_bulk_upsert(
        academy=academy, provider="opensesame",
        rows=[ProviderCourseRow(external_id="os-1", title="Negotiation 2.0", description="Updated",
                                content_hash="h2")],
    )

    assert again == ids
    stored = Course.objects.get(pk=course.pk)
    assert (stored.title, stored.description, stored.content_hash) == ("Negotiation 2.0", "Updated", "h2")
    assert (stored.status, stored.status_reason, stored.visibility) == (
        CourseStatus.INACTIVE, "Removed by provider", Visibility.HIDDEN,
    )
    assert stored.created_at == created_at
    assert tag_names(stored) == ["sales kickoff"]
    assert category_names(stored) == ["Onboarding"]
    assert Placement.objects.filter(course=course).count() == 1
    assert "sales kickoff" in stored.search_text
    assert "Onboarding" in stored.search_text
    assert stored.search_text.startswith("Negotiation 2.0 Updated")
    assert Course.objects.filter(academy=academy).count() == 1


def test_course_bulk_upsert_keys_on_academy_and_provider():
    first, second = AcademyFactory(), AcademyFactory()

    a = course_bulk_upsert(academy=first, provider="opensesame", rows=rows(("x-1", "One")))
    b = course_bulk_upsert(academy=second, provider="opensesame", rows=rows(("x-1", "Two")))
    c = course_bulk_upsert(academy=first, provider="openclassrooms", rows=rows(("x-1", "Three")))

    assert len({a["x-1"], b["x-1"], c["x-1"]}) == 3
    assert Course.objects.get(pk=a["x-1"]).title == "One"


def test_course_bulk_upsert_works_across_batches():
    academy = AcademyFactory()
    items = [(f"os-{i}", f"Course {i}") for i in range(7)]

    ids = course_bulk_upsert(academy=academy, provider="opensesame", rows=rows(*items), batch_size=3)
    again = course_bulk_upsert(academy=academy, provider="opensesame", rows=rows(*items), batch_size=2)

    assert sorted(ids) == sorted(eid for eid, _ in items)
    assert again == ids
    assert Course.objects.filter(academy=academy).count() == 7


def test_course_bulk_upsert_takes_the_last_row_of_a_repeated_external_id():
    academy = AcademyFactory()

    ids = course_bulk_upsert(academy=academy, provider="opensesame",
                             rows=rows(("os-1", "First"), ("os-2", "Other"), ("os-1", "Second")))

    assert sorted(ids) == ["os-1", "os-2"]
    assert Course.objects.get(pk=ids["os-1"]).title == "Second"
    assert Course.objects.filter(academy=academy).count() == 2


def test_course_bulk_upsert_needs_a_provider():
    with pytest.raises(DomainError) as exc:
        course_bulk_upsert(academy=AcademyFactory(), provider="", rows=rows(("os-1", "T")))

    assert exc.value.field == "provider"
    assert Course.objects.count() == 0


def test_course_bulk_upsert_of_nothing_returns_nothing():
    assert course_bulk_upsert(academy=AcademyFactory(), provider="opensesame", rows=[]) == {}


def test_course_bulk_upsert_leaves_the_status_change_time_of_existing_courses():
    academy = AcademyFactory()
    ids = course_bulk_upsert(academy=academy, provider="opensesame", rows=rows(("os-1", "T")))
    long_ago = timezone.now() - timedelta(days=30)
    Course.objects.filter(pk=ids["os-1"]).update(status_changed_at=long_ago)

    course_bulk_upsert(academy=academy, provider="opensesame", rows=rows(("os-1", "T2")))

    assert Course.objects.get(pk=ids["os-1"]).status_changed_at == long_ago
