import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils import timezone

from coursebridge.catalog.models import Course, CourseKind, Placement
from coursebridge.content import inspect, safezip, services
from coursebridge.content.inspect import inspect_package
from coursebridge.content.models import Package, Unit, UnitState
from coursebridge.content.packages import PackageRefused
from coursebridge.content.services import DuplicatePackage, PackageRejected, package_import
from coursebridge.content.tracking import unit_state_for, unit_state_record
from coursebridge.core.errors import DomainError
from coursebridge.learning.models import Attempt, LearningStatus
from coursebridge.learning.services import enrollment_create
from tests.content.import_helpers import (
    NO_TESTDATA,
    TESTDATA,
    aicc_files,
    aicc_zip,
    scorm12_files,
    scorm12_zip,
    write,
    zip_bytes,
)
from tests.factories import AcademyFactory, GroupFactory, learner_in, training_admin_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def stored_files(media: Path) -> list[str]:
    if not media.exists():
        return []
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def nothing_stored(media: Path) -> bool:
    return (Course.objects.count(), Package.objects.count(), Unit.objects.count(), stored_files(media)) == (
        0, 0, 0, [],
    )


def attempt_of(learner, course) -> Attempt:
    enrollment = enrollment_create(user=learner, course=course)
    now = timezone.now()
    return Attempt.objects.create(
        academy_id=course.academy_id, enrollment=enrollment, number=1, started_at=now,
        status=LearningStatus.IN_PROGRESS, first_activity_at=now, last_activity_at=now,
    )


def test_a_scorm_package_becomes_a_package_course_with_its_units_and_files(tmp_path, media):
    academy = AcademyFactory()
    admin = training_admin_of(academy)
    path = write(tmp_path / "safety.zip", scorm12_zip(units=(
        ("item-1", "Lesson one", "one/index.html"), ("item-2", "Lesson two", "two/index.html"),
    )))

    result = package_import(academy=academy, source=path, filename="safety.zip", by=admin)

    course, package = result.course, result.package
    assert result.outcome == "created"
    assert (course.academy, course.kind, course.title, course.launch_url) == (
        academy, CourseKind.PACKAGE, "Safety at Work", "",
    )
    assert Course.objects.get(pk=course.pk).search_text == "Safety at Work"
    assert (package.course, package.format, package.identifier, package.title, package.version, package.is_current,
            package.schema_version, package.uploaded_by, package.file_count) == (
        course, "scorm12", "com.example.safety", "Safety at Work", 1, True, "1.2", admin, 3,
    )
    assert re.fullmatch(rf"packages/{academy.pk}/[0-9a-f]{{32}}/", package.storage_prefix)
    assert stored_files(media) == sorted(
        f"{package.storage_prefix}{name}" for name in ("imsmanifest.xml", "one/index.html", "two/index.html")
    )
    assert package.size_bytes == sum((media / name).stat().st_size for name in stored_files(media))
    assert list(package.units.values_list("position", "identifier", "title", "launch", "is_remote")) == [
        (1, "item-1", "Lesson one", "one/index.html", False),
        (2, "item-2", "Lesson two", "two/index.html", False),
    ]
    assert default_storage.open(f"{package.storage_prefix}one/index.html").read() == (
        b"<!doctype html><title>Lesson one</title><p>Lesson one</p>"
    )
    assert Placement.objects.filter(course=course).count() == 0


def test_a_scorm2004_units_completion_threshold_and_passing_measure_are_stored(tmp_path, media):
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest identifier="com.example.measure" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" '
        'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">'
        "<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>"
        '<organizations default="org"><organization identifier="org"><title>Measured</title>'
        '<item identifier="item-1" identifierref="res-1"><title>Lesson</title>'
        '<adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.85"/>'
        '<imsss:sequencing><imsss:objectives><imsss:primaryObjective satisfiedByMeasure="true">'
        "<imsss:minNormalizedMeasure>0.7</imsss:minNormalizedMeasure></imsss:primaryObjective>"
        "</imsss:objectives></imsss:sequencing></item></organization></organizations>"
        '<resources><resource identifier="res-1" type="webcontent" adlcp:scormType="sco" href="index.html">'
        '<file href="index.html"/></resource></resources></manifest>'
    )
    path = write(tmp_path / "measured.zip", zip_bytes({"imsmanifest.xml": manifest, "index.html": "<p>Lesson</p>"}))

    result = package_import(academy=AcademyFactory(), source=path, filename="measured.zip", by=None)

    unit = result.package.units.get()
    assert (result.package.format, unit.completion_threshold, unit.mastery_score) == (
        "scorm2004", Decimal("0.85"), Decimal("70.00"))


