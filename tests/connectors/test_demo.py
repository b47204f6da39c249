"""The demo's OpenClassrooms connection: on a subgroup, switched off, reaching nobody."""

import pytest

from coursebridge.connectors.models import Connection
from coursebridge.connectors.services import connection_test, connections_due
from coursebridge.core.errors import DomainError
from coursebridge.web import demo

pytestmark = pytest.mark.django_db


def test_the_demo_shows_a_connection_that_asks_for_credentials_and_never_runs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    demo.demo_load()

    connection = Connection.objects.get(provider="openclassrooms")
    assert (connection.provider, connection.group.name, connection.group.depth, connection.enabled) == (
        "openclassrooms", "Data", 2, False)
    assert connections_due() == []
    with pytest.raises(DomainError) as caught:
        connection_test(connection=connection)
    assert caught.value.message == "Enter the Client ID, Client secret, Organization ID of the connection first."

    assert demo.demo_delete()
    assert not Connection.objects.exists()
