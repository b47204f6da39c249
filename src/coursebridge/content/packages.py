"""What a content package holds, as the parsers report it. Pure data: no Django, no storage, so the
marketplace can validate its publishers' packages with the same code."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

PackageFormat = Literal["aicc", "scorm12", "scorm2004"]


class PackageRefused(Exception):
    """A package we do not store, with the reason a person can act on.

    code: not_a_zip, encrypted, zip_bomb, unsafe_path, malformed_xml, missing_launch, missing_file,
    unknown_format, not_supported (cmi5, xAPI), invalid (anything else a parser refuses).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


@dataclass
class ParsedUnit:
    """One launchable unit: an AICC assignable unit or a SCORM SCO (or asset)."""

    id: str
    title: str
    # A path inside the package (hosted by us), or an absolute http(s) URL (a remote AU).
    launch: str
    is_remote: bool = False
    parameters: str = ""  # SCORM item parameters / AICC Web_Launch, appended to the launch URL
    mastery_score: Decimal | None = None
    max_score: Decimal | None = None
    max_time_allowed: str = ""
    time_limit_action: str = ""
    core_vendor: str = ""  # AICC [Core_Vendor] launch data; SCORM adlcp:datafromlms
    au_password: str = ""
    is_sco: bool = True  # SCORM: a SCO talks to the runtime API; an asset does not
    completion_threshold: Decimal | None = None  # SCORM 2004 adlcp:completionThreshold, 0..1

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "launch": self.launch}


@dataclass
class ParsedPackage:
    format: PackageFormat
    title: str
    identifier: str
    units: list[ParsedUnit]
    description: str = ""
    version: str = ""  # AICC Version, or the SCORM schemaversion
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The documented JSON of `coursebridge package inspect --json`."""
        return {
            "format": self.format,
            "title": self.title,
            "identifier": self.identifier,
            "units": [u.as_dict() for u in self.units],
            "warnings": list(self.warnings),
        }
