"""Who an admin may report on: the whole academy (training admins) or the subtrees they administer
(group admins), optionally narrowed to one group's subtree. Every report reads through a scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from coursebridge.accounts.models import Academy, Group, Membership, User
from coursebridge.accounts.selectors import administered_group_paths
from coursebridge.core.errors import DomainError, PermissionDenied


@dataclass(frozen=True)
class ReportScope:
    academy: Academy
    # Group paths whose members (subgroups included) are reported on; None: everybody in the academy.
    paths: tuple[str, ...] | None
    group: Group | None  # the group chosen, if any

    @property
    def label(self) -> str:
        return self.group.name if self.group else "Whole academy"

    def member_ids(self) -> QuerySet[Membership, Any]:
        """A subquery of the user ids in scope (only meaningful when `paths` is set)."""
        condition = Q()
        for path in self.paths or ():
            condition |= Q(group__path__startswith=path)
        return Membership.objects.filter(condition, group__academy=self.academy).values("user_id")

    def users(self, field: str = "user_id") -> Q:
        """A condition on `field` (a user id) keeping the rows of users in scope."""
        if self.paths is None:
            return Q()
        return Q(**{f"{field}__in": self.member_ids()})


def report_scope(*, academy: Academy, actor: User, group_id: int | None = None) -> ReportScope:
    """The scope of the actor's reports, narrowed to `group_id`'s subtree when given. A group outside
    the academy is a 400 on group_id; a group outside the actor's subtrees is refused."""
    paths = administered_group_paths(user=actor, academy=academy)
    if not paths:
        raise PermissionDenied("Reports are for the academy's administrators.")
    group = None
    if group_id is not None:
        group = Group.objects.filter(academy=academy, pk=group_id).first()
        if group is None:
            raise DomainError(f"No group {group_id} in this academy.", field="group_id")
        if paths != ["/"] and not any(group.path.startswith(p) for p in paths):
            raise PermissionDenied(f"You do not administer the group '{group.name}'.")
        return ReportScope(academy=academy, paths=(group.path,), group=group)
    if paths == ["/"]:
        return ReportScope(academy=academy, paths=None, group=None)
    return ReportScope(academy=academy, paths=tuple(paths), group=None)


def groups_for_filter(*, academy: Academy, actor: User) -> QuerySet[Group]:
    """The groups an admin may pick in report filters: their subtrees."""
    paths = administered_group_paths(user=actor, academy=academy)
    if paths == ["/"]:
        return Group.objects.filter(academy=academy).order_by("path")
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return Group.objects.filter(condition, academy=academy).order_by("path")
