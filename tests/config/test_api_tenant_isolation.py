"""No route of the API lets a user of academy A see or change academy B.

The routes are read from the URL configuration and their methods from the API's own 405 answers, so
a new endpoint is covered the day it is added. Every route is called with academy B's slug and ids
(and, where it takes ids, with A's slug and B's ids), bodies are filled from the OpenAPI schema with
B's ids wherever an id goes, and list filters get B's ids too. Each answer must be a 403 or 404 (or,
for the routes that take no academy and no id, anything but a server error) without a trace of B's
data, and B's rows must be exactly as they were. Anonymous callers get a 401 everywhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from coursebridge.accounts.models import Academy, ApiToken, Membership, Role, User
from coursebridge.accounts.services import api_token_create
from coursebridge.catalog.exports import course_export_start
from coursebridge.catalog.models import Course, CourseStatusChange
from coursebridge.catalog.services import course_archive, course_reactivate, provider_categories_ensure
from coursebridge.connectors.models import SyncRun, UnmatchedStatistic
from coursebridge.connectors.services import connection_create
from coursebridge.learning.services import launch_course
from coursebridge.programs.services import program_create, program_step_add, session_create, session_participant_add
from coursebridge.records.models import CreditType, ImportLock, ImportRun
from tests.factories import (
    AcademyFactory,
    CategoryFactory,
    CourseFactory,
    GroupFactory,
    ProviderCourseFactory,
    UserFactory,
    learner_in,
    member,
    training_admin_of,
)

pytestmark = pytest.mark.django_db

# Routes anyone may read: the OpenAPI document and the docs page. ("" is ninja's root, a 404 for all.)
PUBLIC_ROUTES = {"api/openapi.json", "api/docs"}
# Routes authenticated by a signature, not by a user: every user (and anyone) without it gets a 401.
SIGNED_ROUTES = {"api/academies/<slug>/connectors/opensesame/webhook"}
API_ROOT = "api/"
# Every piece of academy B's data carries one of these; no answer to A may contain them.
B_MARKERS = ("Zebra", "zebra-")
PARAM_RE = re.compile(r"<(?:\w+:)?(\w+)>")
PROJECT_APPS = {config.label for config in apps.get_app_configs() if config.name.startswith("coursebridge.")}


@dataclass
class World:
    a: Academy
    b: Academy
    actors: dict[str, User]
    b_ids: dict[str, int | str]


@pytest.fixture
def world() -> World:
    a = AcademyFactory(slug="a-academy", name="Alpha Academy")
    a_team = GroupFactory(academy=a, name="Alpha Team")
    a_group_admin = UserFactory(academy=a, username="alpha-group-admin")
    member(a_group_admin, a_team, Role.GROUP_ADMIN)
    actors = {
        "training admin": training_admin_of(a, username="alpha-admin"),
        "group admin": a_group_admin,
        "learner": learner_in(a_team, username="alpha-learner"),
    }
    CourseFactory(academy=a, title="Alpha Course", placed_in=a_team)

    b = AcademyFactory(slug="b-academy", name="Zebra Academy")
    b_team = GroupFactory(academy=b, name="Zebra Team")
    b_learner = learner_in(b_team, username="zebra-learner", email="zebra-learner@zebra.example", last_name="Zebra")
    b_admin = training_admin_of(b, username="zebra-admin", email="zebra-admin@zebra.example", last_name="Zebra")
    b_category = CategoryFactory(academy=b, name="Zebra Category")
    provider_categories_ensure(academy=b, provider="opensesame", paths=["|Zebra Business"])
    b_course = CourseFactory(academy=b, title="Zebra Course", description="Zebra notes", placed_in=b_team)
    b_course.categories.add(b_category)
    ProviderCourseFactory(academy=b, title="Zebra Provider Course", placed_in=b_team)
    course_archive(course=b_course, reason="Zebra reason")
    course_reactivate(course=b_course, reason="Zebra back")
    attempt = launch_course(user=b_learner, course=b_course).attempt
    b_token, _ = api_token_create(user=b_learner, name="Zebra Token")
    b_job = course_export_start(academy=b, by=b_admin)
    b_run = ImportRun.objects.create(academy=b, scope="course", course=b_course, file_name="zebra-records.csv")
    b_credit_type = CreditType.objects.create(academy=b, machine_name="zebra_credit", name="Zebra Credit")
    b_lock = ImportLock.objects.create(academy=b, key=f"course:{b_course.pk}", run=b_run, holder="zebra-worker",
                                       acquired_at=timezone.now(), heartbeat_at=timezone.now(),
                                       lease_until=timezone.now() + timedelta(hours=1))
    b_connection = connection_create(academy=b, provider="openclassrooms", group=b_team,
                                     credentials={"client_id": "zebra-id"}, api_url="http://127.0.0.1:9/zebra")
    connection_create(academy=b, provider="opensesame", group=b_team, credentials={"webhook_secret": "zebra-secret"},
                      api_url="http://127.0.0.1:9/zebra")
    b_sync_run = SyncRun.objects.create(academy=b, connection=b_connection, trigger="manual", started_at=timezone.now(),
                                   errors=["Zebra error"])
    UnmatchedStatistic.objects.create(academy=b, connection=b_connection, email="zebra@zebra.example",
                                      course_external_id="zebra-1", day=timezone.now().date(), reason="unknown_learner",
                                      received_at=timezone.now())
    b_program = program_create(academy=b, title="Zebra Program")
    b_step = program_step_add(program=b_program, course=ProviderCourseFactory(academy=b, title="Zebra Step Course"))
    b_session = session_create(program=b_program, name="Zebra Session", starts_on=date(2020, 1, 1),
                               ends_on=date(2099, 1, 1))
    b_participant = session_participant_add(session=b_session, user=b_learner)
    b_ids: dict[str, int | str] = {
        "slug": b.slug,
        "course_id": b_course.pk,
        "group_id": b_team.pk,
        "parent_id": b_team.pk,
        "user_id": b_learner.pk,
        "membership_id": Membership.objects.get(user=b_learner).pk,
        "token_id": b_token.pk,
        "category_id": b_category.pk,
        "attempt_id": attempt.pk,
        "enrollment_id": attempt.enrollment_id,
        "job_id": b_job.pk,
        "run_id": b_run.pk,
        "lock_id": b_lock.pk,
        "credit_type_id": b_credit_type.pk,
        "connection_id": b_connection.pk,
        "sync_run_id": b_sync_run.pk,
        "program_id": b_program.pk,
        "step_id": b_step.pk,
        "session_id": b_session.pk,
        "participant_id": b_participant.pk,
    }
    return World(a=a, b=b, actors=actors, b_ids=b_ids)


def token_client(user: User) -> Client:
    _, clear = api_token_create(user=user, name="isolation")
    return Client(headers={"Authorization": f"Bearer {clear}"})


def api_routes() -> list[str]:
    """Every route of the NinjaAPI, as mounted in the URL configuration ("api/academies/<slug>")."""
    routes: list[str] = []
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "api":
            prefix = str(pattern.pattern)
            for sub in pattern.url_patterns:
                assert isinstance(sub, URLPattern), f"unexpected nested resolver {sub} under the API"
                route = prefix + str(sub.pattern)
                if route not in routes:
                    routes.append(route)
    assert len(routes) > 20, routes
    return routes


def fill(route: str, values: dict[str, Any]) -> str:
    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            pytest.fail(f"The isolation test has no academy B value for the path parameter '{name}' of {route}.")
        return str(values[name])

    return "/" + PARAM_RE.sub(value_of, route)


def allowed_methods(client: Client, path: str) -> list[str]:
    """The methods the route serves, from the Allow header of its 405 answer."""
    response = client.generic("TRACE", path)
    assert response.status_code == 405, (path, response.status_code)
    return sorted(m.strip() for m in response["Allow"].split(",") if m.strip())


def openapi_operation(schema: dict[str, Any], route: str, method: str) -> dict[str, Any]:
    path = "/" + PARAM_RE.sub(lambda m: "{" + m.group(1) + "}", route)
    operation = schema["paths"].get(path, {}).get(method.lower())
    assert operation is not None, f"{method} {path} is served but missing from the OpenAPI document"
    return operation


class Multipart(dict):
    """A multipart/form-data body (an upload): the test client encodes it, files included."""


def multipart_body(body_schema: dict[str, Any], ids: dict[str, Any]) -> Multipart:
    """A file where a file goes (an empty zip archive), and academy B's ids wherever an id goes."""
    body = Multipart()
    for field, spec in body_schema["properties"].items():
        if spec.get("format") == "binary":
            body[field] = SimpleUploadedFile("probe.zip", b"PK\x05\x06" + b"\x00" * 18)
        elif field.endswith("_id") and field in ids:
            body[field] = ids[field]
    return body