def test_an_aicc_package_from_a_file_object_takes_its_description_and_lands_in_the_group(media):
    academy = AcademyFactory()
    group = GroupFactory(academy=academy, name="Safety team")

    result = package_import(
        academy=academy, source=io.BytesIO(aicc_zip()), filename="fire.zip", by=None, group=group
    )

    course = result.course
    assert (course.title, course.description, course.kind) == (
        "Fire Safety", "Leave by the nearest exit.", CourseKind.PACKAGE,
    )
    assert (result.package.format, result.package.identifier, result.package.uploaded_by) == ("aicc", "FIRE-101", None)
    assert list(result.package.units.values_list("identifier", "title", "launch")) == [
        ("A1", "Raise the alarm", "index.html"),
    ]
    assert sorted(Placement.objects.filter(course=course).values_list("group__name", "kind")) == [
        ("Safety team", "catalogue"), ("Safety team", "library"),
    ]


def test_uploads_kept_in_memory_or_spooled_to_disk_import_alike(media):
    academy = AcademyFactory()
    in_memory = SimpleUploadedFile("small.zip", scorm12_zip(identifier="mem"), content_type="application/zip")
    on_disk = TemporaryUploadedFile("big.zip", "application/zip", 0, None)
    on_disk.write(scorm12_zip(identifier="disk"))
    on_disk.flush()

    first = package_import(academy=academy, source=in_memory, filename="small.zip", by=None)
    second = package_import(academy=academy, source=on_disk, filename="big.zip", by=None)

    assert (first.package.identifier, second.package.identifier) == ("mem", "disk")
    assert os.path.exists(on_disk.temporary_file_path())  # Django's own spool file is Django's to remove
    on_disk.close()


def test_a_package_without_a_title_is_named_after_its_file(tmp_path, media, monkeypatch):
    academy = AcademyFactory()
    path = write(tmp_path / "x.zip", aicc_zip())
    parsed = inspect_package(str(path))
    parsed.title = "  "
    monkeypatch.setattr(inspect, "inspect_package", lambda source: parsed)

    result = package_import(academy=academy, source=path, filename="fire_drill_2024.zip", by=None)

    assert (result.course.title, result.package.title) == ("fire drill 2024", "fire drill 2024")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("not a zip", b"this is not a zip at all"),
        ("empty", b""),
        ("malformed manifest", zip_bytes({"imsmanifest.xml": "<manifest><organizations>", "index.html": "x"})),
        ("missing launch file", zip_bytes({
            "imsmanifest.xml": str(scorm12_files()["imsmanifest.xml"]).replace("index.html", "gone.html"),
            "index.html": "x",
        })),
        ("no course files", zip_bytes({"readme.txt": "hello"})),
        ("cmi5", zip_bytes({"cmi5.xml": '<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/'
                                        'CourseStructure.xsd"/>', "index.html": "x"})),
        ("escaping path", zip_bytes({**scorm12_files(), "../evil.html": "x"})),
        ("aicc without its launch file", zip_bytes({
            name: text for name, text in aicc_files().items() if name != "index.html"
        })),
    ],
)
def test_every_refusal_stores_nothing_and_says_why(tmp_path, media, name, content):
    academy = AcademyFactory()
    path = write(tmp_path / "package.zip", content)
    with pytest.raises(PackageRefused) as parser_said:
        inspect_package(str(path))

    with pytest.raises(PackageRejected) as refused:
        package_import(academy=academy, source=path, filename="package.zip", by=None)

    assert (refused.value.code, refused.value.message, refused.value.field, refused.value.status) == (
        parser_said.value.code, parser_said.value.message, "file", 400,
    )
    assert nothing_stored(media)


def test_the_refusal_codes_name_the_problem(tmp_path, media):
    academy = AcademyFactory()
    codes = {}
    for name, content in {
        "not_a_zip": b"plain text",
        "cmi5": zip_bytes({"cmi5.xml": '<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/'
                                       'CourseStructure.xsd"/>'}),
        "escape": zip_bytes({**scorm12_files(), "../evil.html": "x"}),
        "xml": zip_bytes({"imsmanifest.xml": "<manifest><organizations>"}),
    }.items():
        with pytest.raises(PackageRejected) as refused:
            package_import(academy=academy, source=write(tmp_path / f"{name}.zip", content), filename="p.zip", by=None)
        codes[name] = refused.value.code

    assert codes == {"not_a_zip": "not_a_zip", "cmi5": "not_supported", "escape": "unsafe_path",
                     "xml": "malformed_xml"}
    assert nothing_stored(media)


