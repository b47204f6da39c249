"""What a package is and what it holds, read from the zip without extracting anything.

The format is told by the files at the package's root: imsmanifest.xml is SCORM, a .crs file is AICC;
cmi5.xml (cmi5) and tincan.xml (xAPI / Tin Can) are recognised and refused as not supported yet. A
package whose files all sit in one folder (a course folder zipped as a whole) is read from that
folder, with a warning.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from coursebridge.content.aicc import parse_aicc
from coursebridge.content.packages import PackageRefused, ParsedPackage
from coursebridge.content.safezip import JUNK_PREFIXES, SafeZip, Source, open_safe_zip
from coursebridge.content.scorm import parse_scorm

MANIFEST = "imsmanifest.xml"
NOT_SUPPORTED = {
    "cmi5.xml": "cmi5 packages are not supported yet (the package holds cmi5.xml).",
    "tincan.xml": "xAPI (Tin Can) packages are not supported yet (the package holds tincan.xml).",
}
_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}


def inspect_package(source: Source) -> ParsedPackage:
    """Parse a package (a path or a binary file object holding a zip) without extracting it.
    Raises PackageRefused with the reason (see PackageRefused for the codes)."""
    with open_safe_zip(source) as archive:
        return parse_archive(archive)


def parse_archive(archive: SafeZip) -> ParsedPackage:
    """Parse an already opened and checked archive."""
    warnings: list[str] = []
    root = _package_root(archive, warnings)
    files = _files_in(archive, root)
    parser: Callable[[SafeZip, str, list[str]], ParsedPackage] | None = None
    path = ""
    if MANIFEST in files:
        path = files[MANIFEST]
        parser = parse_scorm
    else:
        courses = sorted(name for key, name in files.items() if key.endswith(".crs"))
        if len(courses) > 1:
            raise PackageRefused(
                "invalid",
                f"The package holds {len(courses)} AICC course files ({', '.join(courses)}); "
                "a package holds one course.",
            )
        if courses:
            path = courses[0]
            parser = parse_aicc
    if parser is None:
        for name, message in NOT_SUPPORTED.items():
            if name in files:
                raise PackageRefused("not_supported", message)
        raise PackageRefused("unknown_format", _unknown_format_message(archive))
    try:
        return parser(archive, path, warnings)
    except PackageRefused as exc:
        if not warnings:
            raise
        # What the parser noticed before it stopped may be what the author has to fix as well.
        raise PackageRefused(exc.code, f"{exc.message} Also noted: {' '.join(warnings)}") from exc


def _is_junk(path: str) -> bool:
    return path.startswith(JUNK_PREFIXES) or posixpath.basename(path).lower() in _JUNK_NAMES


def _files_in(archive: SafeZip, folder: str) -> dict[str, str]:
    """The files directly in `folder` ("" for the root), by lower-case name."""
    found: dict[str, str] = {}
    parent = folder.rstrip("/")
    for name in archive.names():
        if posixpath.dirname(name) == parent and not _is_junk(name):
            found.setdefault(posixpath.basename(name).lower(), name)
    return found


def _has_marker(files: dict[str, str]) -> bool:
    return MANIFEST in files or any(key.endswith(".crs") for key in files) or any(n in files for n in NOT_SUPPORTED)


def _package_root(archive: SafeZip, warnings: list[str]) -> str:
    """ "" when the package's files are at the zip's root; "folder/" when every file sits in one
    folder that holds the package's descriptor."""
    if _has_marker(_files_in(archive, "")):
        return ""
    tops = {name.split("/", 1)[0] for name in archive.names() if not _is_junk(name)}
    if len(tops) != 1:
        return ""
    top = next(iter(tops))
    if not any(name.startswith(f"{top}/") for name in archive.names()):
        return ""
    if not _has_marker(_files_in(archive, top)):
        return ""
    warnings.append(
        f"The package's files are in the folder {top!r} rather than at the root of the zip; they are read from "
        "that folder."
    )
    return f"{top}/"


def _unknown_format_message(archive: SafeZip) -> str:
    message = (
        "The package is not a SCORM or AICC course: no imsmanifest.xml (SCORM) or .crs file (AICC) is at the root "
        "of the zip."
    )
    deeper = [
        name
        for name in archive.names()
        if not _is_junk(name) and (posixpath.basename(name).lower() == MANIFEST or name.lower().endswith(".crs"))
    ]
    if deeper:
        message += f" The zip holds {deeper[0]!r}: zip the contents of its folder rather than the folder."
    elif not archive.names():
        message += " The zip is empty."
    return message
