"""Publishers' AICC packages: validated by the content parsers, stored through Django's storage API.

The zip is kept whole (packageDownloadUrl) and its files are extracted under a prefix from which the
launch serves the AU. Only AICC is hosted, and only AUs inside the package (a remote AU would not be
ours to serve).
"""

from __future__ import annotations

import io
import posixpath
from dataclasses import dataclass
from typing import BinaryIO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from coursebridge.content.aicc import parse_aicc
from coursebridge.content.packages import PackageRefused, ParsedPackage
from coursebridge.content.safezip import JUNK_PREFIXES, extract_to_storage, open_safe_zip
from coursebridge.core.errors import DomainError

STORAGE_ROOT = "marketplace/packages"


@dataclass(frozen=True)
class StoredPackage:
    package_file: str
    package_prefix: str
    au_path: str
    identifier: str
    title: str


def package_parse(data: bytes) -> ParsedPackage:
    """The AICC course in a zip, or DomainError(field="package") saying what is wrong with it."""
    try:
        with open_safe_zip(io.BytesIO(data)) as archive:
            courses = sorted(
                name for name in archive.names()
                if name.lower().endswith(".crs") and "/" not in name and not name.startswith(JUNK_PREFIXES)
            )
            if not courses:
                raise PackageRefused(
                    "unknown_format", "The package is not an AICC course: no .crs file is at the root of the zip."
                )
            if len(courses) > 1:
                raise PackageRefused(
                    "invalid", f"The package holds {len(courses)} AICC course files; it must hold one."
                )
            parsed = parse_aicc(archive, courses[0], [])
    except PackageRefused as exc:
        raise DomainError(f"The package was refused: {exc.message}", field="package", code=exc.code) from exc
    if not parsed.units:
        raise DomainError("The package was refused: its .au file lists no assignable unit.", field="package")
    unit = parsed.units[0]
    if unit.is_remote:
        raise DomainError(
            f"The package was refused: its AU {unit.id!r} points to another host ({unit.launch}); the marketplace "
            "hosts the AU itself.",
            field="package",
        )
    return parsed


def package_store(*, code: str, data: bytes | BinaryIO) -> StoredPackage:
    """Validate and store a package for the course `code`. On failure nothing stays in storage."""
    raw = data if isinstance(data, bytes) else data.read()
    parsed = package_parse(raw)
    base = f"{STORAGE_ROOT}/{code}"
    package_delete(prefix=f"{base}/")
    zip_name = default_storage.save(f"{base}/package.zip", ContentFile(raw))
    try:
        extract_to_storage(io.BytesIO(raw), storage=default_storage, prefix=f"{base}/files")
    except BaseException:
        default_storage.delete(zip_name)
        raise
    return StoredPackage(
        package_file=zip_name,
        package_prefix=f"{base}/files/",
        au_path=parsed.units[0].launch,
        identifier=parsed.identifier,
        title=parsed.title,
    )


def package_delete(*, prefix: str) -> None:
    """Remove every stored file under `prefix` (a course's package folder)."""
    if not prefix or not default_storage.exists(prefix.rstrip("/")):
        return
    folders = [prefix.rstrip("/")]
    while folders:
        folder = folders.pop()
        subfolders, files = default_storage.listdir(folder)
        for name in files:
            default_storage.delete(posixpath.join(folder, name))
        folders += [posixpath.join(folder, sub) for sub in subfolders]
