import pytest

from coursebridge.accounts.services import group_create
from coursebridge.catalog.models import Course, CourseStatus, PlacementKind, Visibility
from coursebridge.catalog.selectors import (
    category_descendant_ids,
    category_tree,
    course_get,
    course_list,
    course_visible_to_learner,
)
from coursebridge.catalog.services import (
    category_create,
    course_archive,
    course_deactivate,
    course_update,
    placement_add,
    placement_remove,
    provider_categories_ensure,
)
from tests.factories import AcademyFactory, CourseFactory, ProviderCourseFactory, learner_in, root_group

pytestmark = pytest.mark.django_db


def test_course_list_shows_every_course_of_the_academy_whatever_its_lifecycle():
    academy = AcademyFactory()
    CourseFactory(academy=academy, title="Bravo")
    course_deactivate(course=CourseFactory(academy=academy, title="Alpha"), reason="Retired")
    course_archive(course=CourseFactory(academy=academy, title="Charlie"), reason="Old")
    CourseFactory(title="Alpha elsewhere")

    assert [c.title for c in course_list(academy=academy)] == ["Alpha", "Bravo", "Charlie"]
    assert [c.title for c in course_list(academy=academy, status=CourseStatus.ARCHIVED)] == ["Charlie"]
    assert [c.title for c in course_list(academy=academy, status=CourseStatus.INACTIVE)] == ["Alpha"]


def test_course_list_query_matches_title_part_external_id_or_provider():
    academy = AcademyFactory()
    ProviderCourseFactory(academy=academy, title="Negotiation", external_id="OS-77", provider="opensesame")
    CourseFactory(academy=academy, title="Safe negotiation habits")
    CourseFactory(academy=academy, title="Cooking")

    assert [c.title for c in course_list(academy=academy, query="NEGOTIATION")] == [
        "Negotiation", "Safe negotiation habits",
    ]
    assert [c.title for c in course_list(academy=academy, query="os-77")] == ["Negotiation"]
    assert [c.title for c in course_list(academy=academy, query="OpenSesame")] == ["Negotiation"]
    assert [c.title for c in course_list(academy=academy, query="os-7")] == []


def test_course_get_is_scoped_to_the_academy():
    academy = AcademyFactory()
    mine = CourseFactory(academy=academy)
    theirs = CourseFactory()

    assert course_get(academy=academy, course_id=mine.pk) == mine
    with pytest.raises(Course.DoesNotExist):
        course_get(academy=academy, course_id=theirs.pk)


def test_category_descendant_ids_are_the_category_and_everything_below():
    academy = AcademyFactory()
    business = category_create(academy=academy, name="Business")
    leadership = category_create(academy=academy, name="Leadership", parent=business)
    coaching = category_create(academy=academy, name="Coaching", parent=leadership)
    sales = category_create(academy=academy, name="Sales", parent=business)
    category_create(academy=academy, name="Technology")

    assert sorted(category_descendant_ids(academy=academy, category_id=business.pk)) == sorted(
        [business.pk, leadership.pk, coaching.pk, sales.pk]
    )
    assert sorted(category_descendant_ids(academy=academy, category_id=leadership.pk)) == sorted(
        [leadership.pk, coaching.pk]
    )
    assert category_descendant_ids(academy=academy, category_id=coaching.pk) == [coaching.pk]


def test_category_tree_is_in_tree_order_with_depths():
    academy = AcademyFactory()
    business = category_create(academy=academy, name="Business")
    category_create(academy=academy, name="Sales", parent=business)
    leadership = category_create(academy=academy, name="Leadership", parent=business)
    category_create(academy=academy, name="Coaching", parent=leadership)
    category_create(academy=academy, name="Art")
    provider_categories_ensure(academy=academy, provider="opensesame", paths=["|Zen|Calm"])
    category_create(academy=AcademyFactory(), name="Elsewhere")

    assert [(c.name, depth) for c, depth in category_tree(academy=academy)] == [
        ("Art", 0), ("Business", 0), ("Leadership", 1), ("Coaching", 2), ("Sales", 1), ("Zen", 0), ("Calm", 1),
    ]


def test_course_visible_to_learner_follows_catalogue_placements_up_the_tree():
    academy = AcademyFactory()
    root = root_group(academy)
    sales = group_create(parent=root, name="Sales")
    emea = group_create(parent=sales, name="EMEA")
    americas = group_create(parent=sales, name="Americas")
    learner = learner_in(emea)

    assert course_visible_to_learner(course=CourseFactory(academy=academy, placed_in=emea), user=learner)
    assert course_visible_to_learner(course=CourseFactory(academy=academy, placed_in=sales), user=learner)
    assert course_visible_to_learner(course=CourseFactory(academy=academy, placed_in=root), user=learner)
    assert not course_visible_to_learner(course=CourseFactory(academy=academy, placed_in=americas), user=learner)
    assert not course_visible_to_learner(course=CourseFactory(academy=academy), user=learner)


def test_course_visible_to_learner_needs_a_visible_catalogue_placement():
    academy = AcademyFactory()
    group = group_create(parent=root_group(academy), name="Sales")
    learner = learner_in(group)
    course = CourseFactory(academy=academy, placed_in=group)

    placement_remove(course=course, group=group, kinds=[PlacementKind.CATALOGUE])
    assert not course_visible_to_learner(course=course, user=learner)

    placement_add(course=course, group=group, kinds=[PlacementKind.CATALOGUE])
    course_update(course=course, changes={"visibility": Visibility.HIDDEN})
    assert not course_visible_to_learner(course=course, user=learner)


def test_course_visible_to_learner_is_false_across_academies():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy, placed_in=root_group(academy))
    stranger = learner_in(root_group(AcademyFactory()))

    assert not course_visible_to_learner(course=course, user=stranger)
