"""Mangled packages: whatever comes in, the parsers answer with a ParsedPackage or a PackageRefused
(one of the documented codes, with a message), never another exception."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from django.core.files.storage import InMemoryStorage
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coursebridge.content.inspect import inspect_package
from coursebridge.content.packages import PackageRefused, ParsedPackage
from coursebridge.content.safezip import extract_to_storage, open_safe_zip

PACKAGES = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "packages"
CODES = {
    "not_a_zip",
    "encrypted",
    "zip_bomb",
    "unsafe_path",
    "malformed_xml",
    "missing_launch",
    "missing_file",
    "unknown_format",
    "not_supported",
    "invalid",
}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MANIFEST = """<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>T</title>
    <item identifier="a" identifierref="r1" parameters="?x=1"><title>A</title>
      <imsss:sequencing><imsss:objectives><imsss:primaryObjective satisfiedByMeasure="true">
        <imsss:minNormalizedMeasure>0.8</imsss:minNormalizedMeasure>
      </imsss:primaryObjective></imsss:objectives></imsss:sequencing>
    </item>
    <item identifier="b"><title>B</title><item identifier="c" identifierref="r2"><title>C</title></item></item>
  </organization></organizations>
  <resources xml:base="content/">
    <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="a.html"/>
    <resource identifier="r2" type="webcontent" adlcp:scormType="asset" href="b%20c.html"/>
  </resources>
