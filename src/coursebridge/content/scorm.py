"""SCORM 1.2 and SCORM 2004 (2nd to 4th edition) manifests: imsmanifest.xml to a ParsedPackage.

What is read: the schema version, the manifest identifier, the default organization (or the first,
with a warning), its items in document order (nested items included, aggregations without a
resource skipped), each item's resource and launch address (xml:base of manifest, resources and
resource joined in), item parameters, the SCO/asset type, and per item the mastery score
(1.2 adlcp:masteryscore; 2004 the primary objective's minNormalizedMeasure when it is satisfied by
measure), the completion threshold (2004), time limit, time limit action and launch data.

Safety: the XML is parsed with expat directly and a document type declaration (the door to entity
expansion and external entities) is refused outright; elements may nest at most MAX_DEPTH deep.
Pure code: no Django.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import unquote
from xml.parsers import expat

from coursebridge.content.packages import PackageFormat, PackageRefused, ParsedPackage, ParsedUnit
from coursebridge.content.safezip import SafeZip

MAX_DEPTH = 200
SCORE_LIMIT = Decimal("99999.99")  # what the unit's score columns hold
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Sequencing a player would have to run; their presence gets a warning (units play in manifest order).
SEQUENCING_RULES = {
    "sequencingRules",
    "rollupRules",
    "randomizationControls",
    "constrainedChoiceConsiderations",
    "rollupConsiderations",
    "preConditionRule",
    "exitConditionRule",
    "postConditionRule",
}
SCORM2004_NAMESPACES = ("adlcp_v1p3", "imsss", "adlseq_v1p3", "adlnav_v1p3")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_WEB_URL = re.compile(r"^https?://[^/?#\s]+", re.IGNORECASE)


def url_scheme(value: str) -> str:
    """The scheme of an address ("http", "javascript", "c" for a Windows drive), "" for a path."""
    match = _SCHEME.match(value)
    return match.group(1).lower() if match else ""


def is_web_url(value: str) -> bool:
    """An absolute http(s) address with a host."""
    return _WEB_URL.match(value) is not None


# --- Shared value helpers (the AICC parser uses them too) ----------------------------------------


def apply_parameters(url: str, parameters: str) -> str:
    """Append launch parameters to a URL the way SCORM's content packaging rule says: a leading "?"
    or "&" becomes the right separator (before any "#fragment"), and a "#fragment" is added only when
    the URL has none."""
    params = parameters.strip()
    if not params:
        return url
    base, has_fragment, fragment = url.partition("#")
    if params.startswith("#"):
        return url if has_fragment else url + params
    query, has_own_fragment, own_fragment = params.lstrip("?&").partition("#")
    if query:
        base = f"{base}{'&' if '?' in base else '?'}{query}"
    if has_fragment:
        return f"{base}#{fragment}"
    return f"{base}#{own_fragment}" if has_own_fragment else base


def launch_and_parameters(launch: str, is_remote: bool, *parameters: str) -> tuple[str, str]:
    """(launch, parameters) of a unit. A package path keeps its parameters apart, as the suffix to
    append to the address the file is served at; a remote address takes them in."""
    url = launch
    for piece in parameters:
        url = apply_parameters(url, piece)
    if is_remote:
        return url, ""
    return launch, url[len(launch) :]


def parse_score(value: str, *, where: str, what: str, warnings: list[str]) -> Decimal | None:
    """A score from a package file, to two decimals; None (with a warning) when it is not a number
    the unit can hold."""
    text = value.strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        warnings.append(f"{where}: {what} {text!r} is not a number; it is ignored.")
        return None
    if not number.is_finite() or number < 0 or number > SCORE_LIMIT:
        warnings.append(f"{where}: {what} {text!r} is out of range; it is ignored.")
        return None
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def resolve_in_package(archive: SafeZip, root: str, path: str, *, where: str, subject: str, warnings: list[str]) -> str:
    """The zip member a relative path inside the package (relative to `root`) names. A path that
    climbs out of the package is refused (unsafe_path); a file whose name differs only in letter
    case is used with a warning; a missing file is refused (missing_file)."""
    parts: list[str] = []
    for part in path.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise PackageRefused("unsafe_path", f"{where}: {subject} {path!r} points outside the package.")
            parts.pop()
            continue
        parts.append(part)
    relative = "/".join(parts)
    if not relative:
        raise PackageRefused("missing_launch", f"{where}: {subject} {path!r} names no file to launch.")
    member = f"{root}{relative}"
    if archive.has(member):
        return member
    other = archive.find_ignoring_case(member)
    if other is not None:
        warnings.append(
            f"{where}: {subject} {path!r} differs in letter case from the file {other!r} in the package; "
            f"that file is used."
        )
        return other
    raise PackageRefused("missing_file", f"{where}: {subject} {path!r}, which is not in the package.")


# --- XML ----------------------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    """An element of the manifest with the line it starts on (for messages)."""

    tag: str  # "{namespace}local" or "local"
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def local(self) -> str:
        return _local(self.tag)

    @property
    def namespace(self) -> str:
        return self.tag[1:].split("}", 1)[0] if self.tag.startswith("{") else ""

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def attr(self, name: str) -> str | None:
        """An attribute by local name, whatever its namespace prefix; case-insensitive because
        vendors write adlcp:scormtype (1.2) and adlcp:scormType (2004) interchangeably."""
        if name in self.attrs:
            return self.attrs[name]
        wanted = name.lower()
        for key, value in self.attrs.items():
            if _local(key).lower() == wanted and not key.startswith("{" + XML_NS):
                return value
        return None

    def child(self, local: str) -> Node | None:
        for node in self.children:
            if node.local == local:
                return node
        return None

    def children_named(self, local: str) -> list[Node]:
        return [node for node in self.children if node.local == local]

    def child_ignoring_case(self, local: str) -> Node | None:
        wanted = local.lower()
        for node in self.children:
            if node.local.lower() == wanted:
                return node
        return None

    def iter(self) -> list[Node]:
        found: list[Node] = []
        stack = [self]
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(reversed(node.children))
        return found


def _local(name: str) -> str:
    if name.startswith("{"):
        return name.split("}", 1)[1]
    return name.rsplit(":", 1)[-1]


def _clean(text: str) -> str:
    return " ".join(text.split())


class _Builder:
    def __init__(self, filename: str, namespaces: bool) -> None:
        self.filename = filename
        self.namespaces = namespaces
        self.parser = expat.ParserCreate(namespace_separator=" " if namespaces else None)
        self.parser.buffer_text = True
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._entity
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._data
        self.stack: list[Node] = []
        self.root: Node | None = None

    def _name(self, raw: str) -> str:
        if self.namespaces and " " in raw:
            uri, local = raw.rsplit(" ", 1)
            return f"{{{uri}}}{local}"
        return raw

    def _doctype(self, *args: object) -> None:
        raise PackageRefused(
            "invalid",
            f"{self.filename} line {self.parser.CurrentLineNumber}: a DOCTYPE declaration is not accepted "
            "(document type declarations can expand entities without bound); remove it.",
        )

    def _entity(self, *args: object) -> None:
        raise PackageRefused(
            "invalid", f"{self.filename} line {self.parser.CurrentLineNumber}: entity declarations are not accepted."
        )

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise PackageRefused(
                "invalid",
                f"{self.filename} line {self.parser.CurrentLineNumber}: elements are nested more than "
                f"{MAX_DEPTH} deep.",
            )
        node = Node(self._name(name), {self._name(k): v for k, v in attrs.items()}, self.parser.CurrentLineNumber)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def _end(self, name: str) -> None:
        self.stack.pop()

    def _data(self, text: str) -> None:
        if self.stack:
            self.stack[-1].text_parts.append(text)


def parse_xml(data: bytes, filename: str, warnings: list[str]) -> Node:
    """The document's root element. Refuses malformed XML (malformed_xml, with line and column) and
    any DOCTYPE or entity declaration (invalid)."""
    try:
        return _parse_xml(data, filename, namespaces=True)
    except expat.ExpatError as exc:
        if exc.code != expat.errors.codes[expat.errors.XML_ERROR_UNBOUND_PREFIX]:
            raise _malformed(exc, filename) from exc
    # A prefix used without its xmlns declaration: read the names as written.
    try:
        root = _parse_xml(data, filename, namespaces=False)
    except expat.ExpatError as exc:
        raise _malformed(exc, filename) from exc
    warnings.append(f"{filename} uses a namespace prefix it never declares; element names are read as written.")
    return root


def _parse_xml(data: bytes, filename: str, *, namespaces: bool) -> Node:
    builder = _Builder(filename, namespaces)
    try:
        builder.parser.Parse(data, True)
    except (ValueError, LookupError) as exc:  # e.g. an encoding expat cannot decode
        raise PackageRefused("malformed_xml", f"{filename} cannot be read as XML: {exc}.") from exc
    if builder.root is None:
        raise PackageRefused("malformed_xml", f"{filename} holds no XML element.")
    return builder.root


def _malformed(exc: expat.ExpatError, filename: str) -> PackageRefused:
    reason = expat.ErrorString(exc.code)
    return PackageRefused(
        "malformed_xml",
        f"{filename} is not well-formed XML: {reason} at line {exc.lineno}, column {exc.offset + 1}.",
    )


# --- Manifest -----------------------------------------------------------------------------------


def detect_schema(manifest: Node, filename: str, warnings: list[str]) -> tuple[PackageFormat, str]:
    """(format, schemaversion as written) from <metadata><schemaversion>, else from the namespaces."""
    metadata = manifest.child("metadata")
    version_node = metadata.child("schemaversion") if metadata is not None else None
    version = _clean(version_node.text) if version_node is not None else ""
    key = version.lower()
    if key == "1.2":
        return "scorm12", version
    if key in ("cam 1.3", "1.3") or key.startswith("2004"):
        return "scorm2004", version
    namespaces = {node.namespace for node in manifest.iter()}
    namespaces.update(key.split("}", 1)[0] for node in manifest.iter() for key in node.attrs if key.startswith("{"))
    is_2004 = any(marker in ns for ns in namespaces for marker in SCORM2004_NAMESPACES)
    fmt: PackageFormat = "scorm2004" if is_2004 else "scorm12"
    label = "SCORM 2004" if is_2004 else "SCORM 1.2"
    if version:
        warnings.append(
            f"{filename}: schemaversion {version!r} is not a SCORM version; the package is read as {label}."
        )
    else:
        warnings.append(f"{filename} declares no schemaversion; the package is read as {label}.")
    return fmt, version


def _xml_base(node: Node | None) -> str:
    if node is None:
        return ""
    return (node.attrs.get(f"{{{XML_NS}}}base") or node.attrs.get("xml:base") or "").strip()


def _join_base(base: str, piece: str) -> str:
    """xml:base values name folders (vendors often leave off the final "/")."""
    if not piece:
        return base
    if url_scheme(piece) or piece.startswith("/"):
        return piece
    if base and not base.endswith("/"):
        base += "/"
    return base + piece


@dataclass
class _Context:
    filename: str  # the manifest's path in the zip, for messages
    root: str  # the folder the manifest is in ("" or "folder/")
    archive: SafeZip
    fmt: PackageFormat
    warnings: list[str]
    resources: dict[str, Node]
    bases: dict[str, str]  # resource identifier -> joined xml:base of manifest and resources
    collection: dict[str, Node]  # imsss:sequencingCollection by ID
    units: list[ParsedUnit] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)


def parse_scorm(archive: SafeZip, manifest_path: str, warnings: list[str]) -> ParsedPackage:
    """Read the manifest at `manifest_path`; paths in it are relative to its folder."""
    filename = manifest_path
    root = posixpath.dirname(manifest_path)
    root = f"{root}/" if root else ""
    manifest = parse_xml(archive.read_bytes(manifest_path), filename, warnings)
    if manifest.local != "manifest":
        raise PackageRefused(
            "invalid", f"{filename} line {manifest.line}: the root element is <{manifest.local}>, not <manifest>."
        )
    fmt, version = detect_schema(manifest, filename, warnings)
    identifier = _clean(manifest.attr("identifier") or "")
    if not identifier:
        warnings.append(
            f"{filename} line {manifest.line}: the manifest has no identifier; a second import of this package "
            "cannot be recognised as a duplicate."
        )
    organization = _choose_organization(manifest, filename, warnings)
    context = _Context(
        filename=filename,
        root=root,
        archive=archive,
        fmt=fmt,
        warnings=warnings,
        resources={},
        bases={},
        collection={},
    )
    _index_resources(manifest, context)
    _index_sequencing_collection(manifest, context)
    _walk_items(organization, context)
    org_title = _text_of(organization.child("title"))
    if not context.units:
        raise PackageRefused(
            "missing_launch",
            f"{filename} line {organization.line}: the organization {org_title or '(untitled)'!r} has no item "
            "that refers to a resource, so there is nothing to launch.",
        )
    if fmt == "scorm2004":
        _warn_sequencing(manifest, filename, warnings)
    title = org_title or identifier
    if not org_title:
        warnings.append(f"{filename} line {organization.line}: the organization has no title.")
    return ParsedPackage(
        format=fmt,
        title=title,
        identifier=identifier,
        units=context.units,
        description=_description(manifest),
        version=version,
        warnings=warnings,
    )


def _description(manifest: Node) -> str:
    """The LOM general description in the manifest's metadata, when there is one."""
    metadata = manifest.child("metadata")
    if metadata is None:
        return ""
    for node in metadata.iter():
        if node.local == "general":
            description = node.child("description")
            if description is not None:
                return _clean(description.text) or _clean(" ".join(n.text for n in description.iter()))
    return ""


