import hashlib

import pytest

from coursebridge.accounts.models import Academy, ApiToken, Group, Membership, Role, User
from coursebridge.accounts.services import (
    academy_create,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    group_create,
    group_delete,
    group_move,
    group_rename,
    membership_grant,
    membership_revoke,
    user_create,
    user_update,
)
from coursebridge.core.errors import Conflict, DomainError
from tests.factories import AcademyFactory, GroupFactory, UserFactory, root_group

pytestmark = pytest.mark.django_db


def paths_by_name(academy: Academy) -> dict[str, tuple[str, int]]:
    return {g.name: (g.path, g.depth) for g in Group.objects.filter(academy=academy)}


# academy_create


def test_academy_create_makes_the_academy_and_its_root_group():
    academy = academy_create(slug="acme", name="  Acme Corp  ")

    root = Group.objects.get(academy=academy)
    assert academy.slug == "acme"
    assert academy.name == "Acme Corp"
    assert root.parent_id is None
    assert root.name == "Acme Corp"
    assert root.depth == 0
    assert root.path == f"/{root.pk}/"
    assert root.ancestor_ids == [root.pk]


def test_academy_create_names_the_root_group_when_asked():
    academy = academy_create(slug="acme", name="Acme", root_group_name="Everyone")

    assert Group.objects.get(academy=academy).name == "Everyone"


@pytest.mark.parametrize("slug", ["", "has space", "dots.are.not.slugs", "ünïcode", "semi;colon"])
def test_academy_create_refuses_a_bad_slug(slug):
    with pytest.raises(DomainError) as exc:
        academy_create(slug=slug, name="Acme")

    assert exc.value.field == "slug"
    assert exc.value.message == "Use letters, numbers, hyphens or underscores."
    assert Academy.objects.count() == 0


def test_academy_create_refuses_a_slug_longer_than_the_column():
    with pytest.raises(DomainError) as exc:
        academy_create(slug="a" * 61, name="Acme")

    assert exc.value.field == "slug"
    assert Academy.objects.count() == 0


def test_academy_create_accepts_a_slug_of_the_maximum_length():
    academy = academy_create(slug="a" * 60, name="Acme")

    assert academy.slug == "a" * 60


def test_academy_create_refuses_a_blank_name():
    with pytest.raises(DomainError) as exc:
        academy_create(slug="acme", name="   ")

    assert exc.value.field == "name"
    assert Academy.objects.count() == 0


def test_academy_create_refuses_a_name_longer_than_the_column():
    with pytest.raises(DomainError) as exc:
        academy_create(slug="acme", name="n" * 201)

    assert exc.value.field == "name"
    assert Academy.objects.count() == 0


def test_academy_create_refuses_a_duplicate_slug():
    academy_create(slug="acme", name="Acme")

    with pytest.raises(Conflict) as exc:
        academy_create(slug="acme", name="Other Acme")

    assert exc.value.field == "slug"
    assert exc.value.code == "conflict"
    assert Academy.objects.count() == 1
    assert Group.objects.count() == 1


# group tree


def test_group_create_builds_paths_and_depths_at_any_depth():
    academy = AcademyFactory()
    root = root_group(academy)
    parent = root
    chain = [root]
    for level in range(1, 8):
        parent = group_create(parent=parent, name=f"Level {level}")
        chain.append(parent)

    deepest = chain[-1]
    assert deepest.depth == 7
    assert deepest.path == "/" + "/".join(str(g.pk) for g in chain) + "/"
    assert deepest.ancestor_ids == [g.pk for g in chain]
    assert deepest.academy_id == academy.pk


def test_group_create_strips_the_name_and_refuses_a_blank_one():
    root = root_group(AcademyFactory())

    assert group_create(parent=root, name="  Sales ").name == "Sales"
    with pytest.raises(DomainError) as exc:
        group_create(parent=root, name="  ")
    assert exc.value.field == "name"


def test_group_create_refuses_a_duplicate_sibling_name_but_allows_it_elsewhere():
    root = root_group(AcademyFactory())
    sales = group_create(parent=root, name="Sales")
    group_create(parent=sales, name="EMEA")

    with pytest.raises(Conflict) as exc:
        group_create(parent=sales, name="EMEA")

    assert exc.value.field == "name"
    engineering = group_create(parent=root, name="Engineering")
    assert group_create(parent=engineering, name="EMEA").path == f"{engineering.path}{engineering.children.get().pk}/"