def sample_body(schema: dict[str, Any], operation: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any] | None:
    """A body the operation accepts, with academy B's ids wherever an id goes."""
    multipart = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
    if multipart is not None:
        return multipart_body(multipart["schema"], ids)
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    body_schema = schema["components"]["schemas"][content["schema"]["$ref"].rsplit("/", 1)[-1]]
    samples = {
        "name": "probe",
        "slug": "probe-academy",
        "reason": "probe",
        "title": "Probe",
        "launch_url": "https://probe.example.org/",
        "username": "probe-user",
        "role": "learner",
        "machine_name": "probe",
        "credit_type": "ama_pra_1",
        "max_credits": "1.00",
        "provider": "openclassrooms",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "direction": "up",
        **ids,
    }
    body: dict[str, Any] = {}
    for field in body_schema["properties"]:
        if field in samples and (field.endswith("_id") or field in body_schema.get("required", [])):
            body[field] = samples[field]
    for field in body_schema.get("required", []):
        if field not in body:
            pytest.fail(f"The isolation test has no sample value for the required field '{field}' of {operation}.")
    return body


def id_filters(operation: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any]:
    """Query filters naming one of academy B's objects."""
    names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    return {name: ids[name] for name in names if name in ids and name != "slug"}


def call(client: Client, method: str, path: str, body: dict[str, Any] | None, query: dict[str, Any]):
    if method == "GET":
        return client.get(path, query)
    if body is None:
        return client.generic(method, path)
    if isinstance(body, Multipart):
        assert method == "POST", f"{method} {path}: uploads are posted"
        return client.post(path, data=dict(body))
    return client.generic(method, path, data=json.dumps(body), content_type="application/json")


