"""REST endpoints for the signed-in user, API tokens, academies, groups, users and memberships.

The helpers at the top (`request_user`, `academy_of`, `require_*`) are what every academy endpoint
starts with: they resolve the academy from the URL for the requesting user (another academy is a
404, as if it did not exist) and check the role the operation needs.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from coursebridge.accounts import selectors, services
from coursebridge.accounts.models import Academy, ApiToken, Group, Membership, Role, User
from coursebridge.core.api import Id, InputSchema, PageParams, PatchSchema, paged, paginate, responses
from coursebridge.core.errors import DomainError, NotFound, PermissionDenied

router = Router()

SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,60}")


# --- Shared helpers for academy endpoints ------------------------------------------------------


def request_user(request: HttpRequest) -> User:
    """The user the request authenticated as (token or session)."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


def academy_of(request: HttpRequest, slug: str) -> Academy:
    """The academy in the URL, if the requesting user may enter it; otherwise 404, whether or not
    it exists, so slugs of other academies cannot be probed."""
    academy = None
    if SLUG_RE.fullmatch(slug):
        academy = selectors.academy_for_user(user=request_user(request), slug=slug)
    if academy is None:
        raise NotFound(f"No academy '{slug}' for you.")
    return academy


def require_training_admin(request: HttpRequest, academy: Academy) -> User:
    user = request_user(request)
    if not selectors.is_training_admin(user=user, academy=academy):
        raise PermissionDenied("Only training admins of this academy may do this.")
    return user


def require_admin(request: HttpRequest, academy: Academy) -> User:
    """Training admins and group admins (each within the subtrees they administer)."""
    user = request_user(request)
    if not selectors.can_administer(user=user, academy=academy):
        raise PermissionDenied("Only administrators of this academy may do this.")
    return user


def group_in(academy: Academy, group_id: int, *, field: str | None = None) -> Group:
    """A group of this academy. In the URL a foreign id is a 404; in a body it is a 400 on its field."""
    group = Group.objects.filter(academy=academy, pk=group_id).first()
    if group is None:
        if field:
            raise DomainError(f"No group {group_id} in this academy.", field=field)
        raise NotFound(f"No group {group_id} in this academy.")
    return group


def user_in_scope(academy: Academy, actor: User, user_id: int, *, field: str | None = None) -> User:
    """A user the actor may see: anyone in the academy for training admins, the members of their
    subtrees for group admins, themselves for everybody else."""
    user = selectors.users_in_scope(academy=academy, actor=actor).filter(pk=user_id).first()
    if user is None:
        if field:
            raise DomainError(f"No user {user_id} that you manage in this academy.", field=field)
        raise NotFound(f"No user {user_id} that you manage in this academy.")
    return user


def _changes_group_below_own(actor: User, group: Group) -> bool:
    """Group admins change groups strictly below the ones they administer; the group their role is
    granted on is placed and named by whoever granted it. Training admins change any group."""
    paths = selectors.administered_group_paths(user=actor, academy=group.academy)
    if paths == ["/"]:
        return True
    return any(group.path.startswith(p) and group.path != p for p in paths)


# --- Schemas -----------------------------------------------------------------------------------


class AcademyOut(Schema):
    id: int
    slug: str
    name: str
    created_at: datetime


class AcademyIn(InputSchema):
    slug: str = Field(max_length=60, description="Letters, digits, hyphens, underscores; part of every academy URL.")
    name: str = Field(max_length=200)
    root_group_name: str | None = Field(default=None, max_length=200, description="Defaults to the academy's name.")


class RoleOut(Schema):
    group_id: int
    group_name: str
    group_path: str
    role: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    is_site_admin: bool
    academy: AcademyOut | None
    roles: list[RoleOut]


class TokenIn(InputSchema):
    name: str = Field(max_length=100, description="A name to recognise the token by, e.g. the script using it.")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart.")
    created_at: datetime
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself. Shown this once: only its hash is stored.")


class GroupOut(Schema):
    id: int
    name: str
    parent_id: int | None
    depth: int
    path: str = Field(description='Ids from the root, like "/1/5/9/"; sorting by it gives tree order.')
    created_at: datetime


class GroupIn(InputSchema):
    parent_id: Id
    name: str = Field(max_length=200)


class GroupPatch(PatchSchema):
    name: str | None = Field(default=None, max_length=200, description="A new name: renames the group.")
    parent_id: Id | None = Field(default=None, description="A new parent: moves the group and its subtree.")


class UserOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    display_name: str
    external_id: str
    is_active: bool
    date_joined: datetime
    last_login: datetime | None


