"""Factories for tests: real rows through the real services where a service owns the invariants."""

from __future__ import annotations

import factory

from coursebridge.accounts.models import Academy, Group, Membership, Role, User
from coursebridge.accounts.services import academy_create, group_create
from coursebridge.catalog.models import Category, Course, CourseKind, Placement, PlacementKind
from coursebridge.catalog.services import course_refresh_search_text

PASSWORD = "correct-horse-battery-staple"


class AcademyFactory(factory.django.DjangoModelFactory):
    """An academy with its root group, as academy_create makes it."""

    class Meta:
        model = Academy

    slug = factory.Sequence(lambda n: f"academy-{n}")
    name = factory.Sequence(lambda n: f"Academy {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return academy_create(slug=kwargs["slug"], name=kwargs["name"])


def root_group(academy: Academy) -> Group:
    return Group.objects.get(academy=academy, parent__isnull=True)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    academy = factory.SubFactory(AcademyFactory)
    parent = factory.LazyAttribute(lambda o: root_group(o.academy))
    name = factory.Sequence(lambda n: f"Group {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return group_create(parent=kwargs["parent"], name=kwargs["name"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    academy = factory.SubFactory(AcademyFactory)
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Learner{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def member(user: User, group: Group, role: str = Role.LEARNER) -> Membership:
    return Membership.objects.create(user=user, group=group, role=role)


def learner_in(group: Group, **kwargs) -> User:
    user = UserFactory(academy=group.academy, **kwargs)
    member(user, group, Role.LEARNER)
    return user


def training_admin_of(academy: Academy, **kwargs) -> User:
    user = UserFactory(academy=academy, **kwargs)
    member(user, root_group(academy), Role.TRAINING_ADMIN)
    return user


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    academy = factory.SubFactory(AcademyFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class CourseFactory(factory.django.DjangoModelFactory):
    """A web-link course; pass `placed_in=group` to put it in that group's catalogue and library."""

    class Meta:
        model = Course
        skip_postgeneration_save = True

    academy = factory.SubFactory(AcademyFactory)
    kind = CourseKind.WEB_LINK
    title = factory.Sequence(lambda n: f"Course {n}")
    description = "A course."
    launch_url = factory.Sequence(lambda n: f"https://learn.example.org/course/{n}")

    @factory.post_generation
    def placed_in(obj, create, extracted, **kwargs):
        if create and extracted is not None:
            for kind in (PlacementKind.CATALOGUE, PlacementKind.LIBRARY):
                Placement.objects.create(academy=obj.academy, group=extracted, course=obj, kind=kind)

    @factory.post_generation
    def index(obj, create, extracted, **kwargs):
        if create:
            course_refresh_search_text(course=obj)


class ProviderCourseFactory(CourseFactory):
    kind = CourseKind.PROVIDER
    provider = "opensesame"
    external_id = factory.Sequence(lambda n: f"os-{n}")
