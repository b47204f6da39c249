"""Hostile input at the provider API and the launch: any query, header or path gets an answer that
is not a server error, and a JSON one from the API."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursebridge.marketplace import credentials
from tests.marketplace import factories as f

pytestmark = pytest.mark.django_db

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@pytest.fixture
def world(media):
    account = f.account()
    integration = f.integration(account)
    f.delivered(account, integration, [f.course(package=False)])
    issued = credentials.credentials_issue(account=account, integration_name=integration.name)
    token, _ = credentials.token_issue(client_id=issued.client_id, client_secret=issued.client_secret)
    return {"integration": integration, "token": token}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ciid=text, limit=text, page=text, after=text, code=text)
def test_content_and_package_answer_json_whatever_the_query(world, ciid, limit, page, after, code):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world['token']}")
    for params in ({"customerIntegrationId": ciid, "limit": limit, "page": page, "after": after},
                   {"customerIntegrationId": world["integration"].ciid, "limit": limit, "page": page, "after": after}):
        answer = client.get("/marketplace/api/v1/content", params)
        assert answer.status_code in {200, 400, 404}, (params, answer.status_code)
        assert answer["Content-Type"] == "application/json"
    package = client.get(f"/marketplace/api/v1/content/{quote(code, safe='') or 'x'}/package",
                         {"customerIntegrationId": ciid})
    assert package.status_code in {200, 400, 404}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(authorization=header_text, body=text)
def test_the_token_endpoint_answers_json_whatever_the_request(world, authorization, body):
    answer = Client().post("/marketplace/api/oauth2/token", {"grant_type": body, "scope": body},
                           HTTP_AUTHORIZATION=authorization)
    assert answer.status_code in {400, 401, 429}
    assert answer["Content-Type"] == "application/json"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ciid=text, code=text, student=text, sid=text, url=text)
def test_a_launch_never_fails_with_a_server_error(world, ciid, code, student, sid, url):
    client = Client()
    answer = client.get(f"/marketplace/aicc/{quote(ciid, safe='') or 'x'}/{quote(code, safe='') or 'y'}/",
                        {"student_id": student, "aicc_sid": sid, "aicc_url": url})
    assert answer.status_code in {302, 403, 404}
    content = client.get(f"/marketplace/content/{quote(sid, safe='') or 'k'}/{quote(code) or 'index.html'}")
    assert content.status_code in {301, 404}