def _choose_organization(manifest: Node, filename: str, warnings: list[str]) -> Node:
    organizations = manifest.child("organizations")
    orgs = organizations.children_named("organization") if organizations is not None else []
    if organizations is None or not orgs:
        line = organizations.line if organizations is not None else manifest.line
        raise PackageRefused(
            "missing_launch",
            f"{filename} line {line}: the manifest has no <organization>, so there is nothing to launch.",
        )

    def title_of(org: Node) -> str:
        node = org.child("title")
        return _clean(node.text) if node is not None else ""

    for org in orgs:
        if not (org.attr("identifier") or "").strip():
            warnings.append(
                f"{filename} line {org.line}: the organization {title_of(org) or '(untitled)'!r} has no identifier "
                "attribute, which SCORM requires."
            )
    default = (organizations.attr("default") or "").strip()
    if default:
        for org in orgs:
            if (org.attr("identifier") or "").strip() == default:
                return org
        warnings.append(
            f"{filename} line {organizations.line}: the default organization {default!r} is not in the manifest; "
            f"the first organization ({title_of(orgs[0]) or '(untitled)'!r}) is used."
        )
    elif len(orgs) > 1:
        warnings.append(
            f"{filename} line {organizations.line}: no default organization is named; the first of {len(orgs)} "
            f"({title_of(orgs[0]) or '(untitled)'!r}) is used."
        )
    return orgs[0]


