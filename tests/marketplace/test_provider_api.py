"""The provider API driven over real HTTP by an OpenSesame-style client: token, paging through
/v1/content to the end both ways, the package download, and a launch through aiccLaunchUrl."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone

from coursebridge.marketplace import credentials, services
from coursebridge.marketplace.models import AccessToken, ApiClient, Launch, Seat
from tests.marketplace import factories as f
from tests.marketplace.opensesame_client import OpenSesameStyleClient

pytestmark = pytest.mark.django_db(transaction=True)  # the live server reads what the test writes


def issue(account, live_server, integration_name):
    out = io.StringIO()
    call_command("marketplace", "issue-credentials", "--account", account.slug, "--integration", integration_name,
                 "--json", "--base-url", live_server.url, stdout=out)
    return json.loads(out.getvalue())


def test_an_opensesame_style_client_reads_every_delivered_course_and_launches_one(live_server, media, fake_lms):
    account = f.account(slug="riverside")
    integration = f.integration(account, kind="pull", name="Riverside LMS")
    other = f.integration(account, kind="pull", name="Other LMS")
    pub = f.publisher("Skillful")
    courses = [f.course(pub, title=f"Course {i:03d}") for i in range(7)]
    undelivered = f.course(pub, title="Not delivered")
    f.delivered(account, integration, courses)
    f.delivered(account, other, [undelivered])
    retired = services.course_retire(course=courses[5], reason="Outdated")
    services.course_archive(course=courses[6], reason="Gone")

    creds = issue(account, live_server, "Riverside LMS")
    assert set(creds) == {"ciid", "client_id", "client_secret", "token_url", "api_url"}
    assert creds["ciid"] == integration.ciid
    assert creds["token_url"] == f"{live_server.url}/marketplace/api/oauth2/token"
    assert creds["api_url"] == f"{live_server.url}/marketplace/api"
    assert creds["client_secret"] not in ApiClient.objects.get().secret_hash

    client = OpenSesameStyleClient(
        token_url=creds["token_url"], api_url=creds["api_url"], client_id=creds["client_id"],
        client_secret=creds["client_secret"], ciid=creds["ciid"],
    )
    followed = list(client.follow_next(limit=2))
    numbered = list(client.page_numbers(limit=4))

    expected_ids = [c.code for c in courses[:6]]
    assert [item["id"] for item in followed] == expected_ids
    assert [item["id"] for item in numbered] == expected_ids
    by_id = {item["id"]: item for item in followed}
    first = by_id[courses[0].code]
    assert set(first) == {"id", "title", "descriptionText", "descriptionHtml", "imageUrl", "thumbnailUrl", "duration",
                          "languages", "categories", "publisherName", "packageDownloadUrl", "aiccLaunchUrl", "active"}
    assert first["title"] == "Course 000"
    assert first["duration"] == "00:30:00"
    assert first["languages"] == ["en"]
    assert first["categories"] == ["|Business|Leadership"]
    assert first["publisherName"] == "Skillful"
    assert first["active"] is True
    assert first["aiccLaunchUrl"] == f"{live_server.url}/marketplace/aicc/{integration.ciid}/{courses[0].code}/"
    assert by_id[retired.code]["active"] is False

    package = client.http.get(first["packageDownloadUrl"], headers={"Authorization": f"Bearer {client.token}"})
    assert package.status_code == 200
    assert package.content[:2] == b"PK"

    fake_lms.students["sid-1"] = "learner-42"
    integration.lms_hosts = urlsplit(fake_lms.url).netloc
    integration.save()
    launched = httpx.get(first["aiccLaunchUrl"], params={"aicc_sid": "sid-1", "aicc_url": fake_lms.hacp_url},
                         follow_redirects=True)
    assert launched.status_code == 200
    assert "<h1>Course 000</h1>" in launched.text
    assert launched.url.params["aicc_sid"] == "sid-1"
    assert launched.url.params["aicc_url"] == fake_lms.hacp_url
    assert fake_lms.hacp_calls[0]["command"] == "GetParam"
    launch = Launch.objects.get()
    assert (launch.learner_key, launch.course_id) == ("learner-42", courses[0].pk)
    assert launch.integration_id == integration.pk
    assert Seat.objects.get().learner_key == "learner-42"


def test_tokens_errors_and_rate_limit_answer_in_json(live_server, media, settings):
    account = f.account()
    integration = f.integration(account)
    issued = credentials.credentials_issue(account=account, integration_name=integration.name)
    token_url = f"{live_server.url}/marketplace/api/oauth2/token"
    content_url = f"{live_server.url}/marketplace/api/v1/content"
    form = {"grant_type": "client_credentials", "scope": "content"}

    wrong = httpx.post(token_url, auth=(issued.client_id, "nope"), data=form)
    no_auth = httpx.post(token_url, data=form)
    bad_grant = httpx.post(token_url, auth=(issued.client_id, issued.client_secret), data={"grant_type": "password"})
    good = httpx.post(token_url, auth=(issued.client_id, issued.client_secret), data=form)
    token = good.json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}

    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "unauthenticated")
    assert no_auth.status_code == 401
    assert (bad_grant.status_code, bad_grant.json()["error"]["field"]) == (400, "grant_type")
    assert good.json()["token_type"] == "Bearer"
    assert good.json()["expires_in"] == 3600
    assert token not in AccessToken.objects.get().token_hash

    unknown = httpx.get(content_url, params={"customerIntegrationId": "ciid-unknown"}, headers=bearer)
    assert unknown.status_code == 404
    assert "ciid-unknown" in unknown.json()["error"]["message"]
    missing = httpx.get(content_url, headers=bearer)
    assert (missing.status_code, missing.json()["error"]["field"]) == (400, "customerIntegrationId")
    bad_page = httpx.get(content_url, params={"customerIntegrationId": integration.ciid, "page": "0"}, headers=bearer)
    assert (bad_page.status_code, bad_page.json()["error"]["field"]) == (400, "page")
    garbage = httpx.get(content_url, params={"customerIntegrationId": integration.ciid},
                        headers={"Authorization": "Bearer garbage"})
    assert garbage.status_code == 401
    assert garbage.json()["error"]["message"] == "The access token is not valid. Request a new one."

    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = httpx.get(content_url, params={"customerIntegrationId": integration.ciid}, headers=bearer)
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "The access token has expired. Request a new one."

    basic = base64.b64encode(f"{issued.client_id}:{issued.client_secret}".encode()).decode()
    token = httpx.post(token_url, headers={"Authorization": f"Basic {basic}"}, data=form).json()["access_token"]
    settings.MARKETPLACE_API_RATE_PER_MINUTE = 2
    answers = [httpx.get(content_url, params={"customerIntegrationId": integration.ciid},
                         headers={"Authorization": f"Bearer {token}"}) for _ in range(4)]
    assert [a.status_code for a in answers][-1] == 429
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert answers[-1].json()["error"]["code"] == "throttled"


def test_another_accounts_token_cannot_read_an_integration(live_server, media):
    mine, theirs = f.account(), f.account()
    their_integration = f.integration(theirs)
    issued = credentials.credentials_issue(account=mine)
    token = httpx.post(f"{live_server.url}/marketplace/api/oauth2/token", auth=(issued.client_id, issued.client_secret),
                       data={"grant_type": "client_credentials", "scope": "content"}).json()["access_token"]

    answer = httpx.get(f"{live_server.url}/marketplace/api/v1/content",
                       params={"customerIntegrationId": their_integration.ciid},
                       headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 404


def test_pages_skip_archived_courses_without_losing_the_ones_after_them(media):
    from django.test import Client

    account = f.account()
    integration = f.integration(account)
    courses = [f.course(title=f"C{i}", package=False) for i in range(1, 6)]
    f.delivered(account, integration, courses)
    services.course_archive(course=courses[1])
    services.course_archive(course=courses[2])
    issued = credentials.credentials_issue(account=account, integration_name=integration.name)
    token, _ = credentials.token_issue(client_id=issued.client_id, client_secret=issued.client_secret)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def page(**params):
        body = client.get("/marketplace/api/v1/content", {"customerIntegrationId": integration.ciid, "limit": 1,
                                                          **params}).json()
        return [item["title"] for item in body["data"]], body["paging"]["next"]

    numbered = [page(page=n) for n in range(1, 6)]
    followed, address = page()
    while address:
        body = client.get(address).json()
        followed += [item["title"] for item in body["data"]]
        address = body["paging"]["next"]

    assert [titles for titles, _ in numbered] == [["C1"], [], [], ["C4"], ["C5"]]
    assert [bool(following) for _, following in numbered] == [True, True, True, True, False]
    assert followed == ["C1", "C4", "C5"]


def test_ids_lists_just_the_named_courses_page_by_page(media):
    """Our extension for the academy's sync after a push notice: `ids` (course ids, commas)."""
    from django.test import Client

    account = f.account()
    integration = f.integration(account)
    courses = [f.course(title=f"C{i}", code=f"code-{i}", package=False) for i in range(1, 8)]
    f.delivered(account, integration, courses)
    issued = credentials.credentials_issue(account=account, integration_name=integration.name)
    token, _ = credentials.token_issue(client_id=issued.client_id, client_secret=issued.client_secret)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    body = client.get("/marketplace/api/v1/content", {"customerIntegrationId": integration.ciid, "limit": 2,
                                                      "ids": "code-6,code-2,code-4,unknown"}).json()
    titles = [item["title"] for item in body["data"]]
    following = body["paging"]["next"]
    assert "ids=code-6%2Ccode-2%2Ccode-4%2Cunknown" in following
    rest = client.get(following).json()

    assert titles == ["C2", "C4"]
    assert [item["title"] for item in rest["data"]] == ["C6"]
    assert rest["paging"]["next"] is None
    too_many = client.get("/marketplace/api/v1/content", {"customerIntegrationId": integration.ciid,
                                                          "ids": ",".join(f"c{n}" for n in range(201))})
    assert too_many.status_code == 400
    assert too_many.json()["error"]["field"] == "ids"
    assert too_many.json()["error"]["message"] == "ids names 201 courses; at most 200 can be asked for at once."
