"""The API of the signed-in user, tokens, academies, groups, users and memberships."""

from __future__ import annotations

import pytest
from django.test import Client

from coursebridge.accounts.models import ApiToken, Group, Membership, Role, User
from coursebridge.accounts.services import api_token_create
from tests.factories import AcademyFactory, GroupFactory, UserFactory, learner_in, member, root_group, training_admin_of

pytestmark = pytest.mark.django_db


def token_client(user) -> Client:
    _, clear = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {clear}"})


def site_admin() -> User:
    return User.objects.create_superuser(username="root", email="root@example.org", password="x-long-password-1")


def group_admin_of(group: Group, **kwargs) -> User:
    user = UserFactory(academy=group.academy, **kwargs)
    member(user, group, Role.GROUP_ADMIN)
    return user


# --- Me and tokens ---------------------------------------------------------------------------------


def test_me_names_the_user_the_academy_and_the_roles():
    academy = AcademyFactory(slug="north", name="North")
    team = GroupFactory(academy=academy, name="Team")
    user = training_admin_of(academy, username="ada", first_name="Ada", last_name="King")
    member(user, team, Role.LEARNER)

    body = token_client(user).get("/api/me").json()

    root = root_group(academy)
    assert body["username"] == "ada"
    assert body["display_name"] == "Ada King"
    assert body["is_site_admin"] is False
    assert body["academy"]["slug"] == "north"
    assert body["roles"] == [
        {"group_id": root.pk, "group_name": "North", "group_path": root.path, "role": "training_admin"},
        {"group_id": team.pk, "group_name": "Team", "group_path": team.path, "role": "learner"},
    ]


def test_me_of_a_site_admin_has_no_academy():
    body = token_client(site_admin()).get("/api/me").json()

    assert body["is_site_admin"] is True
    assert body["academy"] is None
    assert body["roles"] == []


def test_a_created_token_is_shown_once_and_works():
    user = UserFactory()
    client = token_client(user)

    created = client.post("/api/me/tokens", data={"name": "nightly export"}, content_type="application/json")

    assert created.status_code == 201
    clear = created.json()["token"]
    assert clear.startswith("cb_")
    assert created.json()["prefix"] == clear[:10]
    assert Client(headers={"Authorization": f"Bearer {clear}"}).get("/api/me").status_code == 200
    assert not ApiToken.objects.filter(key_hash__contains=clear).exists()


def test_the_token_list_never_shows_a_token():
    user = UserFactory()
    client = token_client(user)
    clear = client.post("/api/me/tokens", data={"name": "export"}, content_type="application/json").json()["token"]

    body = client.get("/api/me/tokens").json()

    assert body["count"] == 2
    assert [t["name"] for t in body["items"]] == ["export", "tests"]
    assert set(body["items"][0]) == {"id", "name", "prefix", "created_at", "last_used_at"}
    assert clear not in str(body)
    assert body["items"][1]["last_used_at"] is not None  # the tests token authenticated these calls


def test_a_token_without_a_name_is_refused():
    response = token_client(UserFactory()).post("/api/me/tokens", data={"name": "  "}, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Name the token so you can recognise it later.",
        "field": "name",
    }


def test_a_revoked_token_stops_working_and_leaves_the_list():
    user = UserFactory()
    client = token_client(user)
    other, other_clear = api_token_create(user=user, name="other")

    response = client.delete(f"/api/me/tokens/{other.pk}")

    assert response.status_code == 204
    assert Client(headers={"Authorization": f"Bearer {other_clear}"}).get("/api/me").status_code == 401
    assert [t["name"] for t in client.get("/api/me/tokens").json()["items"]] == ["tests"]


def test_someone_elses_token_cannot_be_revoked():
    mine = UserFactory()
    theirs, _ = api_token_create(user=UserFactory(academy=mine.academy), name="theirs")

    response = token_client(mine).delete(f"/api/me/tokens/{theirs.pk}")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


# --- Academies -------------------------------------------------------------------------------------


def test_a_site_admin_lists_every_academy():
    AcademyFactory(slug="a", name="Alpha")
    AcademyFactory(slug="b", name="Beta")

    body = token_client(site_admin()).get("/api/academies").json()

    assert [a["slug"] for a in body["items"]] == ["a", "b"]


