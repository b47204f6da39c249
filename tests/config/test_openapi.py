"""The OpenAPI document and the interactive docs page, which must work without internet access."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver

pytestmark = pytest.mark.django_db

ASSET_RE = re.compile(r'(?:href|src)="([^"]+)"')


def served_operations() -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every operation the URL configuration serves."""
    client = Client()
    operations = set()
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "api":
            for sub in pattern.url_patterns:
                route = "/api/" + str(sub.pattern)
                if route in {"/api/", "/api/openapi.json", "/api/docs"}:
                    continue
                response = client.generic("TRACE", re.sub(r"<(\w+)>", "1", route))
                for method in response["Allow"].split(","):
                    operations.add((method.strip().lower(), re.sub(r"<(\w+)>", r"{\1}", route)))
    return operations


def test_the_schema_loads_and_lists_every_served_operation():
    response = Client().get("/api/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "coursebridge"
    documented = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert documented == served_operations()
    assert {
        "/api/me",
        "/api/me/tokens",
        "/api/me/tokens/{token_id}",
        "/api/academies",
        "/api/academies/{slug}",
        "/api/academies/{slug}/groups",
        "/api/academies/{slug}/users",
        "/api/academies/{slug}/memberships",
        "/api/academies/{slug}/categories",
        "/api/academies/{slug}/courses",
        "/api/academies/{slug}/courses/{course_id}",
        "/api/academies/{slug}/courses/{course_id}/archive",
        "/api/academies/{slug}/courses/{course_id}/reactivate",
        "/api/academies/{slug}/courses/{course_id}/deactivate",
        "/api/academies/{slug}/courses/{course_id}/status-changes",
        "/api/academies/{slug}/courses/{course_id}/placements",
        "/api/academies/{slug}/courses/{course_id}/launch",
        "/api/academies/{slug}/catalogue",
        "/api/academies/{slug}/enrollments",
        "/api/academies/{slug}/attempts",
        "/api/academies/{slug}/attempts/{attempt_id}",
        "/api/academies/{slug}/me/transcript",
        "/api/academies/{slug}/users/{user_id}/transcript",
    } <= set(schema["paths"])


# Operations a provider calls, authenticated by a signature instead of a user.
SIGNED_PATHS = {"/api/academies/{slug}/connectors/opensesame/webhook"}


def test_every_operation_is_documented_with_a_summary_a_tag_and_the_error_shape():
    schema = Client().get("/api/openapi.json").json()

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("tags"), where
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }, where
            if path in SIGNED_PATHS:
                continue  # authenticated by its signature, not by a user
            assert {"BearerTokenAuth": []} in operation["security"], where


def test_the_schema_explains_authentication_and_describes_both_ways_in():
    schema = Client().get("/api/openapi.json").json()

    assert "Authorization: Bearer cb_" in schema["info"]["description"]
    assert schema["components"]["securitySchemes"]["BearerTokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schema["components"]["securitySchemes"]["SessionAuth"]["in"] == "cookie"


def test_list_operations_document_limit_and_offset():
    schema = Client().get("/api/openapi.json").json()

    parameters = {p["name"] for p in schema["paths"]["/api/academies/{slug}/courses"]["get"]["parameters"]}

    assert {"slug", "limit", "offset", "status", "q", "provider", "kind"} <= parameters


def test_the_docs_page_renders_with_local_assets():
    client = Client()

    response = client.get("/api/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assets = ASSET_RE.findall(html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    assert all(a.startswith("/static/") for a in assets)  # nothing from a CDN
    assert '"url": "/api/openapi.json"' in html
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_the_docs_page_works_with_the_production_static_files(tmp_path):
    """Production serves collected, hashed files through whitenoise; the page must point at them."""
    production = {
        "STATIC_ROOT": tmp_path,
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
        "WHITENOISE_USE_FINDERS": False,
        "WHITENOISE_AUTOREFRESH": False,
    }
    with override_settings(**production):
        call_command("collectstatic", interactive=False, verbosity=0)
        client = Client()

        response = client.get("/api/docs")

        assert response.status_code == 200
        assets = ASSET_RE.findall(response.content.decode())
        bundle = [a for a in assets if re.fullmatch(r"/static/ninja/swagger-ui-bundle\.[0-9a-f]{12}\.js", a)]
        assert len(bundle) == 1
        for asset in assets:
            served = client.get(asset)
            assert served.status_code == 200, asset
            assert b"".join(served.streaming_content), asset
