import pytest

from coursebridge.accounts.models import Role, User
from coursebridge.accounts.selectors import (
    academy_for_user,
    administered_group_paths,
    administered_groups,
    can_administer,
    can_administer_group,
    can_author,
    group_root,
    group_subtree,
    group_tree,
    is_training_admin,
    learner_visible_group_ids,
    user_memberships,
    users_in_scope,
)
from coursebridge.accounts.services import group_create, group_move, membership_grant
from tests.factories import AcademyFactory, UserFactory, learner_in, member, root_group, training_admin_of

pytestmark = pytest.mark.django_db


def build_tree():
    """Root
         Sales
           EMEA
             France
           Americas
         Engineering
           Platform
    """
    academy = AcademyFactory()
    root = root_group(academy)
    sales = group_create(parent=root, name="Sales")
    emea = group_create(parent=sales, name="EMEA")
    france = group_create(parent=emea, name="France")
    americas = group_create(parent=sales, name="Americas")
    engineering = group_create(parent=root, name="Engineering")
    platform = group_create(parent=engineering, name="Platform")
    return academy, {
        "root": root, "sales": sales, "emea": emea, "france": france, "americas": americas,
        "engineering": engineering, "platform": platform,
    }


def names(groups) -> list[str]:
    return [g.name for g in groups]


def test_group_tree_lists_parents_before_children_and_only_this_academy():
    academy, g = build_tree()
    build_tree()

    tree = list(group_tree(academy=academy))

    assert len(tree) == 7
    assert tree[0] == g["root"]
    for group in tree:
        if group.parent_id is not None:
            assert tree.index(group.parent) < tree.index(group)
    assert {group.academy_id for group in tree} == {academy.pk}


def test_group_root_is_the_academy_root():
    academy, g = build_tree()

    assert group_root(academy=academy) == g["root"]


def test_group_subtree_is_the_group_and_its_descendants():
    _, g = build_tree()

    assert set(names(group_subtree(group=g["sales"]))) == {"Sales", "EMEA", "France", "Americas"}
    assert set(names(group_subtree(group=g["france"]))) == {"France"}
    assert len(group_subtree(group=g["root"])) == 7


def test_group_subtree_follows_a_move():
    _, g = build_tree()

    group_move(group=g["emea"], new_parent=g["engineering"])

    assert set(names(group_subtree(group=g["sales"]))) == {"Sales", "Americas"}
    assert set(names(group_subtree(group=g["engineering"]))) == {"Engineering", "Platform", "EMEA", "France"}


def test_ancestor_ids_run_from_the_root_down():
    _, g = build_tree()

    assert g["france"].ancestor_ids == [g["root"].pk, g["sales"].pk, g["emea"].pk, g["france"].pk]
    assert g["france"].depth == 3


def test_academy_for_user_lets_users_into_their_own_academy_only():
    academy = AcademyFactory()
    other = AcademyFactory()
    user = UserFactory(academy=academy)
    site_admin = User.objects.create_superuser(username="root", email="", password="x-long-passphrase")

    assert academy_for_user(user=user, slug=academy.slug) == academy
    assert academy_for_user(user=user, slug=other.slug) is None
    assert academy_for_user(user=user, slug="nope") is None
    assert academy_for_user(user=site_admin, slug=other.slug) == other


def test_group_admin_of_sales_administers_its_subtree_only():
    academy, g = build_tree()
    admin = UserFactory(academy=academy)
    membership_grant(user=admin, group=g["sales"], role=Role.GROUP_ADMIN)

    assert can_administer_group(user=admin, group=g["sales"])
    assert can_administer_group(user=admin, group=g["emea"])
    assert can_administer_group(user=admin, group=g["france"])
    assert not can_administer_group(user=admin, group=g["engineering"])
    assert not can_administer_group(user=admin, group=g["platform"])
    assert not can_administer_group(user=admin, group=g["root"])
    assert administered_group_paths(user=admin, academy=academy) == [g["sales"].path]
    assert set(names(administered_groups(user=admin, academy=academy))) == {"Sales", "EMEA", "France", "Americas"}
    assert can_administer(user=admin, academy=academy)
    assert not is_training_admin(user=admin, academy=academy)


def test_group_admin_of_several_subtrees_administers_each():
    academy, g = build_tree()
    admin = UserFactory(academy=academy)
    membership_grant(user=admin, group=g["emea"], role=Role.GROUP_ADMIN)
    membership_grant(user=admin, group=g["platform"], role=Role.GROUP_ADMIN)

    assert set(names(administered_groups(user=admin, academy=academy))) == {"EMEA", "France", "Platform"}
    assert not can_administer_group(user=admin, group=g["americas"])


