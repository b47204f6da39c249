import pytest
from django.urls import reverse

from coursebridge.accounts.models import Membership, Role, User
from tests.factories import (
    PASSWORD,
    AcademyFactory,
    GroupFactory,
    UserFactory,
    learner_in,
    member,
    root_group,
    training_admin_of,
)

pytestmark = pytest.mark.django_db


def showing(first, last, total):
    return f"Showing {first}\u2013{last} of {total}"


def url(name, academy, **kwargs):
    return reverse(f"web:{name}", kwargs={"slug": academy.slug, **kwargs})


@pytest.fixture
def academy():
    return AcademyFactory()


def test_user_list_searches_and_pages(academy, client_for):
    admin = training_admin_of(academy, username="boss")
    group = GroupFactory(academy=academy)
    for n in range(30):
        learner_in(group, username=f"learner{n:02d}")
    learner_in(group, username="grace", first_name="Grace", last_name="Hopper")
    client = client_for(admin)

    first = client.get(url("user_list", academy)).content.decode()
    second = client.get(url("user_list", academy), {"page": 2}).content.decode()
    found = client.get(url("user_list", academy), {"q": "hopp"}).content.decode()

    assert showing(1, 25, 32) in first
    assert showing(26, 32, 32) in second
    assert "Grace Hopper" in found
    assert "learner01" not in found


def test_group_admin_sees_only_the_members_of_their_subtree(academy, client_for):
    sales, support = GroupFactory(academy=academy, name="Sales"), GroupFactory(academy=academy, name="Support")
    admin = UserFactory(academy=academy, username="lead")
    member(admin, sales, Role.GROUP_ADMIN)
    learner_in(sales, username="seller")
    hidden = learner_in(support, username="helper")

    client = client_for(admin)
    content = client.get(url("user_list", academy)).content.decode()

    assert "seller" in content
    assert "helper" not in content
    assert client.get(url("user_detail", academy, user_id=hidden.pk)).status_code == 404


def test_create_a_user_with_a_first_role(academy, client_for):
    group = GroupFactory(academy=academy, name="Sales")

    response = client_for(training_admin_of(academy)).post(url("user_new", academy), {
        "username": "newbie", "first_name": "New", "last_name": "Bie", "email": "newbie@example.org",
        "password": PASSWORD, "group": group.pk, "role": Role.LEARNER,
    })

    user = User.objects.get(username="newbie")
    assert response.status_code == 302
    assert response["Location"] == url("user_detail", academy, user_id=user.pk)
    assert user.academy == academy
    assert user.check_password(PASSWORD)
    assert list(Membership.objects.filter(user=user).values_list("group_id", "role")) == [(group.pk, "learner")]


def test_taken_username_is_shown_next_to_the_field(academy, client_for):
    UserFactory(academy=academy, username="taken")

    response = client_for(training_admin_of(academy)).post(url("user_new", academy), {
        "username": "taken", "group": root_group(academy).pk, "role": Role.LEARNER,
    })

    content = response.content.decode()
    assert response.status_code == 400
    field = content.split('for="id_username"')[1].split("</div>")[0]
    assert "The username &#x27;taken&#x27; is taken." in field
    assert User.objects.filter(username="taken").count() == 1


def test_weak_password_is_refused_and_no_user_is_left_behind(academy, client_for):
    response = client_for(training_admin_of(academy)).post(url("user_new", academy), {
        "username": "weak", "password": "123", "group": root_group(academy).pk, "role": Role.LEARNER,
    })

    content = response.content.decode()
    assert response.status_code == 400
    assert "This password is too short." in content.split('for="id_password"')[1].split("</div>")[0]
    assert not User.objects.filter(username="weak").exists()


def test_group_admin_cannot_grant_training_admin(academy, client_for):
    sales = GroupFactory(academy=academy)
    admin = UserFactory(academy=academy)
    member(admin, sales, Role.GROUP_ADMIN)
    learner = learner_in(sales)
    client = client_for(admin)

    page = client.get(url("user_detail", academy, user_id=learner.pk)).content.decode()
    response = client.post(url("membership_add", academy, user_id=learner.pk),
                           {"group": root_group(academy).pk, "role": Role.TRAINING_ADMIN})

    assert 'value="training_admin"' not in page
    assert response.status_code == 400
    assert not Membership.objects.filter(user=learner, role=Role.TRAINING_ADMIN).exists()


def test_user_page_lists_roles_grants_and_revokes(academy, client_for):
    sales = GroupFactory(academy=academy, name="Sales")
    learner = learner_in(sales, first_name="Ada", last_name="Lovelace")
    client = client_for(training_admin_of(academy))

    page = client.get(url("user_detail", academy, user_id=learner.pk))
    granted = client.post(url("membership_add", academy, user_id=learner.pk),
                          {"group": sales.pk, "role": Role.AUTHOR})
    author = Membership.objects.get(user=learner, role=Role.AUTHOR)
    revoked = client.post(url("membership_revoke", academy, user_id=learner.pk, membership_id=author.pk))

    assert page.status_code == 200
    content = page.content.decode()
    assert "<h1>Ada Lovelace</h1>" in content
    assert "<td>Sales</td>" in content and "<td>Learner</td>" in content
    assert granted.status_code == 302
    assert revoked.status_code == 302
    assert list(Membership.objects.filter(user=learner).values_list("role", flat=True)) == ["learner"]


def test_training_admin_role_outside_the_root_is_refused_next_to_the_group(academy, client_for):
    sales = GroupFactory(academy=academy)
    learner = learner_in(sales)

    response = client_for(training_admin_of(academy)).post(
        url("membership_add", academy, user_id=learner.pk), {"group": sales.pk, "role": Role.TRAINING_ADMIN}
    )

    content = response.content.decode()
    assert response.status_code == 400
    assert "Training admin covers the whole academy: grant it on the root group." in (
        content.split('for="id_group"')[1].split("</div>")[0]
    )


def test_learner_cannot_manage_users(academy, client_for):
    learner = learner_in(GroupFactory(academy=academy))

    assert client_for(learner).get(url("user_list", academy)).status_code == 403
    assert client_for(learner).post(url("user_new", academy), {"username": "x"}).status_code == 403
    assert not User.objects.filter(username="x").exists()