def rows(queryset: QuerySet[Any]) -> list[dict[str, Any]]:
    return list(queryset.order_by("pk").values())


def snapshot(academy: Academy) -> dict[str, list[dict[str, Any]]]:
    """Every row that belongs to the academy: the rows of every model with an `academy` key (new
    models included), and the rows that belong to it through a group, a user or a course."""
    tables: dict[str, QuerySet[Any]] = {}
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS and any(f.name == "academy" for f in model._meta.concrete_fields):
            tables[model._meta.label] = model._default_manager.filter(academy=academy)
    courses = Course.objects.filter(academy=academy)
    tables.update(
        {
            "academy": Academy.objects.filter(pk=academy.pk),
            "memberships": Membership.objects.filter(group__academy=academy),
            "tokens": ApiToken.objects.filter(user__academy=academy),
            "course_categories": Course.categories.through.objects.filter(course__in=courses),
            "course_tags": Course.tags.through.objects.filter(course__in=courses),
            "status_changes": CourseStatusChange.objects.filter(course__in=courses),
        }
    )
    return {name: rows(qs) for name, qs in tables.items()}


def leaked(content: bytes) -> list[str]:
    text = content.decode("utf-8", "replace")
    return [marker for marker in B_MARKERS if marker in text]


@pytest.mark.parametrize("actor", ["training admin", "group admin", "learner"])
def test_a_user_of_academy_a_reaches_nothing_of_academy_b(world: World, actor: str):
    client = token_client(world.actors[actor])
    schema = Client().get("/api/openapi.json").json()
    before = snapshot(world.b)
    in_a = {**world.b_ids, "slug": world.a.slug}
    problems: list[str] = []
    calls = 0

    for route in api_routes():
        if route in PUBLIC_ROUTES or route == API_ROOT:
            continue
        params = PARAM_RE.findall(route)
        for method in allowed_methods(client, fill(route, world.b_ids)):
            operation = openapi_operation(schema, route, method)
            variants = [("B's slug and ids", world.b_ids)]
            body_in_a = sample_body(schema, operation, in_a)
            references_b = [p for p in params if p != "slug"] or any(k.endswith("_id") for k in body_in_a or {})
            if "slug" in params and references_b:
                variants.append(("A's slug, B's ids", in_a))
            for label, values in variants:
                path = fill(route, values)
                body = sample_body(schema, operation, values)
                response = call(client, method, path, body, id_filters(operation, values))
                calls += 1
                where = f"{method} {path} ({label}) body={body}"
                if response.status_code >= 500:
                    problems.append(f"{where}: {response.status_code}")
                elif route in SIGNED_ROUTES:
                    if response.status_code != 401:
                        problems.append(f"{where}: {response.status_code}, expected 401 without a signature")
                elif params or (method != "GET" and references_b):
                    # An id of B in the path is not found (or not allowed); one in the body is refused.
                    in_path = values is world.b_ids or any(p != "slug" for p in params)
                    expected = (403, 404) if in_path else (400, 403, 404)
                    if response.status_code not in expected:
                        problems.append(f"{where}: {response.status_code}, expected one of {expected}")
                    elif set(response.json()) != {"error"}:
                        problems.append(f"{where}: not the JSON error shape: {response.content[:200]!r}")
                if leaked(response.content):
                    problems.append(f"{where}: shows academy B's data {leaked(response.content)}")

    assert problems == []
    assert calls > 40
    assert snapshot(world.b) == before


