"""`coursebridge package inspect` and `coursebridge package import`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from coursebridge.catalog.models import Course, Placement
from coursebridge.content.inspect import inspect_package
from coursebridge.content.models import Package
from coursebridge.content.packages import PackageRefused
from tests.content.import_helpers import NO_TESTDATA, TESTDATA, aicc_zip, scorm12_zip, write, zip_bytes
from tests.factories import AcademyFactory, GroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


class Terminal(io.StringIO):
    """A person at the terminal, typing the given lines."""

    def isatty(self) -> bool:
        return True


def run(*args: str, stdin: io.StringIO | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    options = {"stdin": stdin} if stdin is not None else {}
    call_command("package", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def fails(*args: str, stdin: io.StringIO | None = None) -> tuple[str, str, CommandError]:
    out, err = io.StringIO(), io.StringIO()
    options = {"stdin": stdin} if stdin is not None else {}
    with pytest.raises(CommandError) as raised:
        call_command("package", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue(), raised.value


# --- inspect ----------------------------------------------------------------------------------------


def test_inspect_json_prints_what_the_parsers_found(tmp_path):
    path = write(tmp_path / "safety.zip", scorm12_zip(units=(("i1", "One", "one.html"), ("i2", "Two", "two.html"))))

    out, _ = run("inspect", str(path), "--json")

    assert json.loads(out) == {
        "format": "scorm12",
        "title": "Safety at Work",
        "identifier": "com.example.safety",
        "units": [
            {"id": "i1", "title": "One", "launch": "one.html"},
            {"id": "i2", "title": "Two", "launch": "two.html"},
        ],
        "warnings": inspect_package(str(path)).warnings,
    }
    assert Course.objects.count() == 0


def test_inspect_without_json_prints_a_readable_summary(tmp_path):
    path = write(
        tmp_path / "fire.zip",
        aicc_zip(aus=(("A1", "Alarm", "index.html"), ("A2", "Remote", "https://cdn.example.org/a2/"))),
    )
    warnings = inspect_package(str(path)).warnings

    out, _ = run("inspect", str(path))

    assert out.splitlines() == [
        "AICC package 'Fire Safety'",
        "Identifier: FIRE-101",
        "Units (2):",
        "  1. Alarm [A1]: index.html",
        "  2. Remote [A2]: https://cdn.example.org/a2/ (remote)",
        *(["Warnings:", *(f"  - {w}" for w in warnings)] if warnings else []),
    ]


def test_inspect_of_a_refused_package_prints_the_error_and_exits_1(tmp_path):
    path = write(tmp_path / "bad.zip", zip_bytes({"readme.txt": "hello"}))
    with pytest.raises(PackageRefused) as parser_said:
        inspect_package(str(path))

    out, _, error = fails("inspect", str(path), "--json")
    _, _, plain = fails("inspect", str(path))

    assert json.loads(out) == {"error": {"code": parser_said.value.code, "message": parser_said.value.message}}
    assert (error.returncode, str(error)) == (1, parser_said.value.message)
    assert (plain.returncode, str(plain)) == (1, parser_said.value.message)


def test_inspect_of_a_missing_file_says_so(tmp_path):
    out, _, error = fails("inspect", str(tmp_path / "nowhere.zip"), "--json")

    assert json.loads(out) == {
        "error": {"code": "not_found", "message": f"No package file at '{tmp_path}/nowhere.zip'."},
    }
    assert error.returncode == 1


def test_the_installed_command_exits_0_or_1_with_json_on_stdout(tmp_path):
    good = write(tmp_path / "good.zip", scorm12_zip())
    bad = write(tmp_path / "bad.zip", b"not a zip")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "coursebridge.config.settings", "CB_VAR_DIR": str(settings.VAR_DIR)}

    def command(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "coursebridge.cli", "package", "inspect", str(path), "--json"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    accepted, refused = command(good), command(bad)

    assert (accepted.returncode, json.loads(accepted.stdout)["identifier"]) == (0, "com.example.safety")
    assert (refused.returncode, json.loads(refused.stdout)["error"]["code"]) == (1, "not_a_zip")


@pytest.mark.skipif(not TESTDATA.exists(), reason=NO_TESTDATA)
def test_inspect_gives_the_documented_json_for_every_real_package():
    results = {}
    for path in sorted(TESTDATA.glob("*.zip")):
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("package", "inspect", str(path), "--json", stdout=out, stderr=err)
        except CommandError as exc:
            results[path.name] = (exc.returncode, sorted(json.loads(out.getvalue())["error"]))
        else:
            body = json.loads(out.getvalue())
            assert body == inspect_package(str(path)).as_dict()
            results[path.name] = (0, sorted(body))

    found = ["format", "identifier", "title", "units", "warnings"]
    assert results == {
        "aicc-hacp-test-au.zip": (0, found),
        "aicc-remote-au.zip": (0, found),
        "bad-scorm12-malformed-xml.zip": (1, ["code", "message"]),
        "bad-scorm12-missing-launch-url.zip": (1, ["code", "message"]),
        "bad-scorm2004-missing-org-identifier.zip": results["bad-scorm2004-missing-org-identifier.zip"],
        "cmi5-single-au.zip": (1, ["code", "message"]),
        "golf-scorm12-one-file-per-sco.zip": (0, found),
        "golf-scorm12-runtime-basic.zip": (0, found),
        "golf-scorm2004-2nd-single-sco.zip": (0, found),
        "golf-scorm2004-3rd-runtime-basic.zip": (0, found),
    }
    # Refused with a reason, or imported with a warning naming the problem: either is documented.
    assert results["bad-scorm2004-missing-org-identifier.zip"] in [(0, found), (1, ["code", "message"])]


# --- import -----------------------------------------------------------------------------------------


def test_import_makes_the_course_and_prints_the_result(tmp_path):
    academy = AcademyFactory(slug="acme")
    path = write(tmp_path / "fire.zip", aicc_zip())

    out, _ = run("import", "--academy", "acme", str(path))

    course = Course.objects.get()
    assert out.splitlines()[0] == f"Imported 'Fire Safety' as course {course.pk} (AICC, 1 unit)."
    assert (course.academy, course.kind) == (academy, "package")


def test_import_json_and_a_group_by_its_path_of_names(tmp_path):
    academy = AcademyFactory(slug="acme", name="Acme")
    sales = GroupFactory(academy=academy, name="Sales")
    emea = GroupFactory(academy=academy, parent=sales, name="EMEA")
    path = write(tmp_path / "fire.zip", aicc_zip())

    out, _ = run("import", "--academy", "acme", str(path), "--group", "Sales/EMEA", "--json")

    package = Package.objects.get()
    unit = package.units.get()
    assert json.loads(out) == {
        "outcome": "created",
        "course": {"id": package.course_id, "title": "Fire Safety"},
        "package": {
            "id": package.pk,
            "version": 1,
            "format": "aicc",
            "identifier": "FIRE-101",
            "title": "Fire Safety",
            "file_count": 5,
            "size_bytes": package.size_bytes,
            "units": [{"id": unit.pk, "identifier": "A1", "title": "Raise the alarm", "launch": "index.html"}],
            "warnings": package.warnings,
        },
    }
    assert sorted(Placement.objects.values_list("group", "kind")) == [(emea.pk, "catalogue"), (emea.pk, "library")]


@pytest.mark.parametrize("reference", ["Acme/Sales", "/Sales/", "{id}"])
def test_a_group_is_found_by_id_or_by_path_with_or_without_the_root(tmp_path, reference):
    academy = AcademyFactory(slug="acme", name="Acme")
    sales = GroupFactory(academy=academy, name="Sales")
    path = write(tmp_path / "fire.zip", aicc_zip())

    run("import", "--academy", "acme", str(path), "--group", reference.format(id=sales.pk))

    assert set(Placement.objects.values_list("group", flat=True)) == {sales.pk}


def test_unknown_academy_or_group_stops_with_the_reason(tmp_path):
    AcademyFactory(slug="acme")
    foreign = GroupFactory(academy=AcademyFactory(slug="other"))
    path = write(tmp_path / "fire.zip", aicc_zip())

    _, _, no_academy = fails("import", "--academy", "nowhere", str(path))
    _, _, no_group = fails("import", "--academy", "acme", str(path), "--group", "Sales/Nowhere")
    _, _, foreign_group = fails("import", "--academy", "acme", str(path), "--group", str(foreign.pk))

    assert str(no_academy) == "No academy 'nowhere'."
    assert str(no_group) == "No group 'Sales/Nowhere' in the academy 'acme'."
    assert str(foreign_group) == f"No group '{foreign.pk}' in the academy 'acme'."
    assert Course.objects.count() == 0


def test_import_of_a_refused_package_stores_nothing_and_exits_1(tmp_path, media):
    AcademyFactory(slug="acme")
    path = write(tmp_path / "bad.zip", b"not a zip")

    out, _, error = fails("import", "--academy", "acme", str(path), "--json")

    assert json.loads(out)["error"]["code"] == "not_a_zip"
    assert error.returncode == 1
    assert (Course.objects.count(), media.exists() and any(media.rglob("*.*"))) == (0, False)


def test_a_duplicate_without_a_terminal_stops_naming_the_existing_course(tmp_path):
    AcademyFactory(slug="acme")
    path = write(tmp_path / "fire.zip", aicc_zip())
    run("import", "--academy", "acme", str(path))
    course = Course.objects.get()

    out, _, error = fails("import", "--academy", "acme", str(path), "--json", stdin=io.StringIO(""))
    _, _, plain = fails("import", "--academy", "acme", str(path), stdin=io.StringIO(""))

    message = (
        f"A package with identifier 'FIRE-101' is already in this academy as the existing course 'Fire Safety' "
        f"(id {course.pk}). Choose to skip it, replace it with a new version, or keep both as a copy."
    )
    assert json.loads(out) == {"error": {"code": "duplicate", "message": message, "existing_course_id": course.pk}}
    assert (error.returncode, str(plain)) == (1, message)
    assert (Course.objects.count(), Package.objects.count()) == (1, 1)


def test_a_duplicate_at_a_terminal_is_asked_about_until_answered(tmp_path):
    AcademyFactory(slug="acme")
    path = write(tmp_path / "fire.zip", aicc_zip())
    run("import", "--academy", "acme", str(path))
    course = Course.objects.get()

    out, err = run("import", "--academy", "acme", str(path), stdin=Terminal("maybe\nr\n"))

    question = "[s]kip it, [r]eplace it with a new version, or keep both as a [c]opy? "
    assert err == (f"The academy already has this package: course 'Fire Safety' (id {course.pk}).\n" + question * 2)
    assert out.splitlines()[0] == (
        f"Replaced the package of course {course.pk} 'Fire Safety': now version 2 (AICC, 1 unit)."
    )
    assert list(Package.objects.order_by("version").values_list("version", "is_current")) == [(1, False), (2, True)]


def test_the_terminal_answers_copy_and_skip_too(tmp_path):
    AcademyFactory(slug="acme")
    path = write(tmp_path / "fire.zip", aicc_zip())
    run("import", "--academy", "acme", str(path))

    copied, _ = run("import", "--academy", "acme", str(path), "--json", stdin=Terminal("copy\n"))
    skipped, _ = run("import", "--academy", "acme", str(path), stdin=Terminal("S\n"))

    assert (json.loads(copied)["outcome"], json.loads(copied)["course"]["title"]) == ("copied", "Fire Safety (copy)")
    first = Course.objects.get(title="Fire Safety")
    assert skipped == f"Skipped: course {first.pk} 'Fire Safety' already has this package. Nothing changed.\n"
    assert Course.objects.count() == 2


def test_a_terminal_that_closes_without_an_answer_imports_nothing(tmp_path):
    AcademyFactory(slug="acme")
    path = write(tmp_path / "fire.zip", aicc_zip())
    run("import", "--academy", "acme", str(path))

    _, _, error = fails("import", "--academy", "acme", str(path), stdin=Terminal(""))

    assert (str(error), error.returncode) == ("No answer: nothing was imported.", 1)
    assert Package.objects.count() == 1


@pytest.mark.parametrize(
    ("choice", "outcome", "courses", "packages"),
    [
        ("skip", "skipped", 1, 1),
        ("replace", "replaced", 1, 2),
        ("copy", "copied", 2, 2),
    ],
)
def test_on_duplicate_answers_without_asking(tmp_path, choice, outcome, courses, packages):
    AcademyFactory(slug="acme")
    path = write(tmp_path / "fire.zip", aicc_zip())
    run("import", "--academy", "acme", str(path))

    out, err = run("import", "--academy", "acme", str(path), "--on-duplicate", choice, "--json", stdin=Terminal(""))

    assert (json.loads(out)["outcome"], err) == (outcome, "")
    assert (Course.objects.count(), Package.objects.count()) == (courses, packages)