def test_a_failure_while_writing_the_rows_removes_the_extracted_files(tmp_path, media, monkeypatch):
    academy = AcademyFactory()
    path = write(tmp_path / "p.zip", scorm12_zip())

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Unit.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError, match="the database went away"):
        package_import(academy=academy, source=path, filename="p.zip", by=None)

    assert nothing_stored(media)


@pytest.mark.parametrize("failure", [OSError("disk full"), PackageRefused("zip_bomb", "Too big once inflated.")])
def test_a_failure_while_extracting_leaves_no_half_package(tmp_path, media, monkeypatch, failure):
    academy = AcademyFactory()
    path = write(tmp_path / "p.zip", scorm12_zip())
    saved = []

    def save_one_then_fail(zip_source, *, storage, prefix):
        saved.append(storage.save(f"{prefix}imsmanifest.xml", io.BytesIO(b"<manifest/>")))
        raise failure

    monkeypatch.setattr(safezip, "extract_to_storage", save_one_then_fail)
    with pytest.raises((OSError, PackageRejected)) as raised:
        package_import(academy=academy, source=path, filename="p.zip", by=None)

    assert len(saved) == 1
    assert str(raised.value) == str(failure)
    assert nothing_stored(media)


def test_a_package_of_remote_units_only_stores_no_file(tmp_path, media):
    academy = AcademyFactory()
    path = write(tmp_path / "remote.zip", aicc_zip(aus=(("A1", "Remote lesson", "https://cdn.example.org/au/"),)))

    result = package_import(academy=academy, source=path, filename="remote.zip", by=None)

    assert (result.package.storage_prefix, result.package.file_count, result.package.size_bytes) == ("", 0, 0)
    assert list(result.package.units.values_list("launch", "is_remote")) == [("https://cdn.example.org/au/", True)]
    assert stored_files(media) == []


# --- Duplicates -----------------------------------------------------------------------------------


def test_the_same_identifier_again_without_a_choice_is_refused_naming_the_course(tmp_path, media):
    academy = AcademyFactory()
    first = package_import(academy=academy, source=write(tmp_path / "a.zip", aicc_zip()), filename="a.zip", by=None)
    files_before = stored_files(media)

    with pytest.raises(DuplicatePackage) as duplicate:
        package_import(academy=academy, source=write(tmp_path / "b.zip", aicc_zip(title="Fire Safety 2")),
                       filename="b.zip", by=None)

    assert duplicate.value.message == (
        f"A package with identifier 'FIRE-101' is already in this academy as the existing course 'Fire Safety' "
        f"(id {first.course.pk}). Choose to skip it, replace it with a new version, or keep both as a copy."
    )
    assert (duplicate.value.code, duplicate.value.status, duplicate.value.field) == ("duplicate", 409, "file")
    assert duplicate.value.existing_course == first.course
    assert (Course.objects.count(), Package.objects.count(), stored_files(media)) == (1, 1, files_before)


def test_skip_changes_nothing(tmp_path, media):
    academy = AcademyFactory()
    group = GroupFactory(academy=academy)
    first = package_import(academy=academy, source=write(tmp_path / "a.zip", aicc_zip()), filename="a.zip", by=None)
    files_before = stored_files(media)

    result = package_import(
        academy=academy, source=write(tmp_path / "b.zip", aicc_zip(title="Other")), filename="b.zip", by=None,
        group=group, on_duplicate="skip",
    )

    assert (result.outcome, result.course, result.package) == ("skipped", first.course, first.package)
    assert Course.objects.get().title == "Fire Safety"
    assert (Package.objects.count(), Unit.objects.count(), Placement.objects.count()) == (1, 1, 0)
    assert stored_files(media) == files_before