</manifest>"""
AICC = {
    "course.crs": "[Course]\r\nCourse_ID=X1\r\nCourse_Title=T\r\nTotal_AUs=2\r\n[Course_Description]\r\nText",
    "course.au": '"System_ID","File_Name","Mastery_Score","Web_Launch"\r\n"A1","a.html",80,"x=1"\r\n'
    '"A2","https://example.com/au?k=1","",""',
    "course.des": '"system_id","title"\r\n"A1","One"\r\n"A2","Two, remote"',
    "course.cst": '"block","member"\r\n"ROOT","A1","A2"',
    "a.html": "<html>",
}


def zip_of(files: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def seed_zips() -> list[bytes]:
    """Small packages built here, stored and deflated, plus the real ones when they are on this machine."""
    scorm = {"imsmanifest.xml": MANIFEST, "content/a.html": "<html>", "content/b c.html": "<html>"}
    seeds = [zip_of(files, method) for files in (scorm, AICC) for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)]
    if PACKAGES.is_dir():
        seeds += [path.read_bytes() for path in sorted(PACKAGES.glob("*.zip"))]
    return seeds


SEEDS = seed_zips()


def stored_files(storage: InMemoryStorage, folder: str = "") -> list[str]:
    if folder and not storage.exists(folder):
        return []
    folders, files = storage.listdir(folder)
    found = [f"{folder}/{name}" for name in files]
    for name in folders:
        found += stored_files(storage, f"{folder}/{name}" if folder else name)
    return found


def check(data: bytes) -> ParsedPackage | PackageRefused:
    """Inspect the bytes; the outcome must be a sound package or a documented refusal."""
    try:
        package = inspect_package(io.BytesIO(data))
    except PackageRefused as exc:
        assert exc.code in CODES
        assert exc.message.strip()
        json.dumps(exc.as_dict())
        return exc
    assert isinstance(package, ParsedPackage)
    assert package.format in ("aicc", "scorm12", "scorm2004")
    assert package.units
    json.dumps(package.as_dict())
    with open_safe_zip(io.BytesIO(data)) as archive:
        for unit in package.units:
            assert unit.is_remote or archive.has(unit.launch), unit.launch
    return package


def test_the_seed_packages_parse():
    assert all(isinstance(check(seed), ParsedPackage) for seed in SEEDS[:4])


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(data):
    check(data)


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_after_a_zip_signature(data):
    check(b"PK\x03\x04" + data)


@FUZZ
@given(st.data())
def test_truncated_zips(data):
    seed = data.draw(st.sampled_from(SEEDS))
    cut = data.draw(st.integers(0, len(seed)))
    check(seed[:cut])


@FUZZ
@given(st.data())
def test_bit_flipped_zips_inspect_and_extract(data):
    seed = bytearray(data.draw(st.sampled_from(SEEDS)))
    size = len(seed)
    # Flips anywhere, and flips in the central directory at the end, where they change the most.
    positions = st.one_of(st.integers(0, size - 1), st.integers(max(0, size - 400), size - 1))
    for position, bit in data.draw(st.lists(st.tuples(positions, st.integers(0, 7)), min_size=1, max_size=8)):
        seed[position] ^= 1 << bit
    outcome = check(bytes(seed))
    if isinstance(outcome, ParsedPackage):
        storage = InMemoryStorage()
        try:
            files, written = extract_to_storage(io.BytesIO(bytes(seed)), storage=storage, prefix="p")
        except PackageRefused as exc:
            assert exc.code in CODES
            assert stored_files(storage) == []
        else:
            assert files >= 1 and written >= 0


# --- Random manifests ----------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "r1", "r2", "o", "", "x y", "é"])
HREFS = st.one_of(
    st.sampled_from(
        [
            "a.html",
            "content/a.html",
            "b%20c.html",
            "../a.html",
            "/a.html",
            "http://h/x",
            "javascript:x",
            "",
            "a.html?q#f",
        ]
    ),
    st.text(max_size=20),
)
TEXTS = st.one_of(
    st.sampled_from(["1.2", "CAM 1.3", "2004 4th Edition", "0.8", "80", "-1", "NaN", "1e999"]), st.text(max_size=15)
)


def attr(name: str, value: str | None) -> str:
    return "" if value is None else f" {name}={quoteattr(value)}"


@st.composite
def items(draw, depth: int = 0) -> str:
    children = draw(st.lists(items(depth + 1), max_size=2)) if depth < 3 else []
    extras = draw(
        st.lists(
            st.sampled_from(
                [
                    f"<adlcp:masteryscore>{escape(draw(TEXTS))}</adlcp:masteryscore>",
                    f"<adlcp:completionThreshold>{escape(draw(TEXTS))}</adlcp:completionThreshold>",
                    '<adlcp:completionThreshold completedByMeasure="true"'
                    f" minProgressMeasure={quoteattr(draw(TEXTS))}/>",
                    "<imsss:sequencing><imsss:objectives><imsss:primaryObjective satisfiedByMeasure='true'>"
                    f"<imsss:minNormalizedMeasure>{escape(draw(TEXTS))}</imsss:minNormalizedMeasure>"
                    "</imsss:primaryObjective></imsss:objectives></imsss:sequencing>",
                    f"<imsss:sequencing IDRef={quoteattr(draw(NAMES))}/>",
                    "<imsss:sequencing><imsss:sequencingRules/></imsss:sequencing>",
                ]
            ),
            max_size=2,
        )
    )
    title = draw(st.one_of(st.none(), st.text(max_size=10)))
    return (
        f"<item{attr('identifier', draw(st.one_of(st.none(), NAMES)))}"
        f"{attr('identifierref', draw(st.one_of(st.none(), NAMES)))}"
        f"{attr('parameters', draw(st.one_of(st.none(), st.text(max_size=10))))}>"
        + ("" if title is None else f"<title>{escape(title)}</title>")
        + "".join(extras)
        + "".join(children)
        + "</item>"
    )


@st.composite
def manifests(draw) -> str:
    namespaces = draw(
        st.sampled_from(
            [
                'xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" '
                'xmlns:imsss="http://www.imsglobal.org/xsd/imsss"',
                'xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" '
                'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2" xmlns:imsss="urn:x"',
                "",  # prefixes without declarations
            ]
        )
    )
    version = draw(st.one_of(st.none(), TEXTS))
    metadata = "" if version is None else f"<metadata><schemaversion>{escape(version)}</schemaversion></metadata>"
    organizations = "".join(
        f"<organization{attr('identifier', draw(st.one_of(st.none(), NAMES)))}><title>T</title>"
        + "".join(draw(st.lists(items(), max_size=3)))
        + "</organization>"
        for _ in range(draw(st.integers(0, 2)))
    )
    resources = "".join(
        f"<resource{attr('identifier', draw(NAMES))}{attr('href', draw(st.one_of(st.none(), HREFS)))}"
        f"{attr('adlcp:scormtype', draw(st.sampled_from([None, 'sco', 'asset', 'SCO'])))}"
        f"{attr('xml:base', draw(st.one_of(st.none(), st.sampled_from(['content', 'content/', '../', 'http://h/']))))}/>"
        for _ in range(draw(st.integers(0, 3)))
    )
    text = (
        f"<manifest{attr('identifier', draw(st.one_of(st.none(), NAMES)))}"
        f"{attr('xml:base', draw(st.one_of(st.none(), st.sampled_from(['', 'content/', 'x']))))} {namespaces}>"
        f"{metadata}<organizations{attr('default', draw(st.one_of(st.none(), NAMES)))}>{organizations}"
        f"</organizations><resources>{resources}</resources>"
        f"<imsss:sequencingCollection><imsss:sequencing ID='a'/></imsss:sequencingCollection></manifest>"
    )
    if draw(st.booleans()):  # and sometimes damage it
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=5)) + text[at + draw(st.integers(0, 5)) :]
    return text


@FUZZ
@given(manifests())
def test_random_manifests(manifest):
    check(zip_of({"imsmanifest.xml": manifest, "a.html": "x", "content/a.html": "x", "b c.html": "x"}))


# --- Random AICC files -------------------------------------------------------------------------

AU_COLUMNS = [
    "System_ID",
    "Type",
    "Command_Line",
    "File_Name",
    "Max_Score",
    "Mastery_Score",
    "Max_Time_Allowed",
    "Time_Limit_Action",
    "System_Vendor",
    "Core_Vendor",
    "Web_Launch",
    "AU_Password",
]
CELLS = st.one_of(
    st.sampled_from(
        ["A1", "a1", "A2", "a.html", "https://h/x?y=1", "../a.html", "C:\\a.htm", "80", "66.67", "x,y", ""]
    ),
    st.text(max_size=12),
)


@st.composite
def csv_tables(draw, columns: list[str]) -> str:
    header = draw(st.permutations(columns).map(lambda cols: cols[: draw(st.integers(1, len(cols)))]))
    header = [draw(st.sampled_from([c, c.lower(), c.upper()])) for c in header]
    out = io.StringIO()
    writer = csv.writer(out, quoting=draw(st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL])))
    writer.writerow(header)
    for _ in range(draw(st.integers(0, 4))):
        writer.writerow(draw(st.lists(CELLS, max_size=len(header) + 1)))
    text = out.getvalue()
    if draw(st.booleans()):
        text = text.replace("\r\n", draw(st.sampled_from(["\n", "\r", "\r\n"]))).rstrip("\r\n")
    return draw(st.sampled_from(["", "\ufeff"])) + text


CRS_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.sampled_from(
            [
                "[Course]",
                "[COURSE_BEHAVIOR]",
                "[Course_Description]",
                "Course_ID=C1",
                'Course_Title="A, B"',
                "Total_AUs=x",
                "Total_AUs=2",
                "Version=4.0",
                "no pair",
                "=",
                "[",
            ]
        ),
        max_size=10,
    ).map("\r\n".join),
)


@FUZZ
@given(
    crs=CRS_TEXT,
    au=st.one_of(csv_tables(AU_COLUMNS), st.text(max_size=200)),
    des=st.one_of(csv_tables(["System_ID", "Developer_ID", "Title", "Description"]), st.text(max_size=100)),
    cst=st.one_of(csv_tables(["Block", "Member", "Member"]), st.text(max_size=100)),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_random_aicc_files(crs, au, des, cst, encoding):
    def encode(text: str) -> bytes:
        return text.encode(encoding, errors="replace")

    files = {"c.crs": encode(crs), "c.au": encode(au), "c.des": encode(des), "c.cst": encode(cst), "a.html": b"x"}
    check(zip_of(files))


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")  # duplicates are part of the test
@FUZZ
@given(
    st.lists(
        st.one_of(
            st.text(min_size=1, max_size=20),
            st.sampled_from(["imsmanifest.xml", "x/imsmanifest.xml", "c.crs", "cmi5.xml", "tincan.xml", "a/", "../a"]),
        ),
        max_size=6,
    )
)
@example(["\x00"])  # an entry whose name is empty once read back
def test_random_member_names(names):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in names:
            zf.writestr(zipfile.ZipInfo(name), b"<manifest/>")
    check(buffer.getvalue())
