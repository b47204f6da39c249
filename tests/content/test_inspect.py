from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from coursebridge.content.inspect import inspect_package
from coursebridge.content.packages import PackageRefused, ParsedPackage

PACKAGES = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "packages"

MANIFEST = """<?xml version="1.0"?>
<manifest identifier="m1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Course</title>
    <item identifier="i1" identifierref="r1"><title>Lesson</title></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="index.html"/></resources>
</manifest>"""
AICC = {
    "c.crs": "[Course]\nCourse_ID=C1\nCourse_Title=AICC course\n",
    "c.au": '"System_ID","File_Name"\n"A1","index.html"\n',
    "c.des": '"System_ID","Title"\n"A1","Unit"\n',
    "c.cst": '"Block","Member"\n"ROOT","A1"\n',
    "index.html": "<html>",
}


def zip_of(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def inspect_files(files: dict[str, bytes | str]) -> ParsedPackage:
    return inspect_package(io.BytesIO(zip_of(files)))


def refused(files: dict[str, bytes | str]) -> PackageRefused:
    with pytest.raises(PackageRefused) as caught:
        inspect_files(files)
    return caught.value


def test_a_manifest_at_the_root_is_scorm():
    package = inspect_files({"imsmanifest.xml": MANIFEST, "index.html": "x"})

    assert package.as_dict() == {
        "format": "scorm12",
        "title": "Course",
        "identifier": "m1",
        "units": [{"id": "i1", "title": "Lesson", "launch": "index.html"}],
        "warnings": [],
    }


def test_a_crs_file_at_the_root_is_aicc():
    package = inspect_files(AICC)

    assert package.as_dict() == {
        "format": "aicc",
        "title": "AICC course",
        "identifier": "C1",
        "units": [{"id": "A1", "title": "Unit", "launch": "index.html"}],
        "warnings": [],
    }


def test_cmi5_is_recognised_and_refused_as_not_supported_yet():
    exc = refused({"cmi5.xml": "<courseStructure/>", "index.html": "x"})

    assert exc.as_dict() == {
        "error": {
            "code": "not_supported",
            "message": "cmi5 packages are not supported yet (the package holds cmi5.xml).",
        }
    }


def test_xapi_is_recognised_and_refused_as_not_supported_yet():
    exc = refused({"tincan.xml": "<tincan/>", "index.html": "x"})

    assert (exc.code, exc.message) == (
        "not_supported",
        "xAPI (Tin Can) packages are not supported yet (the package holds tincan.xml).",
    )


def test_a_package_with_both_scorm_and_xapi_descriptors_is_read_as_scorm():
    package = inspect_files({"imsmanifest.xml": MANIFEST, "tincan.xml": "<tincan/>", "index.html": "x"})

    assert package.format == "scorm12"


def test_a_zip_of_something_else_is_an_unknown_format():
    exc = refused({"readme.txt": "hello", "images/a.png": b"\x89PNG"})

    assert (exc.code, exc.message) == (
        "unknown_format",
        "The package is not a SCORM or AICC course: no imsmanifest.xml (SCORM) or .crs file (AICC) is at the root "
        "of the zip.",
    )


def test_an_empty_zip_is_an_unknown_format_saying_so():
    exc = refused({})

    assert exc.code == "unknown_format"
    assert exc.message.endswith(" The zip is empty.")


def test_a_manifest_buried_deeper_is_pointed_out():
    exc = refused({"readme.txt": "x", "export/course/imsmanifest.xml": MANIFEST})

    assert exc.code == "unknown_format"
    assert exc.message.endswith(
        " The zip holds 'export/course/imsmanifest.xml': zip the contents of its folder rather than the folder."
    )


def test_a_course_folder_zipped_whole_is_read_from_its_folder_ignoring_macos_junk():
    package = inspect_files(
        {
            "Course/imsmanifest.xml": MANIFEST,
            "Course/index.html": "x",
            "__MACOSX/Course/._index.html": "junk",
            ".DS_Store": "junk",
        }
    )

    assert [u.launch for u in package.units] == ["Course/index.html"]
    assert package.warnings == [
        "The package's files are in the folder 'Course' rather than at the root of the zip; they are read from "
        "that folder."
    ]


def test_two_aicc_courses_in_one_package_are_refused():
    exc = refused({**AICC, "d.crs": "[Course]\n"})

    assert (exc.code, exc.message) == (
        "invalid",
        "The package holds 2 AICC course files (c.crs, d.crs); a package holds one course.",
    )


def test_a_refusal_also_names_what_was_noticed_before_it():
    files = {name: content for name, content in AICC.items() if name != "index.html"}
    files["c.crs"] = "[Course]\ngarbage\nCourse_ID=C1\n"

    exc = refused(files)

    assert (exc.code, exc.message) == (
        "missing_file",
        "c.au line 2: AU 'A1' launches 'index.html', which is not in the package. "
        "Also noted: c.crs line 2: 'garbage' is not a key=value line; it is ignored.",
    )


def test_inspect_takes_a_path_a_string_or_a_file(tmp_path):
    path = tmp_path / "course.zip"
    path.write_bytes(zip_of(AICC))

    with path.open("rb") as handle:
        results = [inspect_package(path), inspect_package(str(path)), inspect_package(handle)]

    assert [r.as_dict() for r in results] == [results[0].as_dict()] * 3


def test_bytes_that_are_not_a_zip_are_refused():
    with pytest.raises(PackageRefused) as caught:
        inspect_package(io.BytesIO(b"%PDF-1.4 not a zip"))

    assert caught.value.code == "not_a_zip"


# --- The real packages of the test data folder, each with the outcome its README row states ---------


@pytest.fixture
def testdata() -> Path:
    if not PACKAGES.is_dir():
        pytest.skip(f"the shared test data folder is not on this machine ({PACKAGES})")
    return PACKAGES


def test_golf_scorm12_runtime_basic_imports(testdata):
    package = inspect_package(testdata / "golf-scorm12-runtime-basic.zip")

    assert package.as_dict() == {
        "format": "scorm12",
        "title": "Golf Explained - Run-time Basic Calls",
        "identifier": "com.scorm.golfsamples.runtime.basicruntime.12",
        "units": [{"id": "item_1", "title": "Golf Explained", "launch": "shared/launchpage.html"}],
        "warnings": [],
    }
    assert package.units[0].is_sco is True


def test_golf_scorm12_one_file_per_sco_lists_every_sco_in_order(testdata):
    package = inspect_package(testdata / "golf-scorm12-one-file-per-sco.zip")

    assert (package.format, package.title, package.warnings) == (
        "scorm12",
        "Golf Explained - CP One File Per SCO",
        [],
    )
    assert [(u.id, u.launch, u.parameters) for u in package.units] == [
        ("playing_playing_item", "Playing/Playing.html", ""),
        ("playing_par_item", "Playing/Par.html", ""),
        ("playing_scoring_item", "Playing/Scoring.html", ""),
        ("playing_otherscoring_item", "Playing/OtherScoring.html", ""),
        ("playing_rules_item", "Playing/RulesOfGolf.html", ""),
        ("playing_quiz_item", "shared/assessmenttemplate.html", "?questions=Playing"),
        ("etiquette_course_item", "Etiquette/Course.html", ""),
        ("etiquette_distracting_item", "Etiquette/Distracting.html", ""),
        ("etiquette_play_item", "Etiquette/Play.html", ""),
        ("etiquette_quiz_item", "shared/assessmenttemplate.html", "?questions=Etiquette"),
        ("handicapping_overview_item", "Handicapping/Overview.html", ""),
        ("handicapping_calchandi_item", "Handicapping/CalculatingHandicap.html", ""),
        ("handicapping_calcscore_item", "Handicapping/CalculatingScore.html", ""),
        ("handicapping_example_item", "Handicapping/Example.html", ""),
        ("handicapping_quiz_item", "shared/assessmenttemplate.html", "?questions=Handicapping"),
        ("havingfun_howto_item", "HavingFun/HowToHaveFun.html", ""),
        ("havingfun_makefriends_item", "HavingFun/MakeFriends.html", ""),
        ("havingfun_quiz_item", "shared/assessmenttemplate.html", "?questions=HavingFun"),
    ]
    assert {u.is_sco for u in package.units} == {False}  # the golf sample marks its pages as assets


def test_golf_scorm2004_3rd_runtime_basic_imports(testdata):
    package = inspect_package(testdata / "golf-scorm2004-3rd-runtime-basic.zip")

    assert package.as_dict() == {
        "format": "scorm2004",
        "title": "Golf Explained - Run-time Basic Calls",
        "identifier": "com.scorm.golfsamples.runtime.basicruntime.20043rd",
        "units": [{"id": "item_1", "title": "Golf Explained", "launch": "shared/launchpage.html"}],
        "warnings": [],
    }
    assert package.version == "2004 3rd Edition"


def test_golf_scorm2004_2nd_single_sco_imports(testdata):
    package = inspect_package(testdata / "golf-scorm2004-2nd-single-sco.zip")

    assert (package.format, package.version, package.identifier) == (
        "scorm2004",
        "CAM 1.3",
        "com.scorm.golfsamples.contentpackaging.singlesco.20042nd",
    )
    assert [u.as_dict() for u in package.units] == [
        {"id": "item_1", "title": "Golf Explained", "launch": "shared/launchpage.html"}
    ]


def test_bad_scorm12_malformed_xml_is_rejected_with_a_clear_reason(testdata):
    with pytest.raises(PackageRefused) as caught:
        inspect_package(testdata / "bad-scorm12-malformed-xml.zip")

    assert caught.value.as_dict() == {
        "error": {
            "code": "malformed_xml",
            "message": "imsmanifest.xml is not well-formed XML: mismatched tag at line 27, column 7.",
        }
    }


def test_bad_scorm12_missing_launch_url_is_rejected_with_a_clear_reason(testdata):
    with pytest.raises(PackageRefused) as caught:
        inspect_package(testdata / "bad-scorm12-missing-launch-url.zip")

    assert caught.value.as_dict() == {
        "error": {
            "code": "missing_launch",
            "message": "imsmanifest.xml line 24: item 'item_1' uses resource 'resource_1' (line 30), which has no "
            "href: there is no file to launch.",
        }
    }


def test_bad_scorm2004_missing_org_identifier_is_rejected_naming_the_problem(testdata):
    # Its resource's launch file is not in the zip either, so it cannot be imported; the reason names both.
    with pytest.raises(PackageRefused) as caught:
        inspect_package(testdata / "bad-scorm2004-missing-org-identifier.zip")

    assert caught.value.code == "missing_file"
    assert caught.value.message == (
        "imsmanifest.xml line 14: item 'item1' (resource 'res1', line 20) launches 'index.html', which is not in "
        "the package. Also noted: imsmanifest.xml line 12: the organization 'Minimal Course' has no identifier "
        "attribute, which SCORM requires. imsmanifest.xml line 10: the default organization 'org1' is not in the "
        "manifest; the first organization ('Minimal Course') is used."
    )


def test_aicc_hacp_test_au_imports(testdata):
    package = inspect_package(testdata / "aicc-hacp-test-au.zip")

    assert package.as_dict() == {
        "format": "aicc",
        "title": "UniversitySite AICC Testing Tool",
        "identifier": "1",
        "units": [{"id": "A1", "title": "Title", "launch": "default.htm"}],
        "warnings": [],
    }
    unit = package.units[0]
    assert (unit.is_remote, unit.max_score, unit.mastery_score) == (False, Decimal("100.00"), None)
    assert (unit.max_time_allowed, unit.time_limit_action, package.version) == ("00:00:00", "C,N", "3.0")
    assert package.description == "Descriptive Text"


def test_aicc_remote_au_imports_as_a_remote_unit(testdata):
    package = inspect_package(testdata / "aicc-remote-au.zip")

    url = "https://opslearning.lifespeak.com/Share.aspx?key=08e2a354-18b7-493e-9101-20ce4bf2b23b--language-1--vid-7174--aoda-true"
    assert package.as_dict() == {
        "format": "aicc",
        "title": "Achieving Work-Life Balance",
        "identifier": "7174",
        "units": [{"id": "A001", "title": "Achieving Work-Life Balance", "launch": url}],
        "warnings": [],
    }
    assert (package.units[0].is_remote, package.units[0].max_time_allowed) == (True, "02:12:57")
    assert package.description.startswith("Web APIs drive the most popular and powerful web and mobile apps\u2014")


def test_cmi5_single_au_is_refused_as_not_supported_yet(testdata):
    with pytest.raises(PackageRefused) as caught:
        inspect_package(testdata / "cmi5-single-au.zip")

    assert caught.value.as_dict() == {
        "error": {
            "code": "not_supported",
            "message": "cmi5 packages are not supported yet (the package holds cmi5.xml).",
        }
    }


def test_every_test_data_package_has_a_json_outcome(testdata):
    outcomes = {}
    for path in sorted(testdata.glob("*.zip")):
        try:
            outcomes[path.name] = inspect_package(path).as_dict()["format"]
        except PackageRefused as exc:
            outcomes[path.name] = exc.code
        json.dumps(outcomes[path.name])

    assert outcomes == {
        "aicc-hacp-test-au.zip": "aicc",
        "aicc-remote-au.zip": "aicc",
        "bad-scorm12-malformed-xml.zip": "malformed_xml",
        "bad-scorm12-missing-launch-url.zip": "missing_launch",
        "bad-scorm2004-missing-org-identifier.zip": "missing_file",
        "cmi5-single-au.zip": "not_supported",
        "golf-scorm12-one-file-per-sco.zip": "scorm12",
        "golf-scorm12-runtime-basic.zip": "scorm12",
        "golf-scorm2004-2nd-single-sco.zip": "scorm2004",
        "golf-scorm2004-3rd-runtime-basic.zip": "scorm2004",
    }
