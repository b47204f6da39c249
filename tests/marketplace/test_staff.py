"""The marketplace staff's tools: issuing credentials from the command line and the admin, uploading
a publisher's AICC package in the admin."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from coursebridge.marketplace.credentials import digest
from coursebridge.marketplace.demo_content import aicc_course_zip
from coursebridge.marketplace.models import ApiClient, Integration, MarketCourse
from tests.marketplace import factories as f

pytestmark = pytest.mark.django_db


def staff_client():
    user = get_user_model().objects.create_superuser(username="staff", password=f.PASSWORD)
    client = Client()
    client.force_login(user)
    return client


def test_the_command_prints_credentials_once_and_makes_a_missing_integration():
    account = f.account(slug="acme")
    out = io.StringIO()

    call_command("marketplace", "issue-credentials", "--account", "acme", "--integration", "Moodle", "--json",
                 "--base-url", "https://market.example.org/", stdout=out)

    data = json.loads(out.getvalue())
    integration = Integration.objects.get(account=account)
    assert (integration.name, integration.kind, integration.ciid) == ("Moodle", "pull", data["ciid"])
    assert data["token_url"] == "https://market.example.org/marketplace/api/oauth2/token"
    assert data["api_url"] == "https://market.example.org/marketplace/api"
    client = ApiClient.objects.get()
    assert client.client_id == data["client_id"]
    assert client.secret_hash == digest(data["client_secret"])
    with pytest.raises(CommandError, match="No customer account with the slug 'nope'"):
        call_command("marketplace", "issue-credentials", "--account", "nope", stdout=io.StringIO())


def test_the_admin_action_shows_the_secret_once():
    account = f.account()
    integration = f.integration(account, name="Docebo")
    client = staff_client()

    answer = client.post("/site-admin/marketplace/integration/", {
        "action": "issue_credentials", "_selected_action": [integration.pk]}, follow=True)

    text = answer.content.decode()
    issued = ApiClient.objects.get()
    assert f"client id {issued.client_id}" in text
    assert "copy it now: it is not shown again" in text
    assert "secret_hash" not in client.get(f"/site-admin/marketplace/apiclient/{issued.pk}/change/").content.decode()


def test_a_package_uploaded_in_the_admin_is_validated_and_stored(media):
    pub = f.publisher()
    client = staff_client()
    form = {"publisher": pub.pk, "code": "fire-101", "title": "Fire safety", "duration_seconds": 600,
            "languages": '["en"]', "categories": '["|Compliance|Safety"]', "status": "active"}

    refused = client.post("/site-admin/marketplace/marketcourse/add/", {
        **form, "package": SimpleUploadedFile("p.zip", b"not a zip")})
    stored = client.post("/site-admin/marketplace/marketcourse/add/", {
        **form, "package": SimpleUploadedFile("p.zip", aicc_course_zip(course_id="fire-101", title="Fire safety"))})

    assert refused.status_code == 200
    assert "The package was refused: The file is not a zip archive" in refused.content.decode()
    assert stored.status_code == 302
    course = MarketCourse.objects.get()
    assert (course.au_path, course.package_identifier) == ("index.html", "fire-101")
    assert (media / course.package_prefix / "index.html").exists()


def test_lifecycle_changes_in_the_admin_go_through_the_services_and_tell_the_lms(media, monkeypatch):
    from coursebridge.marketplace import tasks
    from coursebridge.marketplace.models import Delivery, WebhookEvent

    monkeypatch.setattr(tasks.send_webhook, "delay", lambda *args: None)  # the notices are checked as rows
    account = f.account()
    push = f.integration(account, "push", name="Academy")
    kept, gone, back = (f.course(title=t, package=False) for t in ("Kept", "Gone", "Back"))
    f.delivered(account, push, [kept, gone, back])
    MarketCourse.objects.filter(pk=back.pk).update(status="retired")
    client = staff_client()

    client.post("/site-admin/marketplace/marketcourse/", {"action": "archive", "_selected_action": [gone.pk]})
    client.post("/site-admin/marketplace/marketcourse/", {"action": "reactivate", "_selected_action": [back.pk]})
    form = {"publisher": kept.publisher_id, "code": kept.code, "title": kept.title, "duration_seconds": 1800,
            "languages": "[]", "categories": '["|Business|Leadership"]', "status": "retiring",
            "status_reason": "Series redesign"}
    undated = client.post(f"/site-admin/marketplace/marketcourse/{kept.pk}/change/", form, follow=True)

    statuses = dict(MarketCourse.objects.values_list("title", "status"))
    assert statuses == {"Kept": "active", "Gone": "archived", "Back": "active"}
    assert "The status stays active: a retiring course needs its retire date." in undated.content.decode()
    assert Delivery.objects.get(course=gone).listed is False
    events = sorted((e.event, e.payload["courseIds"]) for e in WebhookEvent.objects.exclude(event="content.delivered"))
    assert events == [("content.archived", [gone.code]), ("content.updated", [back.code])]