def _index_resources(manifest: Node, context: _Context) -> None:
    manifest_base = _xml_base(manifest)
    for resources in manifest.children_named("resources"):
        base = _join_base(manifest_base, _xml_base(resources))
        for resource in resources.children_named("resource"):
            rid = (resource.attr("identifier") or "").strip()
            if rid and rid not in context.resources:
                context.resources[rid] = resource
                context.bases[rid] = base


def _index_sequencing_collection(manifest: Node, context: _Context) -> None:
    for node in manifest.children:
        if node.local == "sequencingCollection":
            for sequencing in node.children_named("sequencing"):
                sid = (sequencing.attr("ID") or "").strip()
                if sid:
                    context.collection[sid] = sequencing


def _walk_items(parent: Node, context: _Context) -> None:
    for item in parent.children_named("item"):
        if (item.attr("identifierref") or "").strip():
            context.units.append(_unit(item, context))
        _walk_items(item, context)


def _unit(item: Node, context: _Context) -> ParsedUnit:
    filename, warnings = context.filename, context.warnings
    where = f"{filename} line {item.line}"
    item_id = (item.attr("identifier") or "").strip()
    if not item_id:
        item_id = f"item-{len(context.units) + 1}"
        warnings.append(f"{where}: an item has no identifier; it is called {item_id!r}.")
    elif item_id in context.seen_ids:
        warnings.append(f"{where}: the item identifier {item_id!r} is used twice.")
    context.seen_ids.add(item_id)
    title_node = item.child("title")
    title = (_clean(title_node.text) if title_node is not None else "") or item_id
    ref = (item.attr("identifierref") or "").strip()
    resource = context.resources.get(ref)
    if resource is None:
        raise PackageRefused(
            "missing_launch", f"{where}: item {item_id!r} refers to resource {ref!r}, which is not in the manifest."
        )
    href = (resource.attr("href") or "").strip()
    if not href:
        raise PackageRefused(
            "missing_launch",
            f"{where}: item {item_id!r} uses resource {ref!r} (line {resource.line}), which has no href: "
            "there is no file to launch.",
        )
    launch, is_remote, query = _launch_of(item_id, href, resource, where, context)
    scorm_type = (resource.attr("scormtype") or "sco").strip().lower()
    is_sco = scorm_type != "asset"
    if is_remote and is_sco:
        warnings.append(
            f"{where}: item {item_id!r} is a SCO on another host ({launch}); browsers keep it from reaching the "
            "runtime API, so it may not record progress."
        )
    launch, parameters = launch_and_parameters(launch, is_remote, query, item.attr("parameters") or "")
    unit = ParsedUnit(
        id=item_id,
        title=title,
        launch=launch,
        is_remote=is_remote,
        parameters=parameters,
        is_sco=is_sco,
    )
    if context.fmt == "scorm12":
        _scorm12_extensions(item, unit, where, warnings)
    else:
        _scorm2004_extensions(item, unit, where, context)
    return unit


