import hashlib

import pytest
from django.urls import reverse

from coursebridge.accounts.models import ApiToken
from coursebridge.accounts.services import api_token_authenticate, api_token_create
from tests.factories import AcademyFactory, UserFactory

pytestmark = pytest.mark.django_db


def tokens_url(academy):
    return reverse("web:token_list", kwargs={"slug": academy.slug})


def test_creating_a_token_shows_it_once(client_for):
    user = UserFactory()
    client = client_for(user)

    response = client.post(tokens_url(user.academy), {"name": "reporting script"})
    again = client.get(tokens_url(user.academy))

    content = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=user)
    clear = content.split('<code class="token" id="clear-token">')[1].split("</code>")[0]
    assert hashlib.sha256(clear.encode()).hexdigest() == token.key_hash
    assert api_token_authenticate(clear=clear) == user
    assert "reporting script" in content
    assert clear not in again.content.decode()
    assert f"<code>{token.prefix}…</code>" in again.content.decode()


def test_token_needs_a_name(client_for):
    user = UserFactory()

    response = client_for(user).post(tokens_url(user.academy), {"name": "  "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_a_token_stops_it(client_for):
    user = UserFactory()
    token, clear = api_token_create(user=user, name="old script")

    response = client_for(user).post(
        reverse("web:token_revoke", kwargs={"slug": user.academy.slug, "token_id": token.pk})
    )

    assert response.status_code == 302
    assert response["Location"] == tokens_url(user.academy)
    assert api_token_authenticate(clear=clear) is None
    page = client_for(user).get(tokens_url(user.academy)).content.decode()
    assert "Revoked" in page


def test_another_users_token_cannot_be_revoked(client_for):
    academy = AcademyFactory()
    owner, intruder = UserFactory(academy=academy), UserFactory(academy=academy)
    token, clear = api_token_create(user=owner, name="mine")

    response = client_for(intruder).post(
        reverse("web:token_revoke", kwargs={"slug": academy.slug, "token_id": token.pk})
    )
    listing = client_for(intruder).get(tokens_url(academy)).content.decode()

    assert response.status_code == 404
    assert api_token_authenticate(clear=clear) == owner
    assert "mine" not in listing
    assert "You have no token yet." in listing