def test_group_rename_refuses_a_sibling_name_and_keeps_the_path():
    root = root_group(AcademyFactory())
    sales = group_create(parent=root, name="Sales")
    group_create(parent=root, name="Engineering")

    with pytest.raises(Conflict):
        group_rename(group=sales, name="Engineering")
    renamed = group_rename(group=sales, name=" Revenue ")

    assert renamed.name == "Revenue"
    assert Group.objects.get(pk=sales.pk).path == f"{root.path}{sales.pk}/"


def test_group_names_longer_than_the_column_are_refused():
    root = root_group(AcademyFactory())
    sales = group_create(parent=root, name="Sales")

    with pytest.raises(DomainError) as created:
        group_create(parent=root, name="g" * 201)
    with pytest.raises(DomainError) as renamed:
        group_rename(group=sales, name="g" * 201)

    assert (created.value.field, renamed.value.field) == ("name", "name")
    assert group_create(parent=root, name="g" * 200).name == "g" * 200


def test_group_rename_to_its_own_name_is_allowed():
    sales = GroupFactory(name="Sales")

    assert group_rename(group=sales, name="Sales").name == "Sales"


# group_move


def test_group_move_updates_the_whole_subtree():
    academy = AcademyFactory()
    root = root_group(academy)
    sales = group_create(parent=root, name="Sales")
    emea = group_create(parent=sales, name="EMEA")
    france = group_create(parent=emea, name="France")
    paris = group_create(parent=france, name="Paris")
    engineering = group_create(parent=root, name="Engineering")

    moved = group_move(group=emea, new_parent=engineering)

    assert moved.parent_id == engineering.pk
    assert paths_by_name(academy) == {
        root.name: (f"/{root.pk}/", 0),
        "Sales": (f"/{root.pk}/{sales.pk}/", 1),
        "Engineering": (f"/{root.pk}/{engineering.pk}/", 1),
        "EMEA": (f"/{root.pk}/{engineering.pk}/{emea.pk}/", 2),
        "France": (f"/{root.pk}/{engineering.pk}/{emea.pk}/{france.pk}/", 3),
        "Paris": (f"/{root.pk}/{engineering.pk}/{emea.pk}/{france.pk}/{paris.pk}/", 4),
    }
    assert Group.objects.get(pk=france.pk).parent_id == emea.pk
    assert Group.objects.get(pk=paris.pk).parent_id == france.pk


def test_group_move_up_the_tree_reduces_the_depth():
    academy = AcademyFactory()
    root = root_group(academy)
    a = group_create(parent=root, name="A")
    b = group_create(parent=a, name="B")
    c = group_create(parent=b, name="C")
    d = group_create(parent=c, name="D")

    group_move(group=c, new_parent=root)

    assert paths_by_name(academy)["C"] == (f"/{root.pk}/{c.pk}/", 1)
    assert paths_by_name(academy)["D"] == (f"/{root.pk}/{c.pk}/{d.pk}/", 2)
    assert paths_by_name(academy)["B"] == (f"/{root.pk}/{a.pk}/{b.pk}/", 2)


def test_group_move_refuses_to_move_under_itself_or_a_descendant():
    root = root_group(AcademyFactory())
    sales = group_create(parent=root, name="Sales")
    emea = group_create(parent=sales, name="EMEA")
    france = group_create(parent=emea, name="France")

    for target in (sales, emea, france):
        with pytest.raises(DomainError) as exc:
            group_move(group=sales, new_parent=target)
        assert exc.value.field == "parent"
        assert exc.value.message == "A group cannot move under itself or one of its subgroups."
    assert Group.objects.get(pk=sales.pk).path == f"{root.path}{sales.pk}/"


def test_group_move_refuses_another_academys_parent():
    sales = GroupFactory(name="Sales")
    elsewhere = GroupFactory(name="Elsewhere")

    with pytest.raises(DomainError) as exc:
        group_move(group=sales, new_parent=elsewhere)

    assert exc.value.message == "The new parent belongs to another academy."
    assert Group.objects.get(pk=sales.pk).path == f"{root_group(sales.academy).path}{sales.pk}/"


