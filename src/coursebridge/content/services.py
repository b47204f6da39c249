"""Importing content packages: the upload becomes a course with its package version and units.

The package is read from a local file (an upload Django already spooled to disk, or a copy made here
in chunks), checked by the parsers, then its files are extracted to the default storage before any
row is written; a refusal or a failed transaction leaves nothing behind.

Duplicates: a package whose identifier (AICC Course_ID, SCORM manifest identifier) is already the
current package of a course of the academy is never imported silently. Without a choice the import
stops with DuplicatePackage naming the course; the choices are skip (nothing changes), replace (a new
version of that course: its old version and units stay, so attempts and transcripts keep what they
recorded) and copy (a second course).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Literal

from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from coursebridge.accounts.models import Academy, Group, User
from coursebridge.catalog.models import Course, CourseKind, PlacementKind
from coursebridge.catalog.services import course_refresh_search_text, course_update, placement_add
from coursebridge.content.models import Package, Unit
from coursebridge.content.packages import PackageRefused, ParsedPackage, ParsedUnit
from coursebridge.core.errors import Conflict, DomainError

Outcome = Literal["created", "replaced", "copied", "skipped"]
DUPLICATE_CHOICES = ("skip", "replace", "copy")
COPY_SUFFIX = " (copy)"
CHUNK_SIZE = 1024 * 1024
STORAGE_ROOT = "packages"
# Largest values the unit columns hold (DecimalField max_digits=7, decimal_places=2).
SCORE_LIMIT = Decimal("99999.99")

Source = str | os.PathLike[str] | IO[bytes]


class PackageRejected(DomainError):
    """The parsers refused the package: `code` is theirs (not_a_zip, zip_bomb, unsafe_path…)."""

    status = 400


class DuplicatePackage(Conflict):
    """The academy already has this package; the caller must choose skip, replace or copy."""

    code = "duplicate"

    def __init__(self, *, existing: Package, identifier: str) -> None:
        course = existing.course
        what = f"identifier '{identifier}'" if identifier else f"title '{existing.title}'"
        super().__init__(
            f"A package with {what} is already in this academy as the existing course '{course.title}' "
            f"(id {course.pk}). Choose to skip it, replace it with a new version, or keep both as a copy.",
            field="file",
        )
        self.existing_course = course
        self.existing_package = existing


@dataclass(frozen=True)
class ImportResult:
    course: Course
    package: Package
    outcome: Outcome


# --- Reading the source -----------------------------------------------------------------------------


@contextmanager
def local_package_file(source: Source) -> Iterator[Path]:
    """A path to the package on local disk: the path given, the file Django spooled the upload to, or
    a temporary copy written in chunks (removed afterwards). The package is never held in memory."""
    if isinstance(source, str | os.PathLike):
        yield Path(source)
        return
    spooled = getattr(source, "temporary_file_path", None)
    if callable(spooled):
        yield Path(spooled())
        return
    handle = tempfile.NamedTemporaryFile(prefix="package-", suffix=".zip", delete=False)
    try:
        with handle:
            if hasattr(source, "seek"):
                source.seek(0)
            chunks = getattr(source, "chunks", None)
            if callable(chunks):  # a Django upload kept in memory
                for chunk in chunks(CHUNK_SIZE):
                    handle.write(chunk)
            else:
                shutil.copyfileobj(source, handle, CHUNK_SIZE)
        yield Path(handle.name)
    finally:
        Path(handle.name).unlink(missing_ok=True)


def package_inspect(*, source: Source) -> ParsedPackage:
    """What the package holds, without storing anything. PackageRejected with the parsers' reason."""
    from coursebridge.content.inspect import inspect_package

    with local_package_file(source) as path:
        try:
            return inspect_package(path)
        except PackageRefused as exc:
            raise PackageRejected(exc.message, field="file", code=exc.code) from exc


# --- Storage -----------------------------------------------------------------------------------------


