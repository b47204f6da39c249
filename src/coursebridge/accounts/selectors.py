"""Reads of academies, users, groups and roles; and the permission questions built on them."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from coursebridge.accounts.models import Academy, Group, Membership, Role, User


def academy_for_user(*, user: User, slug: str) -> Academy | None:
    """The academy `slug` if the user may enter it (its own, or any for a site admin), else None."""
    academy = Academy.objects.filter(slug=slug).first()
    if academy is None:
        return None
    if user.is_site_admin or user.academy_id == academy.pk:
        return academy
    return None


def group_tree(*, academy: Academy) -> QuerySet[Group]:
    """All groups in tree order (the path sorts parents before children)."""
    return Group.objects.filter(academy=academy).order_by("path")


def group_root(*, academy: Academy) -> Group:
    return Group.objects.get(academy=academy, parent__isnull=True)


def group_subtree(*, group: Group) -> QuerySet[Group]:
    return Group.objects.filter(academy_id=group.academy_id, path__startswith=group.path)


def user_memberships(*, user: User, academy: Academy) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, group__academy=academy).select_related("group")


def is_training_admin(*, user: User, academy: Academy) -> bool:
    """Site admins and training admins manage the whole academy."""
    if user.is_site_admin:
        return True
    if user.academy_id != academy.pk:
        return False
    return Membership.objects.filter(user=user, group__academy=academy, role=Role.TRAINING_ADMIN).exists()


def administered_group_paths(*, user: User, academy: Academy) -> list[str]:
    """Paths of the subtrees the user administers; ["/"] means the whole academy."""
    if is_training_admin(user=user, academy=academy):
        return ["/"]
    return list(
        Membership.objects.filter(user=user, group__academy=academy, role=Role.GROUP_ADMIN).values_list(
            "group__path", flat=True
        )
    )


def administered_groups(*, user: User, academy: Academy) -> QuerySet[Group]:
    paths = administered_group_paths(user=user, academy=academy)
    if not paths:
        return Group.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Group.objects.filter(condition, academy=academy).order_by("path")


def can_administer(*, user: User, academy: Academy) -> bool:
    """Any admin role in the academy: training admin, or group admin of some subtree."""
    return bool(administered_group_paths(user=user, academy=academy))


def can_administer_group(*, user: User, group: Group) -> bool:
    return any(group.path.startswith(p) for p in administered_group_paths(user=user, academy=group.academy))


def can_author(*, user: User, academy: Academy) -> bool:
    if can_administer(user=user, academy=academy):
        return True
    return Membership.objects.filter(user=user, group__academy=academy, role=Role.AUTHOR).exists()


def learner_visible_group_ids(*, user: User, academy: Academy) -> list[int]:
    """Groups whose catalogue the user sees: every group the user belongs to, and their ancestors
    (a course placed in a group is visible to learners of that group and of its subgroups)."""
    if user.academy_id != academy.pk and not user.is_site_admin:
        return []
    paths = Membership.objects.filter(user=user, group__academy=academy).values_list("group__path", flat=True)
    ids: set[int] = set()
    for path in paths:
        ids.update(int(part) for part in path.strip("/").split("/") if part)
    return sorted(ids)


def users_in_scope(*, academy: Academy, actor: User) -> QuerySet[User]:
    """Users an admin may see: all of the academy for training admins, else members of the
    subtrees the actor administers."""
    qs = User.objects.filter(academy=academy)
    paths = administered_group_paths(user=actor, academy=academy)
    if paths == ["/"]:
        return qs.order_by("username")
    condition = Q()
    for path in paths:
        condition |= Q(memberships__group__path__startswith=path)
    if not paths:
        return qs.filter(pk=actor.pk)
    return qs.filter(condition).distinct().order_by("username")


def memberships_in_scope(*, academy: Academy, actor: User) -> QuerySet[Membership]:
    """Roles held in the groups the actor administers: the whole academy for training admins, the
    subtrees they administer for group admins, nothing for everybody else."""
    memberships = Membership.objects.filter(group__academy=academy).select_related("user", "group")
    paths = administered_group_paths(user=actor, academy=academy)
    if paths == ["/"]:
        return memberships
    if not paths:
        return memberships.none()
    condition = Q()
    for path in paths:
        condition |= Q(group__path__startswith=path)
    return memberships.filter(condition)
