import pytest
from django.urls import reverse

from coursebridge.accounts.models import Group, Role
from tests.factories import AcademyFactory, GroupFactory, UserFactory, learner_in, member, root_group, training_admin_of

pytestmark = pytest.mark.django_db


def url(name, academy, **kwargs):
    return reverse(f"web:{name}", kwargs={"slug": academy.slug, **kwargs})


@pytest.fixture
def tree():
    academy = AcademyFactory(name="North Academy")
    sales = GroupFactory(academy=academy, name="Sales")
    emea = GroupFactory(academy=academy, name="EMEA", parent=sales)
    support = GroupFactory(academy=academy, name="Support")
    return academy, sales, emea, support


def group_admin_of(group):
    user = UserFactory(academy=group.academy)
    member(user, group, Role.GROUP_ADMIN)
    return user


def test_training_admin_sees_the_whole_tree_indented(tree, client_for):
    academy, _, emea, support = tree

    response = client_for(training_admin_of(academy)).get(url("group_list", academy))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.index("North Academy") < content.index("Sales") < content.index("EMEA") < content.index("Support")
    assert f'style="--depth: 2" id="group-{emea.pk}"' in content
    assert f'style="--depth: 1" id="group-{support.pk}"' in content
    root = root_group(academy)
    assert url("group_delete", academy, group_id=root.pk) not in content
    assert url("group_delete", academy, group_id=emea.pk) in content


def test_group_admin_sees_only_their_subtree(tree, client_for):
    academy, sales, _, _ = tree

    content = client_for(group_admin_of(sales)).get(url("group_list", academy)).content.decode()

    assert "Sales" in content and "EMEA" in content
    assert "Support" not in content
    assert f'style="--depth: 0" id="group-{sales.pk}"' in content
    assert url("group_delete", academy, group_id=sales.pk) not in content  # their own group stays


def test_learner_is_refused_the_admin_pages(tree, client_for):
    academy, sales, _, _ = tree

    response = client_for(learner_in(sales)).get(url("group_list", academy))

    assert response.status_code == 403
    assert "This page is for the academy&#x27;s administrators." in response.content.decode()


def test_create_a_subgroup(tree, client_for):
    academy, sales, _, _ = tree

    response = client_for(training_admin_of(academy)).post(
        url("group_add_child", academy, group_id=sales.pk), {"name": "APAC"}
    )

    assert response.status_code == 302
    apac = Group.objects.get(name="APAC")
    assert apac.parent == sales
    assert apac.path == f"{sales.path}{apac.pk}/"


def test_duplicate_subgroup_name_is_shown_next_to_the_form(tree, client_for):
    academy, sales, _, _ = tree

    response = client_for(training_admin_of(academy)).post(
        url("group_add_child", academy, group_id=sales.pk), {"name": "EMEA"}
    )

    content = response.content.decode()
    assert response.status_code == 400
    assert "&#x27;Sales&#x27; already has a subgroup named &#x27;EMEA&#x27;." in content
    assert f'<input id="add-{sales.pk}" name="name" maxlength="200" required value="EMEA">' in content
    assert Group.objects.filter(name="EMEA").count() == 1


def test_rename_a_group(tree, client_for):
    academy, sales, _, _ = tree

    response = client_for(training_admin_of(academy)).post(
        url("group_rename", academy, group_id=sales.pk), {"name": "Sales & Marketing"}
    )

    assert response.status_code == 302
    sales.refresh_from_db()
    assert sales.name == "Sales & Marketing"


def test_rename_to_a_siblings_name_is_refused(tree, client_for):
    academy, sales, _, _ = tree

    response = client_for(training_admin_of(academy)).post(
        url("group_rename", academy, group_id=sales.pk), {"name": "Support"}
    )

    assert response.status_code == 400
    assert "A sibling group is already named &#x27;Support&#x27;." in response.content.decode()
    sales.refresh_from_db()
    assert sales.name == "Sales"


def test_delete_asks_then_deletes(tree, client_for):
    academy, _, emea, _ = tree
    client = client_for(training_admin_of(academy))

    confirm = client.get(url("group_delete", academy, group_id=emea.pk))
    response = client.post(url("group_delete", academy, group_id=emea.pk))

    assert confirm.status_code == 200
    assert "Delete the group “EMEA”?" in confirm.content.decode()
    assert Group.objects.filter(pk=emea.pk).exists() is False
    assert response.status_code == 302


def test_delete_of_a_group_with_subgroups_explains_why_not(tree, client_for):
    academy, sales, _, _ = tree

    response = client_for(training_admin_of(academy)).post(url("group_delete", academy, group_id=sales.pk))

    assert response.status_code == 400
    assert "Delete or move the subgroups first." in response.content.decode()
    assert Group.objects.filter(pk=sales.pk).exists()


def test_group_admin_cannot_touch_groups_outside_their_subtree(tree, client_for):
    academy, sales, _, support = tree
    client = client_for(group_admin_of(sales))

    add = client.post(url("group_add_child", academy, group_id=support.pk), {"name": "Sneaky"})
    rename = client.post(url("group_rename", academy, group_id=support.pk), {"name": "Sneaky"})
    delete = client.post(url("group_delete", academy, group_id=support.pk))

    assert [add.status_code, rename.status_code, delete.status_code] == [404, 404, 404]
    support.refresh_from_db()
    assert support.name == "Support"
    assert not Group.objects.filter(name="Sneaky").exists()


def test_group_admin_cannot_delete_their_own_group(tree, client_for):
    academy, _, emea, _ = tree
    admin = group_admin_of(emea)

    response = client_for(admin).post(url("group_delete", academy, group_id=emea.pk))

    assert response.status_code == 400
    assert "You administer this group" in response.content.decode()
    assert Group.objects.filter(pk=emea.pk).exists()