def test_a_member_lists_only_their_academy():
    mine = AcademyFactory(slug="mine")
    AcademyFactory(slug="other")

    body = token_client(learner_in(root_group(mine))).get("/api/academies").json()

    assert [a["slug"] for a in body["items"]] == ["mine"]
    assert body["count"] == 1


def test_a_site_admin_creates_an_academy_with_its_root_group():
    response = token_client(site_admin()).post(
        "/api/academies", data={"slug": "south", "name": "South"}, content_type="application/json"
    )

    assert response.status_code == 201
    assert response.json()["slug"] == "south"
    assert Group.objects.get(academy__slug="south", parent__isnull=True).name == "South"


def test_a_taken_slug_is_a_conflict():
    AcademyFactory(slug="south")

    response = token_client(site_admin()).post(
        "/api/academies", data={"slug": "south", "name": "Again"}, content_type="application/json"
    )

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict",
        "message": "An academy with the slug 'south' already exists.",
        "field": "slug",
    }


def test_only_site_admins_create_academies():
    academy = AcademyFactory()

    response = token_client(training_admin_of(academy)).post(
        "/api/academies", data={"slug": "mine", "name": "Mine"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Only site admins create academies."


def test_another_academy_is_not_found():
    mine = AcademyFactory()
    AcademyFactory(slug="other")

    response = token_client(training_admin_of(mine)).get("/api/academies/other")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No academy 'other' for you."


def test_a_site_admin_enters_any_academy():
    AcademyFactory(slug="other", name="Other")

    body = token_client(site_admin()).get("/api/academies/other").json()

    assert body["name"] == "Other"


# --- Groups ----------------------------------------------------------------------------------------


def test_groups_are_listed_in_tree_order():
    academy = AcademyFactory(name="Acme")
    root = root_group(academy)
    sales = GroupFactory(academy=academy, name="Sales")
    north = GroupFactory(academy=academy, parent=sales, name="North")
    ops = GroupFactory(academy=academy, name="Ops")

    body = token_client(training_admin_of(academy)).get(f"/api/academies/{academy.slug}/groups").json()

    expected = sorted([root, sales, north, ops], key=lambda g: g.path)
    assert [(g["name"], g["parent_id"], g["depth"], g["path"]) for g in body["items"]] == [
        (g.name, g.parent_id, g.depth, g.path) for g in expected
    ]
    assert body["items"][0] == {
        "id": root.pk,
        "name": "Acme",
        "parent_id": None,
        "depth": 0,
        "path": f"/{root.pk}/",
        "created_at": body["items"][0]["created_at"],
    }


def test_a_group_admin_lists_only_their_subtree():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    north = GroupFactory(academy=academy, parent=sales, name="North")
    GroupFactory(academy=academy, name="Ops")

    body = token_client(group_admin_of(sales)).get(f"/api/academies/{academy.slug}/groups").json()

    assert [g["id"] for g in body["items"]] == [sales.pk, north.pk]


def test_learners_cannot_list_groups():
    academy = AcademyFactory()

    response = token_client(learner_in(root_group(academy))).get(f"/api/academies/{academy.slug}/groups")

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Only administrators of this academy may do this."


def test_a_training_admin_creates_a_group():
    academy = AcademyFactory()
    root = root_group(academy)

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/groups",
        data={"parent_id": root.pk, "name": "Sales"},
        content_type="application/json",
    )

    assert response.status_code == 201
    group = Group.objects.get(pk=response.json()["id"])
    assert (group.name, group.parent_id, group.depth, group.path) == ("Sales", root.pk, 1, f"{root.path}{group.pk}/")


def test_a_group_admin_creates_groups_only_in_their_subtree():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    ops = GroupFactory(academy=academy, name="Ops")
    client = token_client(group_admin_of(sales))
    url = f"/api/academies/{academy.slug}/groups"

    inside = client.post(url, data={"parent_id": sales.pk, "name": "North"}, content_type="application/json")
    outside = client.post(url, data={"parent_id": ops.pk, "name": "East"}, content_type="application/json")

    assert inside.status_code == 201
    assert outside.status_code == 403
    assert outside.json()["error"]["message"] == "You do not administer 'Ops'."
    assert not Group.objects.filter(name="East").exists()


def test_a_sibling_name_twice_is_a_conflict():
    academy = AcademyFactory()
    GroupFactory(academy=academy, name="Sales")

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/groups",
        data={"parent_id": root_group(academy).pk, "name": "Sales"},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["field"] == "name"


def test_a_group_of_another_academy_cannot_be_a_parent():
    academy = AcademyFactory()
    foreign = root_group(AcademyFactory())

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/groups",
        data={"parent_id": foreign.pk, "name": "Sneaky"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": f"No group {foreign.pk} in this academy.",
        "field": "parent_id",
    }
    assert not Group.objects.filter(name="Sneaky").exists()


def test_a_group_is_renamed():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")

    response = token_client(training_admin_of(academy)).patch(
        f"/api/academies/{academy.slug}/groups/{sales.pk}", data={"name": "Revenue"}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Revenue"
    sales.refresh_from_db()
    assert sales.name == "Revenue"


def test_a_group_is_moved_with_its_subtree():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    north = GroupFactory(academy=academy, parent=sales, name="North")
    ops = GroupFactory(academy=academy, name="Ops")

    response = token_client(training_admin_of(academy)).patch(
        f"/api/academies/{academy.slug}/groups/{sales.pk}",
        data={"parent_id": ops.pk},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert (response.json()["parent_id"], response.json()["depth"]) == (ops.pk, 2)
    north.refresh_from_db()
    assert north.path == f"{ops.path}{sales.pk}/{north.pk}/"


def test_a_group_cannot_move_under_itself():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    north = GroupFactory(academy=academy, parent=sales, name="North")

    response = token_client(training_admin_of(academy)).patch(
        f"/api/academies/{academy.slug}/groups/{sales.pk}",
        data={"parent_id": north.pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "A group cannot move under itself or one of its subgroups."


def test_a_group_admin_changes_groups_below_theirs_but_not_their_own():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    north = GroupFactory(academy=academy, parent=sales, name="North")
    client = token_client(group_admin_of(sales))

    below = client.patch(
        f"/api/academies/{academy.slug}/groups/{north.pk}", data={"name": "Nord"}, content_type="application/json"
    )
    own = client.patch(
        f"/api/academies/{academy.slug}/groups/{sales.pk}", data={"name": "Mine"}, content_type="application/json"
    )

    assert below.status_code == 200
    assert own.status_code == 403
    sales.refresh_from_db()
    assert sales.name == "Sales"


def test_a_group_admin_cannot_move_a_group_out_of_their_subtree():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    north = GroupFactory(academy=academy, parent=sales, name="North")
    ops = GroupFactory(academy=academy, name="Ops")

    response = token_client(group_admin_of(sales)).patch(
        f"/api/academies/{academy.slug}/groups/{north.pk}",
        data={"parent_id": ops.pk},
        content_type="application/json",
    )

    assert response.status_code == 403
    north.refresh_from_db()
    assert north.parent_id == sales.pk


def test_a_group_outside_the_admins_subtree_is_not_found():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    ops = GroupFactory(academy=academy, name="Ops")

    response = token_client(group_admin_of(sales)).get(f"/api/academies/{academy.slug}/groups/{ops.pk}")

    assert response.status_code == 404


def test_a_leaf_group_is_deleted():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")

    response = token_client(training_admin_of(academy)).delete(f"/api/academies/{academy.slug}/groups/{sales.pk}")

    assert response.status_code == 204
    assert not Group.objects.filter(pk=sales.pk).exists()


def test_the_root_group_is_not_deleted():
    academy = AcademyFactory()
    root = root_group(academy)

    response = token_client(training_admin_of(academy)).delete(f"/api/academies/{academy.slug}/groups/{root.pk}")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The root group cannot be deleted."


# --- Users -----------------------------------------------------------------------------------------


def test_users_are_filtered_by_text_and_activity():
    academy = AcademyFactory()
    admin = training_admin_of(academy, username="admin")
    UserFactory(academy=academy, username="grace", email="grace@navy.example")
    UserFactory(academy=academy, username="alan", last_name="Turing", is_active=False)
    client = token_client(admin)
    url = f"/api/academies/{academy.slug}/users"

    assert [u["username"] for u in client.get(url).json()["items"]] == ["admin", "alan", "grace"]
    assert [u["username"] for u in client.get(url, {"q": "NAVY"}).json()["items"]] == ["grace"]
    assert [u["username"] for u in client.get(url, {"q": "turing"}).json()["items"]] == ["alan"]
    assert [u["username"] for u in client.get(url, {"is_active": "false"}).json()["items"]] == ["alan"]


def test_a_group_admin_lists_the_members_of_their_subtree_only():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    north = GroupFactory(academy=academy, parent=sales, name="North")
    admin = group_admin_of(sales, username="boss")
    learner_in(north, username="nina")
    learner_in(GroupFactory(academy=academy, name="Ops"), username="otto")

    body = token_client(admin).get(f"/api/academies/{academy.slug}/users").json()

    assert [u["username"] for u in body["items"]] == ["boss", "nina"]


def test_a_training_admin_creates_a_user():
    academy = AcademyFactory()

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/users",
        data={"username": "newbie", "email": "newbie@example.org", "first_name": "New"},
        content_type="application/json",
    )

    assert response.status_code == 201
    user = User.objects.get(username="newbie")
    assert (user.academy_id, user.email, user.first_name) == (academy.pk, "newbie@example.org", "New")
    assert not user.has_usable_password()
    assert "password" not in response.json()


def test_a_group_admin_creates_users_in_a_group_they_administer():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    client = token_client(group_admin_of(sales))
    url = f"/api/academies/{academy.slug}/users"

    without_group = client.post(url, data={"username": "floating"}, content_type="application/json")
    with_group = client.post(url, data={"username": "seller", "group_id": sales.pk}, content_type="application/json")

    assert without_group.status_code == 400
    assert without_group.json()["error"]["field"] == "group_id"
    assert with_group.status_code == 201
    assert list(Membership.objects.filter(user__username="seller").values_list("group_id", "role")) == [
        (sales.pk, "learner")
    ]


def test_a_taken_username_is_a_conflict():
    academy = AcademyFactory()
    UserFactory(academy=AcademyFactory(), username="taken")

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/users", data={"username": "TAKEN"}, content_type="application/json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["field"] == "username"


def test_a_user_is_read_and_changed():
    academy = AcademyFactory()
    user = UserFactory(academy=academy, email="old@example.org")
    client = token_client(training_admin_of(academy))
    url = f"/api/academies/{academy.slug}/users/{user.pk}"

    changed = client.patch(url, data={"email": "new@example.org", "is_active": False}, content_type="application/json")

    assert changed.status_code == 200
    assert client.get(url).json()["email"] == "new@example.org"
    user.refresh_from_db()
    assert (user.email, user.is_active) == ("new@example.org", False)


def test_a_bad_email_is_refused_by_field():
    academy = AcademyFactory()
    user = UserFactory(academy=academy)

    response = token_client(training_admin_of(academy)).patch(
        f"/api/academies/{academy.slug}/users/{user.pk}", data={"email": "nope"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "'nope' is not an email address.",
        "field": "email",
    }


def test_a_group_admin_cannot_see_users_outside_their_subtree():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    outsider = learner_in(GroupFactory(academy=academy, name="Ops"))

    response = token_client(group_admin_of(sales)).get(f"/api/academies/{academy.slug}/users/{outsider.pk}")

    assert response.status_code == 404


def test_a_group_admin_cannot_change_a_training_admin():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    boss = training_admin_of(academy)
    member(boss, sales, Role.LEARNER)

    response = token_client(group_admin_of(sales)).patch(
        f"/api/academies/{academy.slug}/users/{boss.pk}", data={"is_active": False}, content_type="application/json"
    )

    assert response.status_code == 403
    boss.refresh_from_db()
    assert boss.is_active is True


def test_learners_cannot_list_users():
    academy = AcademyFactory()

    response = token_client(learner_in(root_group(academy))).get(f"/api/academies/{academy.slug}/users")

    assert response.status_code == 403


# --- Memberships -----------------------------------------------------------------------------------


def test_memberships_are_filtered():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    admin = training_admin_of(academy, username="admin")
    nina = learner_in(sales, username="nina")
    member(nina, sales, Role.AUTHOR)
    client = token_client(admin)
    url = f"/api/academies/{academy.slug}/memberships"

    everyone = client.get(url).json()
    by_user = client.get(url, {"user_id": nina.pk}).json()
    authors = client.get(url, {"role": "author"}).json()
    in_sales = client.get(url, {"group_id": sales.pk, "role": "learner"}).json()

    assert everyone["count"] == 3
    assert [(m["username"], m["role"]) for m in by_user["items"]] == [("nina", "author"), ("nina", "learner")]
    assert [m["username"] for m in authors["items"]] == ["nina"]
    assert [(m["group_name"], m["username"]) for m in in_sales["items"]] == [("Sales", "nina")]


def test_an_unknown_role_filter_is_a_422():
    academy = AcademyFactory()

    response = token_client(training_admin_of(academy)).get(f"/api/academies/{academy.slug}/memberships?role=king")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "role"


def test_a_role_is_granted_and_revoked():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    user = UserFactory(academy=academy)
    client = token_client(training_admin_of(academy))

    granted = client.post(
        f"/api/academies/{academy.slug}/memberships",
        data={"user_id": user.pk, "group_id": sales.pk, "role": "group_admin"},
        content_type="application/json",
    )
    membership_id = granted.json()["id"]
    revoked = client.delete(f"/api/academies/{academy.slug}/memberships/{membership_id}")

    assert granted.status_code == 201
    assert granted.json()["role"] == "group_admin"
    assert revoked.status_code == 204
    assert not Membership.objects.filter(pk=membership_id).exists()


def test_training_admin_is_granted_on_the_root_group_only():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    user = UserFactory(academy=academy)

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/memberships",
        data={"user_id": user.pk, "group_id": sales.pk, "role": "training_admin"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "group"


def test_a_group_admin_cannot_grant_training_admin():
    academy = AcademyFactory()
    root = root_group(academy)
    admin = group_admin_of(root)
    user = UserFactory(academy=academy)

    response = token_client(admin).post(
        f"/api/academies/{academy.slug}/memberships",
        data={"user_id": user.pk, "group_id": root.pk, "role": "training_admin"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not Membership.objects.filter(user=user).exists()


def test_a_user_of_another_academy_gets_no_role():
    academy = AcademyFactory()
    stranger = UserFactory(academy=AcademyFactory())

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/memberships",
        data={"user_id": stranger.pk, "group_id": root_group(academy).pk, "role": "learner"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "user_id"
    assert not Membership.objects.filter(user=stranger).exists()


def test_a_group_admin_cannot_revoke_roles_outside_their_subtree():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    boss = training_admin_of(academy)
    boss_role = Membership.objects.get(user=boss)

    response = token_client(group_admin_of(sales)).delete(f"/api/academies/{academy.slug}/memberships/{boss_role.pk}")

    assert response.status_code == 404
    assert Membership.objects.filter(pk=boss_role.pk).exists()


def test_a_group_admin_lists_the_roles_of_their_subtree_only():
    academy = AcademyFactory()
    sales = GroupFactory(academy=academy, name="Sales")
    north = GroupFactory(academy=academy, parent=sales, name="North")
    admin = group_admin_of(sales, username="boss")
    learner_in(north, username="nina")
    learner_in(GroupFactory(academy=academy, name="Ops"), username="otto")
    training_admin_of(academy, username="chief")

    body = token_client(admin).get(f"/api/academies/{academy.slug}/memberships").json()

    assert [(m["group_name"], m["username"], m["role"]) for m in body["items"]] == [
        ("Sales", "boss", "group_admin"),
        ("North", "nina", "learner"),
    ]


def test_learners_cannot_list_memberships():
    academy = AcademyFactory()

    response = token_client(learner_in(root_group(academy))).get(f"/api/academies/{academy.slug}/memberships")

    assert response.status_code == 403
