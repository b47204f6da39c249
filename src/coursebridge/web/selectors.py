"""Reads the pages need beyond the apps' own selectors. Each one is scoped: to an academy, or to
the signed-in user."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet

from coursebridge.accounts.models import Academy, ApiToken, Group, Membership, User
from coursebridge.accounts.selectors import administered_groups, is_training_admin, users_in_scope
from coursebridge.catalog.models import Category, Course, CourseStatusChange, Placement
from coursebridge.catalog.selectors import course_visible_to_learner
from coursebridge.learning.models import Enrollment
from coursebridge.learning.services import launch_refusal


def academy_list() -> QuerySet[Academy]:
    """Every academy, for the site admin's start page (the caller checks the site admin)."""
    return Academy.objects.annotate(user_count=Count("users", distinct=True)).order_by("name")


def group_in_academy(*, academy: Academy, group_id: int) -> Group | None:
    return Group.objects.filter(academy=academy, pk=group_id).first()


def administered_group(*, academy: Academy, actor: User, group_id: int) -> Group | None:
    """The group if the actor administers it (it lies in one of the actor's subtrees)."""
    return administered_groups(user=actor, academy=academy).filter(pk=group_id).first()


def group_tree_with_counts(*, academy: Academy, actor: User) -> list[Group]:
    """The groups the actor administers, in tree order, with their member counts."""
    return list(
        administered_groups(user=actor, academy=academy).annotate(
            member_count=Count("memberships__user", distinct=True)
        )
    )


def user_search(*, academy: Academy, actor: User, query: str = "") -> QuerySet[User]:
    """Users the actor may manage, filtered by a few letters of their name, username or email."""
    qs = users_in_scope(academy=academy, actor=actor)
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    return qs


def user_in_scope(*, academy: Academy, actor: User, user_id: int) -> User | None:
    return users_in_scope(academy=academy, actor=actor).filter(pk=user_id).first()


def memberships_of(*, academy: Academy, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, group__academy=academy).select_related("group").order_by(
        "group__path", "role"
    )


def membership_of(*, academy: Academy, user: User, membership_id: int) -> Membership | None:
    return memberships_of(academy=academy, user=user).filter(pk=membership_id).first()


def category_in_academy(*, academy: Academy, category_id: int) -> Category | None:
    return Category.objects.filter(academy=academy, pk=category_id).first()


def local_categories(*, academy: Academy) -> QuerySet[Category]:
    """Categories the academy owns (not a provider's), the ones admins may assign and edit."""
    return Category.objects.filter(academy=academy, provider="").order_by("name")


def course_status_history(*, course: Course) -> QuerySet[CourseStatusChange]:
    return course.status_changes.select_related("changed_by").order_by("-changed_at", "-id")


def course_placements(*, course: Course) -> set[tuple[int, str]]:
    """(group id, placement kind) pairs of the course."""
    return set(Placement.objects.filter(course=course).values_list("group_id", "kind"))


def catalogue_enrollment(*, user: User, course: Course) -> Enrollment | None:
    """The learner's catalogue enrollment in the course, if there is one."""
    return Enrollment.objects.filter(user=user, course=course, entry_key="catalogue").first()


def course_for_presentation(*, academy: Academy, user: User, course_id: int) -> Course | None:
    """The course if the user may open its page: it is placed in their catalogue, they are
    enrolled in it (an inactive course they started, say), or they run the academy."""
    course = Course.objects.filter(academy=academy, pk=course_id).prefetch_related("categories", "tags").first()
    if course is None:
        return None
    if is_training_admin(user=user, academy=academy):
        return course
    if Enrollment.objects.filter(academy=academy, user=user, course=course).exists():
        return course
    if course_visible_to_learner(course=course, user=user):
        return course
    return None


def start_blocked_reason(*, course: Course, enrollment: Enrollment | None) -> str:
    """Why the page shows no START button, or "" when it shows one: the launch gate's own rule."""
    return launch_refusal(course=course, enrollment=enrollment, subject="This course") or ""


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by(F("revoked_at").asc(nulls_first=True), "-created_at")


def api_token_of(*, user: User, token_id: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, pk=token_id).first()