def _launch_of(item_id: str, href: str, resource: Node, where: str, context: _Context) -> tuple[str, bool, str]:
    """(launch path or URL, is remote, query/fragment of the href to pass as parameters)."""
    rid = (resource.attr("identifier") or "").strip()
    full = _join_base(_join_base(context.bases.get(rid, ""), _xml_base(resource)), href)
    if is_web_url(full):
        return full, True, ""
    subject = f"item {item_id!r} (resource {rid!r}, line {resource.line}) launches"
    if url_scheme(full) or full.startswith("/"):
        raise PackageRefused(
            "unsafe_path",
            f"{where}: {subject} {full!r}, which is neither a path inside the package nor an http(s) address.",
        )
    path, _, rest = full.partition("#")
    path, _, query = path.partition("?")
    suffix = (f"?{query}" if query else "") + (f"#{rest}" if rest else "")
    decoded = unquote(path)
    try:
        member = resolve_in_package(
            context.archive, context.root, decoded, where=where, subject=subject, warnings=context.warnings
        )
    except PackageRefused as exc:
        if exc.code != "missing_file" or decoded == path:
            raise
        # A file whose name holds a literal "%".
        member = resolve_in_package(
            context.archive, context.root, path, where=where, subject=subject, warnings=context.warnings
        )
    return member, False, suffix


