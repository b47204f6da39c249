"""Writes on academies, users, groups, memberships and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone

from coursebridge.accounts.models import Academy, ApiToken, Group, Membership, Role, User
from coursebridge.core.errors import Conflict, DomainError

TOKEN_PREFIX = "cb_"  # noqa: S105 - a public marker, not a secret

# Apps that act when learner accounts appear (records applies the rows it held for them) register a
# listener here; accounts imports none of them. Called with the academy id and the new users' ids.
UsersCreatedListener = Callable[[int, list[int]], None]
USERS_CREATED_LISTENERS: list[UsersCreatedListener] = []


def register_users_created_listener(listener: UsersCreatedListener) -> None:
    if listener not in USERS_CREATED_LISTENERS:
        USERS_CREATED_LISTENERS.append(listener)


def users_created(*, academy_id: int, user_ids: Sequence[int]) -> None:
    """Announce accounts just created in an academy, inside the transaction that created them. Every
    path that creates users calls it: user_create for one, bulk creators (imports, connectors) once
    for all of theirs."""
    if not user_ids:
        return
    for listener in USERS_CREATED_LISTENERS:
        listener(academy_id, list(user_ids))


@transaction.atomic
def academy_create(*, slug: str, name: str, root_group_name: str | None = None) -> Academy:
    """A new academy with its root group (the whole academy)."""
    try:
        validate_slug(slug)
    except ValidationError as exc:
        raise DomainError("Use letters, numbers, hyphens or underscores.", field="slug") from exc
    if len(slug) > 60:
        raise DomainError("A slug has at most 60 characters.", field="slug")
    if not name.strip():
        raise DomainError("An academy needs a name.", field="name")
    if len(name.strip()) > 200:
        raise DomainError("An academy name has at most 200 characters.", field="name")
    if Academy.objects.filter(slug=slug).exists():
        raise Conflict(f"An academy with the slug '{slug}' already exists.", field="slug")
    academy = Academy.objects.create(slug=slug, name=name.strip())
    root = Group.objects.create(academy=academy, name=root_group_name or name.strip(), depth=0)
    root.path = f"/{root.pk}/"
    root.save(update_fields=["path"])
    return academy


@transaction.atomic
def group_create(*, parent: Group, name: str) -> Group:
    name = name.strip()
    if not name:
        raise DomainError("A group needs a name.", field="name")
    if len(name) > 200:
        raise DomainError("A group name has at most 200 characters.", field="name")
    if Group.objects.filter(parent=parent, name=name).exists():
        raise Conflict(f"'{parent.name}' already has a subgroup named '{name}'.", field="name")
    group = Group.objects.create(academy_id=parent.academy_id, parent=parent, name=name, depth=parent.depth + 1)
    group.path = f"{parent.path}{group.pk}/"
    group.save(update_fields=["path"])
    return group


@transaction.atomic
def group_rename(*, group: Group, name: str) -> Group:
    name = name.strip()
    if not name:
        raise DomainError("A group needs a name.", field="name")
    if len(name) > 200:
        raise DomainError("A group name has at most 200 characters.", field="name")
    if Group.objects.filter(parent=group.parent, name=name).exclude(pk=group.pk).exists():
        raise Conflict(f"A sibling group is already named '{name}'.", field="name")
    group.name = name
    group.save(update_fields=["name"])
    return group


@transaction.atomic
def group_move(*, group: Group, new_parent: Group) -> Group:
    """Move a group and its whole subtree under another group of the same academy."""
    if group.parent_id is None:
        raise DomainError("The root group cannot be moved.", field="parent")
    if new_parent.academy_id != group.academy_id:
        raise DomainError("The new parent belongs to another academy.", field="parent")
    if new_parent.path.startswith(group.path):
        raise DomainError("A group cannot move under itself or one of its subgroups.", field="parent")
    if Group.objects.filter(parent=new_parent, name=group.name).exclude(pk=group.pk).exists():
        raise Conflict(f"'{new_parent.name}' already has a subgroup named '{group.name}'.", field="parent")
    old_path, new_path = group.path, f"{new_parent.path}{group.pk}/"
    depth_shift = new_parent.depth + 1 - group.depth
    subtree = list(Group.objects.filter(academy_id=group.academy_id, path__startswith=old_path))
    for node in subtree:
        node.path = new_path + node.path[len(old_path):]
        node.depth += depth_shift
        if node.pk == group.pk:
            node.parent = new_parent
    Group.objects.bulk_update(subtree, ["path", "depth", "parent"])
    group.refresh_from_db()
    return group


@transaction.atomic
def group_delete(*, group: Group) -> None:
    if group.parent_id is None:
        raise DomainError("The root group cannot be deleted.", field="group")
    if group.children.exists():
        raise DomainError("Delete or move the subgroups first.", field="group")
    group.delete()


@transaction.atomic
def user_create(
    *,
    academy: Academy,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    external_id: str = "",
) -> User:
    username = username.strip()
    if not username:
        raise DomainError("A user needs a username.", field="username")
    if len(username) > 150:
        raise DomainError("A username has at most 150 characters.", field="username")
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="username") from exc
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise DomainError(f"'{email}' is not an email address.", field="email") from exc
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"The username '{username}' is taken.", field="username")
    user = User(
        academy=academy, username=username, email=email, first_name=first_name, last_name=last_name,
        external_id=external_id,
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field="password") from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        user.save()
    except IntegrityError as exc:
        raise Conflict(f"The external id '{external_id}' is already used.", field="external_id") from exc
    users_created(academy_id=academy.pk, user_ids=[user.pk])
    return user


@transaction.atomic
def user_update(*, user: User, **fields: str) -> User:
    allowed = {"email", "first_name", "last_name", "is_active"}
    for name, value in fields.items():
        if name not in allowed:
            raise DomainError(f"'{name}' cannot be changed here.", field=name)
        if name == "email" and value:
            try:
                validate_email(value)
            except ValidationError as exc:
                raise DomainError(f"'{value}' is not an email address.", field="email") from exc
        setattr(user, name, value)
    user.save()
    return user


@transaction.atomic
def membership_grant(*, user: User, group: Group, role: str) -> Membership:
    if role not in Role.values:
        raise DomainError(f"Unknown role '{role}'. Roles: {', '.join(Role.values)}.", field="role")
    if user.academy_id != group.academy_id:
        raise DomainError("The user belongs to another academy.", field="user")
    if role == Role.TRAINING_ADMIN and group.parent_id is not None:
        raise DomainError(
            "Training admin covers the whole academy: grant it on the root group.", field="group"
        )
    membership, _ = Membership.objects.get_or_create(user=user, group=group, role=role)
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership) -> None:
    membership.delete()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token; the clear value is returned once and never stored."""
    if not name.strip():
        raise DomainError("Name the token so you can recognise it later.", field="name")
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip(), prefix=clear[:10], key_hash=_hash_token(clear))
    return token, clear


def api_token_authenticate(*, clear: str) -> User | None:
    """The active user behind a token, or None. Marks the token as used."""
    if not clear.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(clear), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