def test_group_move_refuses_the_root():
    academy = AcademyFactory()
    root = root_group(academy)
    sales = group_create(parent=root, name="Sales")

    with pytest.raises(DomainError) as exc:
        group_move(group=root, new_parent=sales)

    assert exc.value.message == "The root group cannot be moved."


def test_group_move_refuses_a_name_taken_under_the_new_parent():
    root = root_group(AcademyFactory())
    sales = group_create(parent=root, name="Sales")
    engineering = group_create(parent=root, name="Engineering")
    group_create(parent=engineering, name="EMEA")
    emea = group_create(parent=sales, name="EMEA")

    with pytest.raises(Conflict):
        group_move(group=emea, new_parent=engineering)


def test_group_move_to_its_current_parent_changes_nothing():
    root = root_group(AcademyFactory())
    sales = group_create(parent=root, name="Sales")
    emea = group_create(parent=sales, name="EMEA")

    moved = group_move(group=emea, new_parent=sales)

    assert (moved.parent_id, moved.path, moved.depth) == (sales.pk, f"{sales.path}{emea.pk}/", 2)


# group_delete


def test_group_delete_removes_a_leaf_and_its_memberships():
    sales = GroupFactory(name="Sales")
    user = UserFactory(academy=sales.academy)
    membership_grant(user=user, group=sales, role=Role.LEARNER)

    group_delete(group=sales)

    assert not Group.objects.filter(pk=sales.pk).exists()
    assert not Membership.objects.filter(user=user).exists()
    assert User.objects.filter(pk=user.pk).exists()


def test_group_delete_refuses_a_group_with_subgroups():
    sales = GroupFactory(name="Sales")
    group_create(parent=sales, name="EMEA")

    with pytest.raises(DomainError) as exc:
        group_delete(group=sales)

    assert exc.value.message == "Delete or move the subgroups first."
    assert Group.objects.filter(pk=sales.pk).exists()


def test_group_delete_refuses_the_root():
    academy = AcademyFactory()

    with pytest.raises(DomainError) as exc:
        group_delete(group=root_group(academy))

    assert exc.value.message == "The root group cannot be deleted."


# user_create / user_update


def test_user_create_makes_a_user_of_the_academy_with_an_unusable_password():
    academy = AcademyFactory()

    user = user_create(academy=academy, username=" ada ", email="ada@example.org", first_name="Ada",
                       last_name="Lovelace", external_id="E-1")

    assert User.objects.get(pk=user.pk).academy_id == academy.pk
    assert user.username == "ada"
    assert user.display_name == "Ada Lovelace"
    assert user.has_usable_password() is False


def test_user_create_sets_a_valid_password():
    user = user_create(academy=AcademyFactory(), username="ada", password="a-long-unusual-passphrase")

    assert user.check_password("a-long-unusual-passphrase")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": "   "}, "username"),
        ({"username": "ada", "email": "not-an-email"}, "email"),
        ({"username": "ada", "password": "short"}, "password"),
        ({"username": "ada", "password": "password123"}, "password"),
        ({"username": "has space"}, "username"),
        ({"username": "semi;colon"}, "username"),
        ({"username": "x" * 151}, "username"),
    ],
)
def test_user_create_refuses_invalid_input(kwargs, field):
    with pytest.raises(DomainError) as exc:
        user_create(academy=AcademyFactory(), **kwargs)

    assert exc.value.field == field
    assert User.objects.count() == 0


def test_user_create_refuses_a_taken_username_whatever_its_case():
    academy = AcademyFactory()
    user_create(academy=academy, username="Ada")

    with pytest.raises(Conflict) as exc:
        user_create(academy=AcademyFactory(), username="ada")

    assert exc.value.field == "username"


def test_user_create_refuses_a_taken_external_id_in_the_same_academy_only():
    academy = AcademyFactory()
    user_create(academy=academy, username="ada", external_id="E-1")

    with pytest.raises(Conflict) as exc:
        user_create(academy=academy, username="grace", external_id="E-1")

    assert exc.value.field == "external_id"
    assert user_create(academy=AcademyFactory(), username="grace", external_id="E-1").external_id == "E-1"
    assert user_create(academy=academy, username="alan").external_id == ""
    assert user_create(academy=academy, username="linus").external_id == ""