def test_replace_adds_a_version_and_keeps_the_old_units_and_what_attempts_recorded(tmp_path, media):
    academy = AcademyFactory()
    group = GroupFactory(academy=academy)
    learner = learner_in(group)
    first = package_import(academy=academy, source=write(tmp_path / "a.zip", aicc_zip()), filename="a.zip",
                           by=None, group=group)
    old_unit = first.package.units.get()
    attempt = attempt_of(learner, first.course)
    state = unit_state_for(attempt=attempt, unit_id=old_unit.pk)
    unit_state_record(state_id=state.pk, lesson_status="passed", score_raw=Decimal("90"), add_seconds=120)
    admin = training_admin_of(academy)

    result = package_import(
        academy=academy,
        source=write(tmp_path / "b.zip", aicc_zip(title="Fire Safety, 2nd edition", description="Updated.", aus=(
            ("A1", "Raise the alarm", "index.html"), ("A2", "Use an extinguisher", "two.html"),
        ))),
        filename="b.zip", by=admin, on_duplicate="replace",
    )

    course = Course.objects.get()
    assert (result.outcome, result.course.pk) == ("replaced", first.course.pk)
    assert (course.title, course.description, course.kind) == ("Fire Safety, 2nd edition", "Updated.", "package")
    assert list(Package.objects.filter(course=course).order_by("version").values_list(
        "version", "is_current", "title", "uploaded_by")) == [
        (1, False, "Fire Safety", None), (2, True, "Fire Safety, 2nd edition", admin.pk),
    ]
    assert list(result.package.units.values_list("identifier", flat=True)) == ["A1", "A2"]
    assert Unit.objects.filter(pk=old_unit.pk, package=first.package).exists()
    kept = UnitState.objects.get(pk=state.pk)
    assert (kept.unit_id, kept.lesson_status, kept.score_raw, kept.total_time_seconds) == (
        old_unit.pk, "passed", Decimal("90.0000"), 120,
    )
    attempt.refresh_from_db()
    assert (attempt.time_spent_seconds, attempt.score) == (120, Decimal("90.00"))
    assert first.package.storage_prefix != result.package.storage_prefix
    assert stored_files(media) == sorted(
        [f"{first.package.storage_prefix}{n}" for n in ("course.au", "course.crs", "course.cst", "course.des",
                                                         "index.html")]
        + [f"{result.package.storage_prefix}{n}" for n in ("course.au", "course.crs", "course.cst", "course.des",
                                                            "index.html", "two.html")]
    )


def test_replacing_twice_counts_the_versions_on(tmp_path, media):
    academy = AcademyFactory()
    package_import(academy=academy, source=write(tmp_path / "a.zip", scorm12_zip()), filename="a.zip", by=None)
    for _ in range(2):
        package_import(academy=academy, source=write(tmp_path / "a.zip", scorm12_zip()), filename="a.zip",
                       by=None, on_duplicate="replace")

    assert list(Package.objects.order_by("version").values_list("version", "is_current")) == [
        (1, False), (2, False), (3, True),
    ]


def test_copy_makes_a_second_course_and_later_duplicates_name_the_first(tmp_path, media):
    academy = AcademyFactory()
    first = package_import(academy=academy, source=write(tmp_path / "a.zip", scorm12_zip()), filename="a.zip",
                           by=None)

    copy = package_import(academy=academy, source=write(tmp_path / "a.zip", scorm12_zip()), filename="a.zip",
                          by=None, on_duplicate="copy")

    assert (copy.outcome, copy.course.title, copy.package.version, copy.package.is_current) == (
        "copied", "Safety at Work (copy)", 1, True,
    )
    assert copy.course.pk != first.course.pk
    assert sorted(Course.objects.values_list("title", flat=True)) == ["Safety at Work", "Safety at Work (copy)"]
    with pytest.raises(DuplicatePackage) as duplicate:
        package_import(academy=academy, source=write(tmp_path / "a.zip", scorm12_zip()), filename="a.zip", by=None)
    assert duplicate.value.existing_course == first.course


def test_a_copy_of_a_long_title_still_fits(tmp_path, media):
    academy = AcademyFactory()
    long_title = "T" * 300
    for choice in (None, "copy"):
        result = package_import(academy=academy, source=write(tmp_path / "a.zip", aicc_zip(title=long_title)),
                                filename="a.zip", by=None, on_duplicate=choice)

    assert result.course.title == "T" * 293 + " (copy)"


def test_a_choice_without_a_duplicate_simply_imports(tmp_path, media):
    academy = AcademyFactory()

    results = [
        package_import(academy=academy, source=write(tmp_path / "a.zip", scorm12_zip(identifier=f"id-{choice}")),
                       filename="a.zip", by=None, on_duplicate=choice)
        for choice in ("skip", "replace", "copy")
    ]

    assert [r.outcome for r in results] == ["created", "created", "created"]
    assert Course.objects.count() == 3


def test_the_same_package_in_another_academy_is_no_duplicate(tmp_path, media):
    first, second = AcademyFactory(), AcademyFactory()
    package_import(academy=first, source=write(tmp_path / "a.zip", aicc_zip()), filename="a.zip", by=None)

    result = package_import(academy=second, source=write(tmp_path / "a.zip", aicc_zip()), filename="a.zip", by=None)

    assert result.outcome == "created"
    assert result.package.storage_prefix.startswith(f"packages/{second.pk}/")


