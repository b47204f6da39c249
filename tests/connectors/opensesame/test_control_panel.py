"""The Control Panel's OpenSesame settings: saved in one go with write-only secrets, the custom logo
asking for the Client ID and secret, the CIID shared with another academy warned about, Test
connection saying what failed."""

import json

import pytest

from coursebridge.connectors.models import Connection
from coursebridge.connectors.providers.opensesame.control_panel import opensesame_save
from coursebridge.core.errors import DomainError
from tests.connectors.opensesame.factories import opensesame_connection
from tests.factories import AcademyFactory, GroupFactory, learner_in, training_admin_of
from tests.fakes.opensesame import CIID, CLIENT_ID, CLIENT_SECRET, FakeOpenSesame, os_course

pytestmark = pytest.mark.django_db
URL = "/a/cp-academy/admin/control-panel/content-providers/"


@pytest.fixture
def fake():
    with FakeOpenSesame() as server:
        yield server


@pytest.fixture
def team():
    academy = AcademyFactory(slug="cp-academy", name="Control Academy")
    return GroupFactory(academy=academy, name="Sales")


@pytest.fixture
def admin(team):
    return training_admin_of(team.academy, username="cp-admin")


def form(team, fake, **changes):
    data = {"enabled": "on", "ciid": CIID, "logo": "custom", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "webhook_secret": "hook-secret", "group": team.pk, "duplicate_policy": "replace", "sync_time": "06:15",
            "api_url": fake.url, "token_url": fake.token_url}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_shows_the_seed_wording_and_saves_everything_with_write_only_secrets(client_for, admin, team, fake):
    client = client_for(admin)
    page = client.get(URL).content.decode()
    assert "Connect external content providers to your academy" in page
    assert "The custom option is meant for organizations who white label their academy" in page
    assert "Customer Integration ID (CIID)" in page

    response = client.post(URL, form(team, fake))

    assert response.status_code == 302
    connection = Connection.objects.get(academy=team.academy, provider="opensesame")
    assert connection.enabled is True
    assert (connection.options["ciid"], connection.options["logo"], connection.options["duplicate_policy"]) == (
        CIID, "custom", "replace")
    assert connection.sync_time.strftime("%H:%M") == "06:15"
    assert connection.group_id == team.pk
    assert json.loads(connection.credentials) == {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                  "webhook_secret": "hook-secret"}
    again = client.get(URL).content.decode()
    assert CLIENT_SECRET not in again and "hook-secret" not in again
    assert "Stored: leave blank to keep it" in again
    assert "/api/academies/cp-academy/connectors/opensesame/webhook" in again

    # Blank secrets keep the stored ones; switching off keeps the connection.
    client.post(URL, form(team, fake, enabled=None, client_id="", client_secret="", webhook_secret=""))
    connection.refresh_from_db()
    assert connection.enabled is False
    assert json.loads(connection.credentials)["client_secret"] == CLIENT_SECRET


def test_a_custom_logo_needs_the_client_id_and_secret(client_for, admin, team, fake):
    response = client_for(admin).post(URL, form(team, fake, client_id="", client_secret=""))

    assert response.status_code == 400
    assert "A custom logo needs the Client ID and the Client secret from your OpenSesame representative." in (
        response.content.decode())
    assert not Connection.objects.filter(provider="opensesame").exists()


def test_a_ciid_is_required_while_on(team):
    with pytest.raises(DomainError) as refused:
        opensesame_save(academy=team.academy, enabled=True, ciid=" ", logo="opensesame", group=team)
    assert refused.value.field == "ciid"


def test_a_ciid_used_by_another_academy_is_saved_with_a_warning_explaining_the_confusion(
        client_for, admin, team, fake):
    other = GroupFactory(academy=AcademyFactory(slug="other", name="Other Academy"), name="All")
    opensesame_connection(other, fake)

    response = client_for(admin).post(URL, form(team, fake), follow=True)

    page = response.content.decode()
    assert ("The CIID &#x27;ciid-academy-1&#x27; is already used by another academy on this deployment "
            "(Other Academy)") in page
    assert "every course sent to it appears in each academy that uses it" in page
    assert Connection.objects.filter(provider="opensesame", options__ciid=CIID).count() == 2


def test_test_connection_says_exactly_what_failed(client_for, admin, team, fake):
    client = client_for(admin)
    client.post(URL, form(team, fake, client_secret="wrong-secret"))
    connection = Connection.objects.get(provider="opensesame")

    failed = client.post(f"/a/cp-academy/admin/connections/{connection.pk}/test/", headers={"HX-Request": "true"})
    assert failed.status_code == 200
    assert f"OpenSesame: {fake.token_url} refused the credentials (HTTP 401)." in failed.content.decode()

    client.post(URL, form(team, fake, client_secret=CLIENT_SECRET))
    ok = client.post(f"/a/cp-academy/admin/connections/{connection.pk}/test/", headers={"HX-Request": "true"})
    assert "Connected: the token and the content API answer, but no course has been delivered" in ok.content.decode()
    fake.courses = [os_course("c1", "Leading Teams")]
    ok = client.post(f"/a/cp-academy/admin/connections/{connection.pk}/test/", headers={"HX-Request": "true"})
    assert ("Connected: courses delivered to the CIID &#x27;ciid-academy-1&#x27; come through; the first is "
            "&#x27;Leading Teams&#x27;.") in ok.content.decode()


def test_learners_cannot_open_the_control_panel(client_for, team):
    response = client_for(learner_in(team, username="lea")).get(URL)
    assert response.status_code in {403, 404}


def test_opensesames_logo_uses_the_deployments_own_client(settings, team, fake):
    opensesame_save(academy=team.academy, enabled=True, ciid=CIID, logo="opensesame", group=team,
                    api_url=fake.url, token_url=fake.token_url)
    from coursebridge.connectors.services import connection_test

    connection = Connection.objects.get(provider="opensesame")
    settings.OPENSESAME_CLIENT_ID = ""
    settings.OPENSESAME_CLIENT_SECRET = ""
    with pytest.raises(DomainError) as refused:
        connection_test(connection=connection)
    assert refused.value.message.startswith("This deployment has no OpenSesame client of its own")

    settings.OPENSESAME_CLIENT_ID = CLIENT_ID
    settings.OPENSESAME_CLIENT_SECRET = CLIENT_SECRET
    assert connection_test(connection=connection).startswith("Connected:")