def test_list_filters_with_academy_b_ids_show_nothing_of_b(world: World):
    client = token_client(world.actors["training admin"])
    schema = Client().get("/api/openapi.json").json()
    problems: list[str] = []

    for route in api_routes():
        if route in PUBLIC_ROUTES or route == API_ROOT:
            continue
        path = fill(route, {**world.b_ids, "slug": world.a.slug})
        if "GET" not in allowed_methods(client, path):
            continue
        filters = id_filters(openapi_operation(schema, route, "GET"), world.b_ids)
        if not filters or PARAM_RE.findall(route) != ["slug"]:
            continue
        response = client.get(path, filters)
        empty_page = response.status_code == 200 and response.json()["count"] == 0
        if not (empty_page or response.status_code in (400, 403)) or leaked(response.content):
            problems.append(f"GET {path} {filters}: {response.status_code} {response.content[:200]!r}")

    assert problems == []


def test_anonymous_callers_get_a_401_from_every_route(world: World):
    client = Client()
    problems: list[str] = []

    for route in api_routes():
        if route in PUBLIC_ROUTES or route == API_ROOT:
            continue
        path = fill(route, world.b_ids)
        for method in allowed_methods(client, path):
            response = client.generic(method, path)
            if response.status_code != 401 or response.json()["error"]["code"] != "unauthenticated":
                problems.append(f"{method} {path}: {response.status_code}")

    assert problems == []


def test_the_public_routes_are_exactly_the_openapi_document_and_the_docs():
    routes = set(api_routes())

    assert PUBLIC_ROUTES <= routes
    for route in PUBLIC_ROUTES:
        assert Client().get("/" + route).status_code == 200
    assert Client().get("/" + API_ROOT).status_code == 404
