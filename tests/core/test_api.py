"""What every API endpoint shares: authentication, the JSON error shape, pagination, input checks."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursebridge.accounts.models import Academy, ApiToken, User
from coursebridge.accounts.services import api_token_create
from coursebridge.catalog.models import Course
from coursebridge.config.api import api
from coursebridge.core.errors import Conflict, LaunchRefused
from tests.factories import PASSWORD, AcademyFactory, CourseFactory, UserFactory, training_admin_of

pytestmark = pytest.mark.django_db


def token_client(user, **kwargs) -> Client:
    _, clear = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {clear}"}, **kwargs)


def post_json(client: Client, url: str, body: str):
    return client.post(url, data=body, content_type="application/json")


# --- Authentication ----------------------------------------------------------------------------


def test_anonymous_request_is_a_401_json_error_with_the_bearer_challenge():
    response = Client().get("/api/me")

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "unauthenticated",
            "message": "Sign in, or send 'Authorization: Bearer <token>' with a personal API token.",
            "field": None,
        }
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_token_authenticates_and_is_marked_as_used():
    user = UserFactory()
    token, clear = api_token_create(user=user, name="script")

    response = Client(headers={"Authorization": f"Bearer {clear}"}).get("/api/me")

    assert response.status_code == 200
    assert response.json()["username"] == user.username
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer cb_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "cb_x"])
def test_a_wrong_authorization_header_is_a_401(header):
    UserFactory()

    response = Client(headers={"Authorization": header}).get("/api/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_revoked_token_is_a_401():
    user = UserFactory()
    token, clear = api_token_create(user=user, name="old")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    response = Client(headers={"Authorization": f"Bearer {clear}"}).get("/api/me")

    assert response.status_code == 401


def test_the_token_of_a_deactivated_user_is_a_401():
    user = UserFactory()
    _, clear = api_token_create(user=user, name="script")
    user.is_active = False
    user.save()

    response = Client(headers={"Authorization": f"Bearer {clear}"}).get("/api/me")

    assert response.status_code == 401


def test_a_session_authenticates_reads():
    user = UserFactory()
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)

    response = client.get("/api/me")

    assert response.status_code == 200
    assert response.json()["id"] == user.pk


def test_a_session_write_without_the_csrf_token_is_refused():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=user.username, password=PASSWORD)

    response = client.post("/api/me/tokens", data={"name": "from the browser"}, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert ApiToken.objects.filter(user=user).count() == 0


def test_a_session_write_with_the_csrf_token_is_accepted():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=user.username, password=PASSWORD)
    client.get("/api/docs")  # the docs page sets the CSRF cookie, as the UI's pages do
    csrf = client.cookies["csrftoken"].value

    response = client.post(
        "/api/me/tokens",
        data={"name": "from the browser"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )

    assert response.status_code == 201
    assert ApiToken.objects.filter(user=user).count() == 1


def test_a_token_write_needs_no_csrf_token():
    user = UserFactory()

    response = token_client(user, enforce_csrf_checks=True).post(
        "/api/me/tokens", data={"name": "second"}, content_type="application/json"
    )

    assert response.status_code == 201


def test_an_anonymous_write_is_a_401_not_a_csrf_error():
    response = Client(enforce_csrf_checks=True).post(
        "/api/me/tokens", data={"name": "x"}, content_type="application/json"
    )

    assert response.status_code == 401


# --- Bodies that are not what the endpoint takes -------------------------------------------------


def test_malformed_json_is_a_400_with_its_own_code():
    response = post_json(token_client(UserFactory()), "/api/me/tokens", '{"name": ')

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "malformed_json",
            "message": "The request body is not valid JSON: Expecting value (line 1, column 10).",
            "field": None,
        }
    }


def test_a_body_that_is_not_utf8_is_malformed_json():
    client = token_client(UserFactory())

    response = client.post("/api/me/tokens", data=b'{"name": "\xff"}', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_a_json_body_that_is_not_an_object_is_a_422():
    response = post_json(token_client(UserFactory()), "/api/me/tokens", "[1, 2]")

    assert response.status_code == 422
    assert response.json()["error"]["message"] == "The request body must be a JSON object."
    assert response.json()["error"]["field"] is None


def test_a_missing_body_is_a_422():
    response = post_json(token_client(UserFactory()), "/api/me/tokens", "")

    assert response.status_code == 422
    assert response.json()["error"]["message"] == "A JSON body is required."


def test_an_unknown_field_is_refused_by_name():
    response = post_json(token_client(UserFactory()), "/api/me/tokens", '{"name": "ok", "colour": "blue"}')

    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "validation_error",
            "message": "Unknown field 'colour'.",
            "field": "colour",
            "errors": [{"field": "colour", "message": "Unknown field 'colour'.", "type": "extra_forbidden"}],
        }
    }


def test_wrong_types_are_a_422_naming_every_field():
    academy = AcademyFactory()
    client = token_client(training_admin_of(academy))

    response = post_json(
        client, f"/api/academies/{academy.slug}/courses", json.dumps({"title": 5, "launch_url": ["x"]})
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["field"] == "title"
    assert error["message"] == "title: Input should be a valid string."
    assert [(e["field"], e["type"]) for e in error["errors"]] == [
        ("title", "string_type"),
        ("launch_url", "string_type"),
    ]


def test_a_missing_required_field_is_named():
    academy = AcademyFactory()
    client = token_client(training_admin_of(academy))

    response = post_json(client, f"/api/academies/{academy.slug}/courses", json.dumps({"title": "Only a title"}))

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "launch_url"
    assert response.json()["error"]["message"] == "'launch_url' is required."


def test_a_wrong_type_in_a_list_names_its_position():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy)
    client = token_client(training_admin_of(academy))

    response = post_json(
        client,
        f"/api/academies/{academy.slug}/courses/{course.pk}/placements",
        json.dumps({"group_id": 1, "kinds": ["catalogue", "shelf"]}),
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "kinds.1"


def test_a_wrong_type_in_the_path_is_a_422_naming_it():
    academy = AcademyFactory()
    client = token_client(training_admin_of(academy))

    response = client.get(f"/api/academies/{academy.slug}/courses/abc")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "course_id"


@pytest.mark.parametrize(
    ("body", "field"),
    [('{"name": "a\\u0000b"}', "name"), ('{"name": "a\\ud800b"}', "name")],
)
def test_text_no_database_stores_is_refused_by_field(body, field):
    response = post_json(token_client(UserFactory()), "/api/me/tokens", body)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Text cannot contain NUL characters or unpaired surrogates.",
        "field": field,
    }


def test_a_nul_in_the_query_string_is_refused_by_name():
    academy = AcademyFactory()
    client = token_client(training_admin_of(academy))

    response = client.get(f"/api/academies/{academy.slug}/users?q=%00")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "q"


def test_an_integer_wider_than_the_database_is_refused():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy)
    client = token_client(training_admin_of(academy))

    response = post_json(
        client, f"/api/academies/{academy.slug}/courses/{course.pk}/placements", '{"group_id": 99999999999999999999}'
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "group_id"


def test_a_too_wide_id_in_a_filter_is_a_422():
    academy = AcademyFactory()
    client = token_client(training_admin_of(academy))

    response = client.get(f"/api/academies/{academy.slug}/enrollments?user_id=99999999999999999999")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "user_id"


def test_null_for_a_field_that_cannot_be_empty_is_refused_by_name():
    academy = AcademyFactory()
    course = CourseFactory(academy=academy)
    client = token_client(training_admin_of(academy))

    response = client.patch(
        f"/api/academies/{academy.slug}/courses/{course.pk}", data={"title": None}, content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "title"
    assert response.json()["error"]["errors"][0]["type"] == "null_refused"


# --- Addresses and methods -----------------------------------------------------------------------


def test_an_unknown_api_address_is_a_404_json_error():
    response = token_client(UserFactory()).get("/api/no/such/thing")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "There is nothing at this address.", "field": None}
    }


def test_a_method_the_address_does_not_take_is_a_405_json_error():
    response = token_client(UserFactory()).put("/api/me")

    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json()["error"] == {
        "code": "method_not_allowed",
        "message": "PUT is not allowed here. Allowed: GET.",
        "field": None,
    }


# --- Exceptions the handlers translate -----------------------------------------------------------


@pytest.mark.parametrize(
    ("exception", "status", "body"),
    [
        (
            Http404("anything"),
            404,
            {"code": "not_found", "message": "There is nothing at this address.", "field": None},
        ),
        (Course.DoesNotExist(), 404, {"code": "not_found", "message": "No such course here.", "field": None}),
        (DjangoPermissionDenied("No entry."), 403, {"code": "forbidden", "message": "No entry.", "field": None}),
        (Conflict("Taken.", field="slug"), 409, {"code": "conflict", "message": "Taken.", "field": "slug"}),
        (LaunchRefused("Archived."), 403, {"code": "launch_refused", "message": "Archived.", "field": None}),
        (
            RuntimeError("secret detail"),
            500,
            {
                "code": "server_error",
                "message": "Something went wrong on our side. The error has been logged.",
                "field": None,
            },
        ),
    ],
)
def test_exceptions_become_the_json_error_shape(exception, status, body):
    request = RequestFactory().get("/api/anything")

    response = api.on_exception(request, exception)

    assert response.status_code == status
    assert json.loads(response.content) == {"error": body}


# --- Pagination ------------------------------------------------------------------------------------


def test_a_list_answers_one_page_with_the_next_address():
    academy = AcademyFactory()
    for n in range(5):
        CourseFactory(academy=academy, title=f"Course {n}")
    client = token_client(training_admin_of(academy))

    first = client.get(f"/api/academies/{academy.slug}/courses?limit=2&status=active").json()
    last = client.get(f"/api/academies/{academy.slug}/courses?limit=2&offset=4&status=active").json()

    assert [c["title"] for c in first["items"]] == ["Course 0", "Course 1"]
    assert (first["count"], first["limit"], first["offset"]) == (5, 2, 0)
    assert first["next"] == f"http://testserver/api/academies/{academy.slug}/courses?limit=2&status=active&offset=2"
    assert [c["title"] for c in last["items"]] == ["Course 4"]
    assert last["next"] is None


def test_following_next_walks_every_item_once():
    academy = AcademyFactory()
    for n in range(7):
        CourseFactory(academy=academy, title=f"Course {n}")
    client = token_client(training_admin_of(academy))

    seen, url = [], f"/api/academies/{academy.slug}/courses?limit=3"
    while url:
        page = client.get(url).json()
        seen.extend(c["title"] for c in page["items"])
        url = page["next"]

    assert seen == [f"Course {n}" for n in range(7)]


@override_settings(API_DEFAULT_PAGE_SIZE=2)
def test_the_default_page_size_comes_from_the_settings():
    academy = AcademyFactory()
    for _ in range(3):
        CourseFactory(academy=academy)

    page = token_client(training_admin_of(academy)).get(f"/api/academies/{academy.slug}/courses").json()

    assert page["limit"] == 2
    assert len(page["items"]) == 2


def test_the_default_page_size_is_fifty():
    academy = AcademyFactory()

    page = token_client(training_admin_of(academy)).get(f"/api/academies/{academy.slug}/courses").json()

    assert page == {"items": [], "count": 0, "limit": 50, "offset": 0, "next": None}


def test_the_largest_page_is_accepted():
    academy = AcademyFactory()

    response = token_client(training_admin_of(academy)).get(f"/api/academies/{academy.slug}/courses?limit=200")

    assert response.status_code == 200
    assert response.json()["limit"] == 200


@pytest.mark.parametrize("limit", ["201", "100000", "0", "-3"])
def test_a_limit_out_of_range_is_a_400_naming_limit(limit):
    academy = AcademyFactory()

    response = token_client(training_admin_of(academy)).get(f"/api/academies/{academy.slug}/courses?limit={limit}")

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": f"limit must be between 1 and 200; got {limit}.", "field": "limit"}
    }


def test_a_limit_that_is_not_a_number_is_a_422_naming_limit():
    academy = AcademyFactory()

    response = token_client(training_admin_of(academy)).get(f"/api/academies/{academy.slug}/courses?limit=many")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "limit"


def test_a_negative_offset_is_a_400_naming_offset():
    academy = AcademyFactory()

    response = token_client(training_admin_of(academy)).get(f"/api/academies/{academy.slug}/courses?offset=-1")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "offset"


def test_an_offset_past_the_end_is_an_empty_page():
    academy = AcademyFactory()
    CourseFactory(academy=academy)

    page = (
        token_client(training_admin_of(academy))
        .get(f"/api/academies/{academy.slug}/courses?offset=9223372036854775807")
        .json()
    )

    assert page["items"] == []
    assert page["count"] == 1
    assert page["next"] is None


# --- Random bodies ---------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
COURSE_FIELDS = [
    "title",
    "launch_url",
    "description",
    "image_url",
    "duration_minutes",
    "language",
    "visibility",
    "category_ids",
    "tags",
    "group_ids",
]
COURSE_BODIES = st.fixed_dictionaries({}, optional=dict.fromkeys(COURSE_FIELDS, JSON_VALUES))
BODIES = JSON_VALUES.map(json.dumps) | COURSE_BODIES.map(json.dumps) | st.text(max_size=40) | st.binary(max_size=40)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_random_bodies_never_cause_a_server_error(body):
    academy = Academy.objects.filter(slug="fuzz").first() or AcademyFactory(slug="fuzz")
    admin = User.objects.filter(academy=academy).first() or training_admin_of(academy)
    client = token_client(admin)
    course = CourseFactory(academy=academy)

    for url in (
        f"/api/academies/{academy.slug}/courses",
        "/api/me/tokens",
        f"/api/academies/{academy.slug}/courses/{course.pk}/archive",
    ):
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code < 500, (url, body, response.content)
        if response.status_code >= 400:
            assert set(response.json()["error"]) >= {"code", "message", "field"}
    patched = client.patch(
        f"/api/academies/{academy.slug}/courses/{course.pk}", data=body, content_type="application/json"
    )
    assert patched.status_code < 500, (body, patched.content)