class UserIn(InputSchema):
    username: str = Field(max_length=150)
    email: str = Field(default="", max_length=254)
    first_name: str = Field(default="", max_length=150)
    last_name: str = Field(default="", max_length=150)
    password: str | None = Field(
        default=None, max_length=4096, description="Leave out for users who sign in elsewhere."
    )
    external_id: str = Field(default="", max_length=200)
    group_id: Id | None = Field(
        default=None,
        description="Make the new user a learner of this group. Required for group admins, whose "
        "users must sit in a group they administer.",
    )


class UserPatch(PatchSchema):
    """Only the fields sent change; null is refused."""

    email: str | None = Field(default=None, max_length=254)
    first_name: str | None = Field(default=None, max_length=150)
    last_name: str | None = Field(default=None, max_length=150)
    is_active: bool | None = Field(default=None, description="false deactivates: no sign-in, no API access.")


class UserFilters(Schema):
    q: str = Field(default="", description="Part of the username, first or last name, or email.")
    is_active: bool | None = None


class MembershipOut(Schema):
    id: int
    user_id: int
    username: str
    group_id: int
    group_name: str
    role: Role
    created_at: datetime

    @staticmethod
    def resolve_username(obj: Membership) -> str:
        return obj.user.username

    @staticmethod
    def resolve_group_name(obj: Membership) -> str:
        return obj.group.name


class MembershipIn(InputSchema):
    user_id: Id
    group_id: Id
    role: Role = Field(description="training_admin is granted on the root group only.")


class MembershipFilters(Schema):
    user_id: Id | None = None
    group_id: Id | None = None
    role: Role | None = None


# --- The signed-in user and tokens -------------------------------------------------------------


@router.get("/me", response=responses(MeOut), tags=["me"], summary="Who am I")
def me(request: HttpRequest) -> dict[str, Any]:
    """The authenticated user, the academy they belong to (null for site admins) and their roles."""
    user = request_user(request)
    roles = []
    if user.academy_id is not None:
        memberships = selectors.user_memberships(user=user, academy=cast(Academy, user.academy))
        roles = [
            {"group_id": m.group_id, "group_name": m.group.name, "group_path": m.group.path, "role": m.role}
            for m in memberships
        ]
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "is_site_admin": user.is_site_admin,
        "academy": user.academy,
        "roles": roles,
    }


@router.get("/me/tokens", response=responses(paged(TokenOut)), tags=["me"], summary="List my API tokens")
def token_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Your active tokens, newest first. The tokens themselves are never shown again."""
    tokens = ApiToken.objects.filter(user=request_user(request), revoked_at__isnull=True).order_by("-created_at")
    return paginate(request, tokens, page)


@router.post("/me/tokens", response=responses(TokenCreatedOut, 201), tags=["me"], summary="Create an API token")
def token_create(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    """A new personal token for `Authorization: Bearer <token>`. Copy it from this response:
    only its hash is kept, so it cannot be shown again."""
    token, clear = services.api_token_create(user=request_user(request), name=payload.name)
    return Status(
        201,
        {
            "id": token.pk,
            "name": token.name,
            "prefix": token.prefix,
            "created_at": token.created_at,
            "last_used_at": token.last_used_at,
            "token": clear,
        },
    )


@router.delete("/me/tokens/{token_id}", response=responses(None, 204), tags=["me"], summary="Revoke an API token")
def token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    """The token stops working at once."""
    token = ApiToken.objects.filter(user=request_user(request), pk=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound(f"You have no active token {token_id}.")
    services.api_token_revoke(token=token)
    return Status(204, None)


# --- Academies ---------------------------------------------------------------------------------


@router.get("/academies", response=responses(paged(AcademyOut)), tags=["academies"], summary="List academies")
def academy_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Site admins see every academy; everybody else sees their own."""
    user = request_user(request)
    academies = Academy.objects.order_by("name", "id")
    if not user.is_site_admin:
        academies = academies.filter(pk=user.academy_id) if user.academy_id else academies.none()
    return paginate(request, academies, page)


@router.post("/academies", response=responses(AcademyOut, 201), tags=["academies"], summary="Create an academy")
def academy_create(request: HttpRequest, payload: AcademyIn) -> Status[Academy]:
    """Site admins only. The academy comes with its root group (the whole academy)."""
    if not request_user(request).is_site_admin:
        raise PermissionDenied("Only site admins create academies.")
    academy = services.academy_create(slug=payload.slug, name=payload.name, root_group_name=payload.root_group_name)
    return Status(201, academy)


@router.get("/academies/{slug}", response=responses(AcademyOut), tags=["academies"], summary="Get an academy")
def academy_get(request: HttpRequest, slug: str) -> Academy:
    """An academy you may enter: your own, or any for site admins. Others answer 404."""
    return academy_of(request, slug)


