"""The packages API: import by multipart upload with the duplicate question as a parameter, and a
course's package with its units and versions."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.dateparse import parse_datetime

from coursebridge.accounts.models import Role
from coursebridge.accounts.services import api_token_create
from coursebridge.catalog.models import Course, Placement
from coursebridge.content.inspect import inspect_package
from coursebridge.content.models import Package, Unit
from coursebridge.content.packages import PackageRefused
from coursebridge.content.services import package_import
from tests.content.import_helpers import aicc_zip, scorm12_zip, write
from tests.factories import (
    AcademyFactory,
    CourseFactory,
    GroupFactory,
    UserFactory,
    learner_in,
    member,
    root_group,
    training_admin_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def token_client(user) -> Client:
    _, clear = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {clear}"})


def upload(content: bytes, name: str = "course.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/zip")


def stored(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_a_training_admin_imports_a_package_and_gets_the_course_and_its_units(media):
    academy = AcademyFactory()
    group = GroupFactory(academy=academy, name="Everyone here")
    admin = training_admin_of(academy, username="dana")

    response = token_client(admin).post(
        f"/api/academies/{academy.slug}/packages",
        data={
            "file": upload(
                aicc_zip(aus=(("A1", "Raise the alarm", "index.html"), ("A2", "Leave the building", "two.html")))
            ),
            "group_id": group.pk,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    course = Course.objects.get()
    package = Package.objects.get()
    units = list(Unit.objects.order_by("position"))
    assert body["outcome"] == "created"
    assert {k: body["course"][k] for k in ("id", "kind", "title", "description", "launch_url", "status")} == {
        "id": course.pk,
        "kind": "package",
        "title": "Fire Safety",
        "description": "Leave by the nearest exit.",
        "launch_url": "",
        "status": "active",
    }
    assert body["package"] == {
        "id": package.pk,
        "version": 1,
        "is_current": True,
        "format": "aicc",
        "identifier": "FIRE-101",
        "title": "Fire Safety",
        "schema_version": "4.0",
        "file_count": 6,
        "size_bytes": package.size_bytes,
        "unit_count": 2,
        "warnings": package.warnings,
        "uploaded_by": "dana",
        "created_at": body["package"]["created_at"],
        "units": [
            {
                "id": units[0].pk,
                "position": 1,
                "identifier": "A1",
                "title": "Raise the alarm",
                "launch": "index.html",
                "is_remote": False,
                "is_sco": True,
                "parameters": units[0].parameters,
                "mastery_score": "70.00",
                "max_score": "100.00",
                "max_time_allowed": units[0].max_time_allowed,
                "time_limit_action": units[0].time_limit_action,
            },
            {
                "id": units[1].pk,
                "position": 2,
                "identifier": "A2",
                "title": "Leave the building",
                "launch": "two.html",
                "is_remote": False,
                "is_sco": True,
                "parameters": units[1].parameters,
                "mastery_score": "70.00",
                "max_score": "100.00",
                "max_time_allowed": units[1].max_time_allowed,
                "time_limit_action": units[1].time_limit_action,
            },
        ],
    }
    assert parse_datetime(body["package"]["created_at"]) == package.created_at.replace(
        microsecond=package.created_at.microsecond // 1000 * 1000
    )
    assert sorted(Placement.objects.values_list("group__name", "kind")) == [
        ("Everyone here", "catalogue"),
        ("Everyone here", "library"),
    ]


def test_a_refused_package_answers_400_with_the_parsers_reason_and_stores_nothing(tmp_path, media):
    academy = AcademyFactory()
    with pytest.raises(PackageRefused) as parser_said:
        inspect_package(str(write(tmp_path / "x.zip", b"no zip here")))

    response = token_client(training_admin_of(academy)).post(
        f"/api/academies/{academy.slug}/packages", data={"file": upload(b"no zip here")}
    )

    assert (response.status_code, response.json()) == (
        400,
        {
            "error": {
                "code": "not_a_zip",
                "message": parser_said.value.message,
                "field": "file",
            }
        },
    )
    assert (Course.objects.count(), Package.objects.count(), stored(media)) == (0, 0, [])


def test_a_duplicate_without_a_choice_answers_409_naming_the_existing_course(media):
    academy = AcademyFactory()
    client = token_client(training_admin_of(academy))
    url = f"/api/academies/{academy.slug}/packages"
    first = client.post(url, data={"file": upload(scorm12_zip())}).json()
    files_before = stored(media)

    response = client.post(url, data={"file": upload(scorm12_zip(title="Renamed"))})

    assert (response.status_code, response.json()) == (
        409,
        {
            "error": {
                "code": "duplicate",
                "message": "A package with identifier 'com.example.safety' is already in this academy as the "
                "existing course "
                f"'Safety at Work' (id {first['course']['id']}). Choose to skip it, replace it with a new version, "
                "or keep both as a copy.",
                "field": "file",
                "existing_course_id": first["course"]["id"],
            }
        },
    )
    assert (Course.objects.count(), Package.objects.count(), stored(media)) == (1, 1, files_before)


def test_the_duplicate_choices_skip_replace_and_copy(media):
    academy = AcademyFactory()
    client = token_client(training_admin_of(academy))
    url = f"/api/academies/{academy.slug}/packages"
    first = client.post(url, data={"file": upload(scorm12_zip())}).json()

    skipped = client.post(url, data={"file": upload(scorm12_zip(title="New")), "on_duplicate": "skip"})
    replaced = client.post(url, data={"file": upload(scorm12_zip(title="New")), "on_duplicate": "replace"})
    copied = client.post(url, data={"file": upload(scorm12_zip(title="New")), "on_duplicate": "copy"})

    assert (
        skipped.status_code,
        skipped.json()["outcome"],
        skipped.json()["course"]["id"],
        skipped.json()["package"]["id"],
    ) == (200, "skipped", first["course"]["id"], first["package"]["id"])
    assert (
        replaced.status_code,
        replaced.json()["outcome"],
        replaced.json()["course"]["id"],
        replaced.json()["course"]["title"],
        replaced.json()["package"]["version"],
    ) == (
        201,
        "replaced",
        first["course"]["id"],
        "New",
        2,
    )
    assert (copied.status_code, copied.json()["outcome"], copied.json()["course"]["title"]) == (
        201,
        "copied",
        "New (copy)",
    )
    assert sorted(Course.objects.values_list("title", flat=True)) == ["New", "New (copy)"]


def test_wrong_form_values_are_refused_naming_the_field(media):
    academy = AcademyFactory()
    other_group = GroupFactory(academy=AcademyFactory())
    client = token_client(training_admin_of(academy))
    url = f"/api/academies/{academy.slug}/packages"

    no_file = client.post(url, data={})
    bad_choice = client.post(url, data={"file": upload(scorm12_zip()), "on_duplicate": "ask"})
    foreign_group = client.post(url, data={"file": upload(scorm12_zip()), "group_id": other_group.pk})

    assert (no_file.status_code, no_file.json()["error"]["field"], no_file.json()["error"]["message"]) == (
        422,
        "file",
        "'file' is required.",
    )
    assert (bad_choice.status_code, bad_choice.json()["error"]["field"]) == (422, "on_duplicate")
    assert (foreign_group.status_code, foreign_group.json()) == (
        400,
        {
            "error": {
                "code": "invalid",
                "message": f"No group {other_group.pk} in this academy.",
                "field": "group_id",
            }
        },
    )
    assert (Course.objects.count(), stored(media)) == (0, [])


@pytest.mark.parametrize("role", [Role.GROUP_ADMIN, Role.AUTHOR, Role.LEARNER])
def test_only_training_admins_import(media, role):
    academy = AcademyFactory()
    user = UserFactory(academy=academy)
    member(user, root_group(academy), role)

    response = token_client(user).post(f"/api/academies/{academy.slug}/packages", data={"file": upload(scorm12_zip())})

    assert (response.status_code, response.json()["error"]["message"]) == (
        403,
        "Only training admins of this academy may do this.",
    )
    assert (Course.objects.count(), stored(media)) == (0, [])


def test_anonymous_callers_get_a_401(media):
    academy = AcademyFactory()

    response = Client().post(f"/api/academies/{academy.slug}/packages", data={"file": upload(scorm12_zip())})

    assert response.status_code == 401
    assert Course.objects.count() == 0


def test_a_signed_in_browser_needs_the_csrf_token(media):
    academy = AcademyFactory()
    admin = training_admin_of(academy)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    response = client.post(f"/api/academies/{academy.slug}/packages", data={"file": upload(scorm12_zip())})

    assert (response.status_code, response.json()["error"]["code"]) == (403, "csrf_failed")
    assert Course.objects.count() == 0


def test_a_courses_package_lists_the_current_units_and_every_version(tmp_path, media):
    academy = AcademyFactory()
    group = GroupFactory(academy=academy)
    learner = learner_in(group)
    first = package_import(
        academy=academy, source=write(tmp_path / "a.zip", aicc_zip()), filename="a.zip", by=None, group=group
    )
    second = package_import(
        academy=academy,
        source=write(tmp_path / "b.zip", aicc_zip(aus=(("A1", "Alarm", "index.html"), ("A2", "Exit", "two.html")))),
        filename="b.zip",
        by=None,
        on_duplicate="replace",
    )

    response = token_client(learner).get(f"/api/academies/{academy.slug}/courses/{first.course.pk}/package")

    assert response.status_code == 200
    body = response.json()
    assert body["course_id"] == first.course.pk
    assert (body["package"]["id"], body["package"]["version"], body["package"]["is_current"]) == (
        second.package.pk,
        2,
        True,
    )
    assert [(u["identifier"], u["title"]) for u in body["package"]["units"]] == [("A1", "Alarm"), ("A2", "Exit")]
    assert [(v["id"], v["version"], v["is_current"], v["unit_count"], v["uploaded_by"]) for v in body["versions"]] == [
        (second.package.pk, 2, True, 2, None),
        (first.package.pk, 1, False, 1, None),
    ]
    assert "au_password" not in body["package"]["units"][0]


def test_a_course_without_a_package_or_out_of_reach_is_not_found(media):
    academy = AcademyFactory()
    web_link = CourseFactory(academy=academy)
    admin = training_admin_of(academy)
    hidden = package_import(academy=academy, source=BytesIO(scorm12_zip()), filename="a.zip", by=None).course
    learner = learner_in(GroupFactory(academy=academy))

    no_package = token_client(admin).get(f"/api/academies/{academy.slug}/courses/{web_link.pk}/package")
    not_placed = token_client(learner).get(f"/api/academies/{academy.slug}/courses/{hidden.pk}/package")

    assert (no_package.status_code, no_package.json()["error"]["message"]) == (
        404,
        f"Course {web_link.pk} has no package: it is not an imported package course.",
    )
    assert (not_placed.status_code, not_placed.json()["error"]["code"]) == (404, "not_found")
