"""The demo's OpenSesame connection: pointed at this deployment's marketplace, switched off."""

import json

import pytest

from coursebridge.connectors.models import Connection
from coursebridge.connectors.services import connections_due
from coursebridge.web import demo

pytestmark = pytest.mark.django_db


def test_the_demo_academy_has_opensesame_set_up_for_the_marketplace_and_switched_off(settings, tmp_path,
                                                                                     monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("PORT", "8105")
    demo.demo_load()

    connection = Connection.objects.get(provider="opensesame")
    assert (connection.enabled, connection.group.depth, connection.academy.slug) == (False, 0, "demo")
    assert connection.options["ciid"] == "demo-academy-ciid"
    assert connection.api_url == "http://127.0.0.1:8105/marketplace/api"
    assert connection.token_url == "http://127.0.0.1:8105/marketplace/api/oauth2/token"
    assert sorted(json.loads(connection.credentials)) == ["client_id", "client_secret", "webhook_secret"]
    assert connection.pk not in connections_due()
    assert demo.demo_delete()