def test_user_update_changes_allowed_fields_and_refuses_others():
    user = UserFactory()

    user_update(user=user, first_name="Grace", email="grace@example.org")

    user.refresh_from_db()
    assert (user.first_name, user.email) == ("Grace", "grace@example.org")
    with pytest.raises(DomainError) as exc:
        user_update(user=user, username="other")
    assert exc.value.field == "username"
    with pytest.raises(DomainError) as exc:
        user_update(user=user, email="nope")
    assert exc.value.field == "email"


# membership_grant


def test_membership_grant_is_idempotent():
    sales = GroupFactory(name="Sales")
    user = UserFactory(academy=sales.academy)

    first = membership_grant(user=user, group=sales, role=Role.GROUP_ADMIN)
    second = membership_grant(user=user, group=sales, role=Role.GROUP_ADMIN)

    assert first.pk == second.pk
    assert Membership.objects.filter(user=user).count() == 1


def test_membership_grant_training_admin_only_on_the_root():
    sales = GroupFactory(name="Sales")
    user = UserFactory(academy=sales.academy)

    with pytest.raises(DomainError) as exc:
        membership_grant(user=user, group=sales, role=Role.TRAINING_ADMIN)

    assert exc.value.field == "group"
    membership = membership_grant(user=user, group=root_group(sales.academy), role=Role.TRAINING_ADMIN)
    assert membership.role == Role.TRAINING_ADMIN


def test_membership_grant_refuses_a_user_of_another_academy():
    sales = GroupFactory(name="Sales")
    stranger = UserFactory()

    with pytest.raises(DomainError) as exc:
        membership_grant(user=stranger, group=sales, role=Role.LEARNER)

    assert exc.value.field == "user"
    assert Membership.objects.count() == 0


def test_membership_grant_refuses_an_unknown_role():
    sales = GroupFactory(name="Sales")

    with pytest.raises(DomainError) as exc:
        membership_grant(user=UserFactory(academy=sales.academy), group=sales, role="owner")

    assert exc.value.field == "role"


def test_membership_revoke_removes_only_that_role():
    sales = GroupFactory(name="Sales")
    user = UserFactory(academy=sales.academy)
    admin = membership_grant(user=user, group=sales, role=Role.GROUP_ADMIN)
    membership_grant(user=user, group=sales, role=Role.LEARNER)

    membership_revoke(membership=admin)

    assert list(Membership.objects.filter(user=user).values_list("role", flat=True)) == [Role.LEARNER]


# API tokens


def test_api_token_create_returns_the_clear_token_once_and_stores_only_its_hash():
    user = UserFactory()

    token, clear = api_token_create(user=user, name="  CI  ")

    stored = ApiToken.objects.get(pk=token.pk)
    assert clear.startswith("cb_")
    assert len(clear) > 40
    assert stored.name == "CI"
    assert stored.prefix == clear[:10]
    assert stored.key_hash == hashlib.sha256(clear.encode()).hexdigest()
    assert clear not in {str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values()}


def test_api_token_create_makes_a_different_token_each_time():
    user = UserFactory()

    _, first = api_token_create(user=user, name="one")
    _, second = api_token_create(user=user, name="two")

    assert first != second


def test_api_token_create_needs_a_name():
    with pytest.raises(DomainError) as exc:
        api_token_create(user=UserFactory(), name=" ")

    assert exc.value.field == "name"
    assert ApiToken.objects.count() == 0


def test_api_token_authenticate_returns_the_user_and_marks_the_token_used():
    user = UserFactory()
    token, clear = api_token_create(user=user, name="CI")

    assert api_token_authenticate(clear=clear) == user

    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


@pytest.mark.parametrize("clear", ["", "cb_", "cb_wrong", "Bearer x", "xx_abc"])
def test_api_token_authenticate_refuses_unknown_tokens(clear):
    api_token_create(user=UserFactory(), name="CI")

    assert api_token_authenticate(clear=clear) is None


def test_api_token_authenticate_refuses_a_revoked_token():
    user = UserFactory()
    token, clear = api_token_create(user=user, name="CI")

    api_token_revoke(token=token)

    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert api_token_authenticate(clear=clear) is None
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


def test_api_token_authenticate_refuses_an_inactive_user():
    user = UserFactory()
    _, clear = api_token_create(user=user, name="CI")

    user_update(user=user, is_active=False)

    assert api_token_authenticate(clear=clear) is None