def storage_delete_tree(*, prefix: str, storage: Storage | None = None) -> None:
    """Remove every file under `prefix` (a folder of the storage), then the folders themselves."""
    storage = storage or default_storage
    prefix = prefix.rstrip("/")
    if not prefix or not storage.exists(prefix):
        return
    folders, files = storage.listdir(prefix)
    for name in files:
        storage.delete(f"{prefix}/{name}")
    for name in folders:
        storage_delete_tree(prefix=f"{prefix}/{name}", storage=storage)
    storage.delete(prefix)  # the file-system storage removes an emptied folder


def package_files_delete(*, academy: Academy) -> None:
    """Remove every extracted package file of the academy (when the academy itself goes)."""
    storage_delete_tree(prefix=f"{STORAGE_ROOT}/{academy.pk}")


# --- Import ------------------------------------------------------------------------------------------


def _identifier(parsed: ParsedPackage) -> str:
    return parsed.identifier.strip()[:255]


def _existing(academy: Academy, parsed: ParsedPackage, filename: str) -> Package | None:
    """The current package of a course of the academy with the same identifier (the same title when
    the package has no identifier); the oldest course first when copies exist."""
    current = Package.objects.filter(academy=academy, is_current=True).select_related("course")
    identifier = _identifier(parsed)
    if identifier:
        current = current.filter(identifier=identifier)
    else:
        current = current.filter(identifier="", title=_title(parsed, filename))
    return current.order_by("course_id").first()


def _title(parsed: ParsedPackage, filename: str) -> str:
    title = " ".join((parsed.title or "").split())
    if not title:
        title = " ".join(Path(filename or "").stem.replace("_", " ").split()) or "Untitled package"
    return title[:300]


def _check_units(parsed: ParsedPackage) -> None:
    """Values the unit columns cannot hold are refused up front, before any file is stored."""
    if not parsed.units:
        raise PackageRejected("The package has no unit to launch.", field="file", code="missing_launch")
    for unit in parsed.units:
        if len(unit.launch) > 2000 or len(unit.parameters) > 2000:
            raise PackageRejected(
                f"The launch address of unit '{unit.id[:60]}' is longer than 2000 characters.",
                field="file", code="invalid",
            )
        for name, value in (("mastery score", unit.mastery_score), ("maximum score", unit.max_score)):
            if value is not None and (not value.is_finite() or abs(value) > SCORE_LIMIT):
                raise PackageRejected(
                    f"The {name} of unit '{unit.id[:60]}' ({value}) is out of range.", field="file", code="invalid"
                )


def _unit_row(package: Package, position: int, unit: ParsedUnit) -> Unit:
    def score(value: Decimal | None) -> Decimal | None:
        return None if value is None else value.quantize(Decimal("0.01"))

    return Unit(
        package=package,
        position=position,
        identifier=unit.id[:255],
        title=(" ".join(unit.title.split()) or unit.id)[:300],
        launch=unit.launch,
        is_remote=unit.is_remote,
        parameters=unit.parameters,
        is_sco=unit.is_sco,
        mastery_score=score(unit.mastery_score),
        max_score=score(unit.max_score),
        completion_threshold=(
            None if unit.completion_threshold is None else unit.completion_threshold.quantize(Decimal("0.0001"))
        ),
        max_time_allowed=unit.max_time_allowed[:40],
        time_limit_action=unit.time_limit_action[:40],
        core_vendor=unit.core_vendor,
        au_password=unit.au_password[:255],
    )


def _extract(path: Path, academy: Academy, parsed: ParsedPackage) -> tuple[str, int, int]:
    """(storage prefix, files, bytes). A package whose units are all remote stores no file."""
    from coursebridge.content.safezip import extract_to_storage

    if all(unit.is_remote for unit in parsed.units):
        return "", 0, 0
    prefix = f"{STORAGE_ROOT}/{academy.pk}/{uuid.uuid4().hex}/"
    try:
        files, size = extract_to_storage(str(path), storage=default_storage, prefix=prefix)
    except PackageRefused as exc:
        storage_delete_tree(prefix=prefix)
        raise PackageRejected(exc.message, field="file", code=exc.code) from exc
    except BaseException:
        storage_delete_tree(prefix=prefix)
        raise
    return prefix, files, size


