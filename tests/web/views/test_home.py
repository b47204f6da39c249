import pytest
from django.test import Client
from django.urls import reverse

from coursebridge.accounts.models import Role
from tests.factories import PASSWORD, AcademyFactory, GroupFactory, UserFactory, learner_in, member, training_admin_of

pytestmark = pytest.mark.django_db


def site_admin():
    return UserFactory(academy=None, is_superuser=True, is_staff=True)


def test_anonymous_visitor_is_sent_to_sign_in():
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_signed_in_user_lands_on_their_academys_catalogue(client_for):
    academy = AcademyFactory(slug="north")
    learner = learner_in(GroupFactory(academy=academy))

    response = client_for(learner).get("/")

    assert response.status_code == 302
    assert response["Location"] == "/a/north/catalogue/"


def test_site_admin_lands_on_the_academy_list(client_for):
    AcademyFactory(name="North Academy", slug="north")
    AcademyFactory(name="South Academy", slug="south")
    client = client_for(site_admin())

    home = client.get("/")
    listing = client.get(reverse("web:academy_list"))

    assert home["Location"] == "/academies/"
    content = listing.content.decode()
    assert listing.status_code == 200
    assert "North Academy" in content and "South Academy" in content
    assert 'href="/a/south/catalogue/"' in content


def test_academy_list_is_for_site_admins_only(client_for):
    academy = AcademyFactory(name="North Academy")
    AcademyFactory(name="South Academy")

    response = client_for(training_admin_of(academy)).get(reverse("web:academy_list"))

    assert response.status_code == 403
    assert "South Academy" not in response.content.decode()


def test_user_without_academy_is_told_so(client_for):
    response = client_for(UserFactory(academy=None)).get("/")

    assert response.status_code == 403
    assert "Your account is not attached to an academy." in response.content.decode()


def test_sign_in_form_signs_in_and_goes_home():
    academy = AcademyFactory(slug="north")
    learner = learner_in(GroupFactory(academy=academy), username="ada")
    client = Client()

    page = client.get(reverse("web:login"))
    response = client.post(reverse("web:login"), {"username": "ada", "password": PASSWORD})

    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/a/north/catalogue/"
    assert int(client.session["_auth_user_id"]) == learner.pk


def test_sign_in_with_a_wrong_password_says_so():
    UserFactory(username="ada")

    response = Client().post(reverse("web:login"), {"username": "ada", "password": "wrong"})

    assert response.status_code == 200
    assert "Your username and password did not match." in response.content.decode()


def test_sign_in_returns_to_the_page_asked_for():
    academy = AcademyFactory(slug="north")
    learner_in(GroupFactory(academy=academy), username="ada")

    response = Client().post(
        reverse("web:login"), {"username": "ada", "password": PASSWORD, "next": "/a/north/transcript/"}
    )

    assert response["Location"] == "/a/north/transcript/"


def test_sign_out_is_a_post_and_lands_on_sign_in(client_for):
    client = client_for(UserFactory())

    refused = client.get(reverse("web:logout"))
    response = client.post(reverse("web:logout"))

    assert refused.status_code == 405
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_top_bar_for_a_learner_has_no_admin_menu(client_for):
    academy = AcademyFactory(name="North Academy")
    learner = learner_in(GroupFactory(academy=academy))

    content = client_for(learner).get(reverse("web:transcript", kwargs={"slug": academy.slug})).content.decode()

    assert f'<a class="brand" href="/a/{academy.slug}/catalogue/">North Academy</a>' in content
    assert ">Catalogue</a>" in content
    assert 'aria-current="page">My transcript</a>' in content
    assert "<summary>Admin</summary>" not in content
    assert ">API tokens</a>" in content
    assert 'action="/accounts/logout/"' in content


def test_top_bar_admin_menu_follows_the_role(client_for):
    academy = AcademyFactory()
    group = GroupFactory(academy=academy)
    group_admin = UserFactory(academy=academy)
    member(group_admin, group, Role.GROUP_ADMIN)
    page = reverse("web:catalogue", kwargs={"slug": academy.slug})

    as_group_admin = client_for(group_admin).get(page).content.decode()
    as_training_admin = client_for(training_admin_of(academy)).get(page).content.decode()

    assert "<summary>Admin</summary>" in as_group_admin
    assert ">Groups</a>" in as_group_admin and ">Users</a>" in as_group_admin
    assert ">Courses</a>" not in as_group_admin
    assert ">Courses</a>" in as_training_admin and ">Categories</a>" in as_training_admin


def test_unknown_address_shows_the_not_found_page(client_for):
    response = client_for(UserFactory()).get("/no/such/page/")

    assert response.status_code == 404
    content = response.content.decode()
    assert "<h1>Not found</h1>" in content
    assert "/static/web/app.css" in content