# --- Groups ------------------------------------------------------------------------------------


@router.get("/academies/{slug}/groups", response=responses(paged(GroupOut)), tags=["groups"], summary="List groups")
def group_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> dict[str, Any]:
    """The group tree in tree order (parents before children). Training admins see every group,
    group admins the subtrees they administer."""
    academy = academy_of(request, slug)
    user = require_admin(request, academy)
    return paginate(request, selectors.administered_groups(user=user, academy=academy), page)


@router.post("/academies/{slug}/groups", response=responses(GroupOut, 201), tags=["groups"], summary="Create a group")
def group_create(request: HttpRequest, slug: str, payload: GroupIn) -> Status[Group]:
    """A new subgroup of `parent_id`, which must be in a subtree you administer."""
    academy = academy_of(request, slug)
    user = require_admin(request, academy)
    parent = group_in(academy, payload.parent_id, field="parent_id")
    if not selectors.can_administer_group(user=user, group=parent):
        raise PermissionDenied(f"You do not administer '{parent.name}'.")
    return Status(201, services.group_create(parent=parent, name=payload.name))


@router.get("/academies/{slug}/groups/{group_id}", response=responses(GroupOut), tags=["groups"], summary="Get a group")
def group_get(request: HttpRequest, slug: str, group_id: int) -> Group:
    """A group in a subtree you administer."""
    academy = academy_of(request, slug)
    user = require_admin(request, academy)
    group = group_in(academy, group_id)
    if not selectors.can_administer_group(user=user, group=group):
        raise NotFound(f"No group {group_id} that you administer.")
    return group


@router.patch(
    "/academies/{slug}/groups/{group_id}",
    response=responses(GroupOut),
    tags=["groups"],
    summary="Rename or move a group",
)
def group_update(request: HttpRequest, slug: str, group_id: int, payload: GroupPatch) -> Group:
    """`name` renames; `parent_id` moves the group with its whole subtree. Group admins change the
    groups below the one they administer, and move them only within their subtree."""
    academy = academy_of(request, slug)
    user = require_admin(request, academy)
    group = group_in(academy, group_id)
    if not selectors.can_administer_group(user=user, group=group):
        raise NotFound(f"No group {group_id} that you administer.")
    if not _changes_group_below_own(user, group):
        raise PermissionDenied(f"'{group.name}' is the group you administer; ask a training admin to change it.")
    changes = payload.changes()
    with transaction.atomic():
        if "parent_id" in changes:
            new_parent = group_in(academy, changes["parent_id"], field="parent_id")
            if not selectors.can_administer_group(user=user, group=new_parent):
                raise PermissionDenied(f"You do not administer '{new_parent.name}'.")
            group = services.group_move(group=group, new_parent=new_parent)
        if "name" in changes:
            group = services.group_rename(group=group, name=changes["name"])
    return group


@router.delete(
    "/academies/{slug}/groups/{group_id}", response=responses(None, 204), tags=["groups"], summary="Delete a group"
)
def group_delete(request: HttpRequest, slug: str, group_id: int) -> Status[None]:
    """An empty leaf group only: move or delete its subgroups first. Its memberships go with it."""
    academy = academy_of(request, slug)
    user = require_admin(request, academy)
    group = group_in(academy, group_id)
    if not selectors.can_administer_group(user=user, group=group):
        raise NotFound(f"No group {group_id} that you administer.")
    if not _changes_group_below_own(user, group):
        raise PermissionDenied(f"'{group.name}' is the group you administer; ask a training admin to delete it.")
    services.group_delete(group=group)
    return Status(204, None)


# --- Users -------------------------------------------------------------------------------------


@router.get("/academies/{slug}/users", response=responses(paged(UserOut)), tags=["users"], summary="List users")
def user_list(request: HttpRequest, slug: str, filters: Query[UserFilters], page: Query[PageParams]) -> dict[str, Any]:
    """Users you manage, by username: the whole academy for training admins, the members of the
    subtrees they administer for group admins."""
    academy = academy_of(request, slug)
    user = require_admin(request, academy)
    users: QuerySet[User] = selectors.users_in_scope(academy=academy, actor=user)
    if filters.q.strip():
        q = filters.q.strip()
        users = users.filter(
            Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q)
        )
    if filters.is_active is not None:
        users = users.filter(is_active=filters.is_active)
    return paginate(request, users, page)