def package_import(
    *,
    academy: Academy,
    source: Source,
    filename: str,
    by: User | None,
    group: Group | None = None,
    on_duplicate: str | None = None,
) -> ImportResult:
    """Import a package into the academy as a package course, placed in `group`'s catalogue and
    library when given. PackageRejected when the parsers refuse it, DuplicatePackage when its
    identifier is already in the academy and no choice (skip, replace, copy) was given."""
    if on_duplicate is not None and on_duplicate not in DUPLICATE_CHOICES:
        raise DomainError(
            f"on_duplicate is one of {', '.join(DUPLICATE_CHOICES)}; got '{on_duplicate}'.", field="on_duplicate"
        )
    if group is not None and group.academy_id != academy.pk:
        raise DomainError("The group belongs to another academy.", field="group_id")
    with local_package_file(source) as path:
        parsed = package_inspect(source=path)
        _check_units(parsed)
        existing = _existing(academy, parsed, filename)
        if existing is not None and on_duplicate is None:
            raise DuplicatePackage(existing=existing, identifier=_identifier(parsed))
        if existing is not None and on_duplicate == "skip":
            return ImportResult(course=existing.course, package=existing, outcome="skipped")
        prefix, files, size = _extract(path, academy, parsed)
    try:
        return _write(
            academy=academy, parsed=parsed, filename=filename, by=by, group=group, on_duplicate=on_duplicate,
            prefix=prefix, files=files, size=size,
        )
    except BaseException:
        if prefix:
            storage_delete_tree(prefix=prefix)
        raise


@transaction.atomic
def _write(
    *,
    academy: Academy,
    parsed: ParsedPackage,
    filename: str,
    by: User | None,
    group: Group | None,
    on_duplicate: str | None,
    prefix: str,
    files: int,
    size: int,
) -> ImportResult:
    # Imports into one academy take turns, so two uploads of one package cannot both miss the other.
    Academy.objects.select_for_update().get(pk=academy.pk)
    existing = _existing(academy, parsed, filename)
    if existing is not None and on_duplicate is None:
        raise DuplicatePackage(existing=existing, identifier=_identifier(parsed))
    if existing is not None and on_duplicate == "skip":
        # Another import made the same package current meanwhile: nothing of this one is kept.
        storage_delete_tree(prefix=prefix)
        return ImportResult(course=existing.course, package=existing, outcome="skipped")
    title = _title(parsed, filename)
    outcome: Outcome
    if existing is not None and on_duplicate == "replace":
        course = existing.course
        course_update(course=course, changes={"title": title, "description": parsed.description}, by=by)
        Package.objects.filter(course=course, is_current=True).update(is_current=False)
        version = (Package.objects.filter(course=course).aggregate(top=Max("version"))["top"] or 0) + 1
        outcome = "replaced"
    else:
        if existing is not None:  # copy
            title = title[: 300 - len(COPY_SUFFIX)] + COPY_SUFFIX
            outcome = "copied"
        else:
            outcome = "created"
        course = Course.objects.create(
            academy=academy, kind=CourseKind.PACKAGE, title=title, description=parsed.description,
            launch_url="", status_changed_at=timezone.now(),
        )
        course_refresh_search_text(course=course)
        version = 1
    package = Package.objects.create(
        academy=academy,
        course=course,
        format=parsed.format,
        identifier=_identifier(parsed),
        title=_title(parsed, filename),
        schema_version=parsed.version[:40],
        version=version,
        is_current=True,
        storage_prefix=prefix,
        size_bytes=size,
        file_count=files,
        warnings=list(parsed.warnings),
        uploaded_by=by,
    )
    Unit.objects.bulk_create([_unit_row(package, position, unit) for position, unit in enumerate(parsed.units, 1)])
    if group is not None:
        placement_add(course=course, group=group, kinds=(PlacementKind.CATALOGUE, PlacementKind.LIBRARY))
    return ImportResult(course=course, package=package, outcome=outcome)