def test_a_replaced_version_is_no_longer_what_duplicates_are_found_by(tmp_path, media):
    academy = AcademyFactory()
    package_import(academy=academy, source=write(tmp_path / "a.zip", aicc_zip()), filename="a.zip", by=None)
    package_import(academy=academy, source=write(tmp_path / "b.zip", aicc_zip(course_id="FIRE-102")),
                   filename="b.zip", by=None)
    # The course of FIRE-101 now launches FIRE-102's content.
    package_import(academy=academy, source=write(tmp_path / "a.zip", aicc_zip(course_id="FIRE-102")),
                   filename="b.zip", by=None, on_duplicate="replace")

    with pytest.raises(DuplicatePackage) as duplicate:
        package_import(academy=academy, source=write(tmp_path / "c.zip", aicc_zip(course_id="FIRE-102")),
                       filename="c.zip", by=None)

    assert duplicate.value.existing_package.identifier == "FIRE-102"


def test_wrong_arguments_are_refused_before_anything_is_read(tmp_path, media):
    academy = AcademyFactory()
    other_group = GroupFactory(academy=AcademyFactory())
    path = write(tmp_path / "a.zip", aicc_zip())

    with pytest.raises(DomainError) as bad_choice:
        package_import(academy=academy, source=path, filename="a.zip", by=None, on_duplicate="ask")
    with pytest.raises(DomainError) as foreign_group:
        package_import(academy=academy, source=path, filename="a.zip", by=None, group=other_group)

    assert (bad_choice.value.message, bad_choice.value.field) == (
        "on_duplicate is one of skip, replace, copy; got 'ask'.", "on_duplicate",
    )
    assert (foreign_group.value.message, foreign_group.value.field) == (
        "The group belongs to another academy.", "group_id",
    )
    assert nothing_stored(media)


def test_the_academys_package_files_go_with_it(tmp_path, media):
    academy, other = AcademyFactory(), AcademyFactory()
    package_import(academy=academy, source=write(tmp_path / "a.zip", aicc_zip()), filename="a.zip", by=None)
    kept = package_import(academy=other, source=write(tmp_path / "a.zip", aicc_zip()), filename="a.zip", by=None)

    services.package_files_delete(academy=academy)

    assert not (media / "packages" / str(academy.pk)).exists()
    assert all(name.startswith(kept.package.storage_prefix) for name in stored_files(media))
    assert len(stored_files(media)) == 5


# --- The real packages ----------------------------------------------------------------------------

REAL_PACKAGES = {
    "golf-scorm12-runtime-basic.zip": "scorm12",
    "golf-scorm12-one-file-per-sco.zip": "scorm12",
    "golf-scorm2004-3rd-runtime-basic.zip": "scorm2004",
    "golf-scorm2004-2nd-single-sco.zip": "scorm2004",
    "aicc-hacp-test-au.zip": "aicc",
    "aicc-remote-au.zip": "aicc",
}
REFUSED_PACKAGES = {
    "bad-scorm12-malformed-xml.zip": "malformed_xml",
    "bad-scorm12-missing-launch-url.zip": "missing_launch",
    "cmi5-single-au.zip": "not_supported",
}


@pytest.mark.skipif(not TESTDATA.exists(), reason=NO_TESTDATA)
@pytest.mark.parametrize(("name", "format"), sorted(REAL_PACKAGES.items()))
def test_each_real_package_imports_with_the_units_the_parser_found(media, name, format):
    academy = AcademyFactory()
    parsed = inspect_package(str(TESTDATA / name))

    with (TESTDATA / name).open("rb") as upload:
        result = package_import(academy=academy, source=upload, filename=name, by=None)

    assert (result.outcome, result.package.format, result.package.identifier) == ("created", format,
                                                                                 parsed.identifier[:255])
    assert list(result.package.units.values_list("identifier", "launch", "is_remote")) == [
        (u.id, u.launch, u.is_remote) for u in parsed.units
    ]
    for unit in result.package.units.filter(is_remote=False):
        assert default_storage.exists(result.package.storage_prefix + unit.launch.split("?")[0]), unit.launch


@pytest.mark.skipif(not TESTDATA.exists(), reason=NO_TESTDATA)
@pytest.mark.parametrize(("name", "code"), sorted(REFUSED_PACKAGES.items()))
def test_each_real_bad_package_is_refused_and_nothing_stored(media, name, code):
    academy = AcademyFactory()

    with pytest.raises(PackageRejected) as refused:
        package_import(academy=academy, source=TESTDATA / name, filename=name, by=None)

    assert refused.value.code == code
    assert nothing_stored(media)