def test_training_admin_administers_the_whole_academy_but_not_another():
    academy, g = build_tree()
    other_academy, other = build_tree()
    admin = training_admin_of(academy)

    assert is_training_admin(user=admin, academy=academy)
    assert administered_group_paths(user=admin, academy=academy) == ["/"]
    assert all(can_administer_group(user=admin, group=group) for group in g.values())
    assert len(administered_groups(user=admin, academy=academy)) == 7
    assert not is_training_admin(user=admin, academy=other_academy)
    assert not any(can_administer_group(user=admin, group=group) for group in other.values())
    assert administered_group_paths(user=admin, academy=other_academy) == []


def test_site_admin_administers_every_academy():
    academy, g = build_tree()
    site_admin = User.objects.create_superuser(username="root", email="", password="x-long-passphrase")

    assert is_training_admin(user=site_admin, academy=academy)
    assert can_administer_group(user=site_admin, group=g["platform"])


def test_learners_and_authors_administer_nothing():
    academy, g = build_tree()
    learner = learner_in(g["sales"])
    author = UserFactory(academy=academy)
    member(author, g["sales"], Role.AUTHOR)

    assert administered_group_paths(user=learner, academy=academy) == []
    assert list(administered_groups(user=learner, academy=academy)) == []
    assert not can_administer(user=learner, academy=academy)
    assert not can_administer_group(user=author, group=g["sales"])
    assert not can_author(user=learner, academy=academy)
    assert can_author(user=author, academy=academy)


def test_admins_can_author():
    academy, g = build_tree()
    group_admin = UserFactory(academy=academy)
    member(group_admin, g["emea"], Role.GROUP_ADMIN)

    assert can_author(user=group_admin, academy=academy)
    assert can_author(user=training_admin_of(academy), academy=academy)


def test_group_admin_rights_follow_a_moved_subtree():
    academy, g = build_tree()
    admin = UserFactory(academy=academy)
    membership_grant(user=admin, group=g["sales"], role=Role.GROUP_ADMIN)

    group_move(group=g["emea"], new_parent=g["engineering"])
    g["france"].refresh_from_db()

    assert not can_administer_group(user=admin, group=g["france"])


def test_learner_visible_group_ids_are_the_learners_groups_and_their_ancestors():
    academy, g = build_tree()
    learner = learner_in(g["france"])
    member(learner, g["platform"], Role.LEARNER)

    visible = learner_visible_group_ids(user=learner, academy=academy)

    assert visible == sorted(
        [g["root"].pk, g["sales"].pk, g["emea"].pk, g["france"].pk, g["engineering"].pk, g["platform"].pk]
    )
    assert g["americas"].pk not in visible


def test_learner_visible_group_ids_is_empty_in_another_academy():
    academy, g = build_tree()
    other_academy, _ = build_tree()
    learner = learner_in(g["sales"])

    assert learner_visible_group_ids(user=learner, academy=other_academy) == []
    assert learner_visible_group_ids(user=UserFactory(academy=academy), academy=academy) == []


def test_user_memberships_are_scoped_to_the_academy():
    academy, g = build_tree()
    learner = learner_in(g["sales"])
    member(learner, g["emea"], Role.AUTHOR)

    memberships = list(user_memberships(user=learner, academy=academy))

    assert [(m.group.name, m.role) for m in memberships] == [("Sales", Role.LEARNER), ("EMEA", Role.AUTHOR)]
    assert list(user_memberships(user=learner, academy=AcademyFactory())) == []


def test_users_in_scope_for_a_training_admin_is_the_whole_academy():
    academy, g = build_tree()
    admin = training_admin_of(academy, username="admin")
    learner_in(g["sales"], username="sam")
    learner_in(g["platform"], username="pat")
    UserFactory(academy=academy, username="nobody")
    learner_in(build_tree()[1]["sales"], username="stranger")

    assert [u.username for u in users_in_scope(academy=academy, actor=admin)] == ["admin", "nobody", "pat", "sam"]


def test_users_in_scope_for_a_group_admin_is_the_members_of_the_subtree_once_each():
    academy, g = build_tree()
    admin = UserFactory(academy=academy, username="admin")
    member(admin, g["sales"], Role.GROUP_ADMIN)
    france = learner_in(g["france"], username="fran")
    member(france, g["emea"], Role.LEARNER)
    member(france, g["sales"], Role.AUTHOR)
    learner_in(g["americas"], username="amy")
    learner_in(g["platform"], username="pat")
    learner_in(g["root"], username="rooted")

    assert [u.username for u in users_in_scope(academy=academy, actor=admin)] == ["admin", "amy", "fran"]


def test_users_in_scope_for_a_learner_is_only_themselves():
    academy, g = build_tree()
    learner = learner_in(g["sales"], username="sam")
    learner_in(g["sales"], username="sue")

    assert list(users_in_scope(academy=academy, actor=learner)) == [learner]


def test_users_in_scope_of_another_academy_is_empty_for_its_admin():
    academy, _ = build_tree()
    other_academy, other = build_tree()
    admin = training_admin_of(academy)
    learner_in(other["sales"])

    assert list(users_in_scope(academy=other_academy, actor=admin)) == []