def _text_of(node: Node | None) -> str:
    return _clean(node.text) if node is not None else ""


def _scorm12_extensions(item: Node, unit: ParsedUnit, where: str, warnings: list[str]) -> None:
    mastery = _text_of(item.child_ignoring_case("masteryscore"))
    unit.mastery_score = parse_score(mastery, where=where, what="adlcp:masteryscore", warnings=warnings)
    unit.max_time_allowed = _text_of(item.child_ignoring_case("maxtimeallowed"))
    unit.time_limit_action = _text_of(item.child_ignoring_case("timelimitaction"))
    data = item.child_ignoring_case("datafromlms")
    unit.core_vendor = data.text.strip() if data is not None else ""


def _measure(value: str, *, where: str, what: str, warnings: list[str], low: Decimal) -> Decimal | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        warnings.append(f"{where}: {what} {text!r} is not a number; it is ignored.")
        return None
    if not number.is_finite() or number < low or number > 1:
        warnings.append(f"{where}: {what} {text!r} is outside {low}..1; it is ignored.")
        return None
    return number


def _scorm2004_extensions(item: Node, unit: ParsedUnit, where: str, context: _Context) -> None:
    warnings = context.warnings
    unit.time_limit_action = _text_of(item.child_ignoring_case("timeLimitAction"))
    data = item.child_ignoring_case("dataFromLMS")
    unit.core_vendor = data.text.strip() if data is not None else ""
    threshold = item.child_ignoring_case("completionThreshold")
    if threshold is not None:
        if threshold.attr("minProgressMeasure") is not None or threshold.attr("completedByMeasure") is not None:
            # 4th edition: attributes; the threshold applies only when completion is by measure.
            if (threshold.attr("completedByMeasure") or "").strip().lower() == "true":
                unit.completion_threshold = _measure(
                    threshold.attr("minProgressMeasure") or "1.0",
                    where=where,
                    what="adlcp:completionThreshold minProgressMeasure",
                    warnings=warnings,
                    low=Decimal(0),
                )
        else:  # 3rd edition: the element's text
            unit.completion_threshold = _measure(
                threshold.text, where=where, what="adlcp:completionThreshold", warnings=warnings, low=Decimal(0)
            )
    sequencing = item.child("sequencing")
    referenced = context.collection.get((sequencing.attr("IDRef") or "").strip()) if sequencing is not None else None
    for source in (sequencing, referenced):
        if source is None:
            continue
        objectives = source.child("objectives")
        primary = objectives.child("primaryObjective") if objectives is not None else None
        if primary is not None and unit.mastery_score is None:
            if (primary.attr("satisfiedByMeasure") or "").strip().lower() == "true":
                measure_node = primary.child("minNormalizedMeasure")
                measure = _measure(
                    measure_node.text if measure_node is not None else "1.0",
                    where=where,
                    what="imsss:minNormalizedMeasure",
                    warnings=warnings,
                    low=Decimal(-1),
                )
                if measure is not None and measure >= 0:
                    # As a percentage, like the AICC and SCORM 1.2 mastery scores.
                    unit.mastery_score = (measure * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        limits = source.child("limitConditions")
        if limits is not None and not unit.max_time_allowed:
            unit.max_time_allowed = (limits.attr("attemptAbsoluteDurationLimit") or "").strip()


def _warn_sequencing(manifest: Node, filename: str, warnings: list[str]) -> None:
    for node in manifest.iter():
        if node.local in SEQUENCING_RULES:
            warnings.append(
                f"{filename} line {node.line}: the manifest defines SCORM 2004 sequencing rules; they are not "
                "applied: units are offered in manifest order and any unit can be opened."
            )
            return
