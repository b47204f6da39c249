"""HACP POSTs answered ahead of Django's request cycle (content.hacp_wsgi): the same answers and
writes as the view, the host check, the body limit and the security headers Django would apply,
and everything else handed to Django."""

import io
import logging
from urllib.parse import urlencode

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings
from django.urls import reverse

from coursebridge.config import wsgi
from coursebridge.content import hacp, hacp_wsgi
from coursebridge.content.hacp_wsgi import HACP_PATH, HacpFastPath
from coursebridge.content.models import UnitState
from tests.content.tracking_helpers import open_session, package_course, put_data
from tests.factories import AcademyFactory, GroupFactory, learner_in

# Real transactions: the fast path checks the connections before and after each message, as
# Django's request signals do, which a test wrapped in one transaction would not survive.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session():
    group = GroupFactory(academy=AcademyFactory(slug="riverside"), name="Sales")
    course, _, _ = package_course(group)
    return open_session(learner_in(group, username="lena"), course)


class Reply:
    def __init__(self, application, environ):
        self.status, self.headers = "", []

        def start_response(status, headers, exc_info=None):
            self.status, self.headers = status, headers

        self.body = b"".join(application(environ, start_response))

    def header(self, name):
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        assert len(values) <= 1, values
        return values[0] if values else None


def environ(body=b"", *, method="POST", path=HACP_PATH, host="testserver",
            content_type="application/x-www-form-urlencoded", **extra):
    return {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": host,
        "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(), **extra,
    }


def message(command, sid, aicc_data=""):
    return urlencode({"command": command, "version": "3.5", "session_id": sid, "aicc_data": aicc_data}).encode()


def post(application, body, **kwargs):
    return Reply(application, environ(body, **kwargs))


def test_the_fast_path_is_the_endpoint_of_the_url_configuration_and_wraps_the_product():
    assert reverse("content:hacp") == HACP_PATH
    assert isinstance(wsgi.application, HacpFastPath)
    assert wsgi.application.application is wsgi.django_application


def test_a_put_param_is_recorded_and_answered_with_the_headers_django_would_give(session):
    sid, state = session
    application = HacpFastPath(WSGIHandler())

    got = post(application, message("GetParam", sid))
    put = post(application, message("PutParam", sid, put_data(status="incomplete", location="p7", time="00:01:40")))

    assert got.status == "200 OK"
    assert got.body.startswith(b"error=0\r\nerror_text=Successful\r\naicc_data=")
    assert put.status == "200 OK"
    assert put.body == hacp.response(hacp.SUCCESS).encode()
    assert put.headers == [
        ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(put.body))),
        ("Access-Control-Allow-Origin", "*"), ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    stored = UnitState.objects.get(pk=state.pk)
    assert (stored.location, stored.lesson_status, stored.total_time_seconds) == ("p7", "incomplete", 100)


def test_a_host_not_allowed_is_refused_and_nothing_is_written(session, caplog):
    sid, state = session
    application = HacpFastPath(WSGIHandler())
    post(application, message("GetParam", sid))

    with caplog.at_level(logging.ERROR):
        refused = post(application, message("PutParam", sid, put_data(location="p9", time="00:05:00")),
                       host="attacker.example")

    assert refused.status == "400 Bad Request"
    assert refused.body == hacp.response(hacp.INVALID_COMMAND).encode()
    assert UnitState.objects.get(pk=state.pk).location == ""
    assert [r.name for r in caplog.records] == ["django.security.DisallowedHost"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=200)
def test_a_body_over_the_upload_limit_is_refused_and_nothing_is_written(session):
    sid, state = session
    application = HacpFastPath(WSGIHandler())
    post(application, message("GetParam", sid))

    refused = post(application, message("PutParam", sid, put_data(location="p9", lesson="x" * 300)))

    assert refused.status == "413 Request Entity Too Large"
    assert refused.body == hacp.response(hacp.INVALID_COMMAND).encode()
    assert UnitState.objects.get(pk=state.pk).location == ""


def test_other_methods_forms_and_paths_go_to_django(session):
    sid, state = session
    application = HacpFastPath(WSGIHandler())
    post(application, message("GetParam", sid))
    boundary = "b0undary"
    form = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("command", "PutParam"), ("session_id", sid), ("aicc_data", put_data(location="p3")))
    ) + f"--{boundary}--\r\n"

    preflight = post(application, b"", method="OPTIONS")
    wrong_method = post(application, b"", method="GET")
    multipart = post(application, form.encode(), content_type=f"multipart/form-data; boundary={boundary}")
    page = post(application, b"", method="GET", path="/accounts/login/")

    assert preflight.status == "204 No Content"
    assert preflight.header("Access-Control-Allow-Methods") == "POST, OPTIONS"
    assert wrong_method.status == "405 Method Not Allowed"
    assert wrong_method.header("Allow") == "POST, OPTIONS"
    assert multipart.status == "200 OK"
    assert multipart.body == hacp.response(hacp.SUCCESS).encode()
    assert UnitState.objects.get(pk=state.pk).location == "p3"
    assert page.status == "200 OK"
    assert page.header("Content-Type") == "text/html; charset=utf-8"


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=3600, SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
                   SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_under_https_rules_plain_http_is_redirected_by_django_and_https_gets_hsts(session):
    sid, _ = session
    application = HacpFastPath(WSGIHandler())  # SecurityMiddleware reads its settings when built

    plain = post(application, message("GetParam", sid))
    secure = post(application, message("GetParam", sid), HTTP_X_FORWARDED_PROTO="https")

    assert plain.status == "301 Moved Permanently"
    assert plain.header("Location") == f"https://testserver{HACP_PATH}"
    assert secure.status == "200 OK"
    assert secure.header("Strict-Transport-Security") == "max-age=3600; includeSubDomains"


def test_an_unexpected_error_is_logged_without_the_message_and_answered_in_hacp_text(session, monkeypatch, caplog):
    sid, _ = session

    def broken(message):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(hacp_wsgi, "hacp_handle", broken)
    with caplog.at_level(logging.ERROR):
        reply = post(HacpFastPath(WSGIHandler()), message("PutParam", sid, put_data(location="secret-page-42")))

    assert reply.status == "500 Internal Server Error"
    assert reply.header("Content-Type") == "text/plain; charset=utf-8"
    assert reply.body == hacp.response(hacp.INVALID_COMMAND).encode()
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("django.request", f"Internal Server Error: {HACP_PATH}")
    ]
    assert "secret-page-42" not in caplog.text
    assert sid not in caplog.text