@router.post("/academies/{slug}/users", response=responses(UserOut, 201), tags=["users"], summary="Create a user")
def user_create(request: HttpRequest, slug: str, payload: UserIn) -> Status[User]:
    """A new user of this academy; with `group_id`, also a learner of that group."""
    academy = academy_of(request, slug)
    actor = require_admin(request, academy)
    group = None
    if payload.group_id is not None:
        group = group_in(academy, payload.group_id, field="group_id")
        if not selectors.can_administer_group(user=actor, group=group):
            raise PermissionDenied(f"You do not administer '{group.name}'.")
    elif not selectors.is_training_admin(user=actor, academy=academy):
        raise DomainError("Name the group (group_id) the new user joins as a learner.", field="group_id")
    with transaction.atomic():
        user = services.user_create(
            academy=academy,
            username=payload.username,
            email=payload.email,
            first_name=payload.first_name,
            last_name=payload.last_name,
            password=payload.password,
            external_id=payload.external_id,
        )
        if group is not None:
            services.membership_grant(user=user, group=group, role=Role.LEARNER)
    return Status(201, user)


@router.get("/academies/{slug}/users/{user_id}", response=responses(UserOut), tags=["users"], summary="Get a user")
def user_get(request: HttpRequest, slug: str, user_id: int) -> User:
    """A user you manage: anyone in the academy for training admins, members of your subtrees for group admins."""
    academy = academy_of(request, slug)
    actor = require_admin(request, academy)
    return user_in_scope(academy, actor, user_id)


@router.patch("/academies/{slug}/users/{user_id}", response=responses(UserOut), tags=["users"], summary="Change a user")
def user_update(request: HttpRequest, slug: str, user_id: int, payload: UserPatch) -> User:
    """Email, names, and `is_active` (false blocks sign-in and API access). Only training admins
    change a training admin."""
    academy = academy_of(request, slug)
    actor = require_admin(request, academy)
    user = user_in_scope(academy, actor, user_id)
    if selectors.is_training_admin(user=user, academy=academy) and not selectors.is_training_admin(
        user=actor, academy=academy
    ):
        raise PermissionDenied("Only training admins change a training admin.")
    return services.user_update(user=user, **payload.changes())


# --- Memberships -------------------------------------------------------------------------------


@router.get(
    "/academies/{slug}/memberships",
    response=responses(paged(MembershipOut)),
    tags=["memberships"],
    summary="List memberships",
)
def membership_list(
    request: HttpRequest, slug: str, filters: Query[MembershipFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Roles held in groups you administer, in tree order."""
    academy = academy_of(request, slug)
    actor = require_admin(request, academy)
    memberships = selectors.memberships_in_scope(academy=academy, actor=actor)
    if filters.user_id is not None:
        memberships = memberships.filter(user_id=filters.user_id)
    if filters.group_id is not None:
        memberships = memberships.filter(group_id=filters.group_id)
    if filters.role is not None:
        memberships = memberships.filter(role=filters.role)
    return paginate(request, memberships.order_by("group__path", "role", "user__username", "id"), page)


@router.post(
    "/academies/{slug}/memberships",
    response=responses(MembershipOut, 201),
    tags=["memberships"],
    summary="Grant a role",
)
def membership_create(request: HttpRequest, slug: str, payload: MembershipIn) -> Status[Membership]:
    """Give a user of this academy a role in a group you administer. A role covers the group's
    whole subtree. Only training admins grant training_admin. Granting a role twice is harmless."""
    academy = academy_of(request, slug)
    actor = require_admin(request, academy)
    group = group_in(academy, payload.group_id, field="group_id")
    if not selectors.can_administer_group(user=actor, group=group):
        raise PermissionDenied(f"You do not administer '{group.name}'.")
    if payload.role == Role.TRAINING_ADMIN and not selectors.is_training_admin(user=actor, academy=academy):
        raise PermissionDenied("Only training admins grant the training admin role.")
    user = User.objects.filter(academy=academy, pk=payload.user_id).first()
    if user is None:
        raise DomainError(f"No user {payload.user_id} in this academy.", field="user_id")
    membership = services.membership_grant(user=user, group=group, role=payload.role)
    return Status(201, membership)


@router.delete(
    "/academies/{slug}/memberships/{membership_id}",
    response=responses(None, 204),
    tags=["memberships"],
    summary="Revoke a role",
)
def membership_delete(request: HttpRequest, slug: str, membership_id: int) -> Status[None]:
    """Take a role back. Only training admins revoke training_admin."""
    academy = academy_of(request, slug)
    actor = require_admin(request, academy)
    membership = selectors.memberships_in_scope(academy=academy, actor=actor).filter(pk=membership_id).first()
    if membership is None:
        raise NotFound(f"No membership {membership_id} in groups you administer.")
    if membership.role == Role.TRAINING_ADMIN and not selectors.is_training_admin(user=actor, academy=academy):
        raise PermissionDenied("Only training admins revoke the training admin role.")
    services.membership_revoke(membership=membership)
    return Status(204, None)
