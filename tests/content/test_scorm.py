from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from coursebridge.content.inspect import inspect_package
from coursebridge.content.packages import PackageRefused, ParsedPackage, ParsedUnit
from coursebridge.content.scorm import MAX_DEPTH, apply_parameters, launch_and_parameters

NS12 = 'xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"'
NS2004 = (
    'xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" '
    'xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss"'
)

SCORM12 = f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.safety.12" version="1" {NS12}>
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
  </metadata>
  <organizations default="org_main">
    <organization identifier="org_other">
      <title>Other organization</title>
      <item identifier="other_item" identifierref="res_intro"><title>Other</title></item>
    </organization>
    <organization identifier="org_main">
      <title>  Workplace
        Safety  </title>
      <item identifier="module_1">
        <title>Module 1</title>
        <item identifier="intro" identifierref="res_intro">
          <title>Introduction</title>
          <adlcp:datafromlms>level=1</adlcp:datafromlms>
        </item>
        <item identifier="quiz" identifierref="res_quiz" parameters="?questions=Module1">
          <title>Quiz</title>
          <adlcp:masteryscore>80</adlcp:masteryscore>
          <adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed>
          <adlcp:timelimitaction>exit,message</adlcp:timelimitaction>
        </item>
      </item>
      <item identifier="glossary" identifierref="res_glossary" isvisible="false">
        <title>Glossary</title>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res_intro" type="webcontent" adlcp:scormtype="sco" href="intro/index.html">
      <file href="intro/index.html"/>
    </resource>
    <resource identifier="res_quiz" type="webcontent" adlcp:scormtype="sco" href="shared/quiz.html?lang=en">
      <file href="shared/quiz.html"/>
    </resource>
    <resource identifier="res_glossary" type="webcontent" adlcp:scormtype="asset" href="glossary.html"/>
  </resources>
</manifest>
"""
FILES12 = {"intro/index.html": "<html>", "shared/quiz.html": "<html>", "glossary.html": "<html>"}


def manifest_2004(version: str = "2004 4th Edition", item_extra: str = "", org_extra: str = "", top: str = "") -> str:
    return f"""<?xml version="1.0"?>
<manifest identifier="com.example.safety.2004" {NS2004}>
  <metadata><schema>ADL SCORM</schema><schemaversion>{version}</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Safety 2004</title>
      <item identifier="sco1" identifierref="r1">
        <title>Lesson</title>
        {item_extra}
      </item>
      {org_extra}
    </organization>
  </organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="lesson.html"/>
  </resources>
  {top}
</manifest>
"""


def zip_of(files: dict[str, bytes | str]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    buffer.seek(0)
    return buffer


def parse(manifest: str | bytes, files: dict[str, bytes | str] | None = None) -> ParsedPackage:
    return inspect_package(zip_of({"imsmanifest.xml": manifest, **(files or {})}))


def refused(manifest: str | bytes, files: dict[str, bytes | str] | None = None) -> PackageRefused:
    with pytest.raises(PackageRefused) as caught:
        parse(manifest, files)
    return caught.value


def test_scorm12_default_organization_with_nested_items_in_document_order():
    package = parse(SCORM12, FILES12)

    assert (package.format, package.version) == ("scorm12", "1.2")
    assert (package.title, package.identifier) == ("Workplace Safety", "com.example.safety.12")
    assert package.warnings == []
    assert package.units == [
        ParsedUnit(id="intro", title="Introduction", launch="intro/index.html", core_vendor="level=1"),
        ParsedUnit(
            id="quiz",
            title="Quiz",
            launch="shared/quiz.html",
            parameters="?lang=en&questions=Module1",
            mastery_score=Decimal("80.00"),
            max_time_allowed="00:30:00",
            time_limit_action="exit,message",
        ),
        ParsedUnit(id="glossary", title="Glossary", launch="glossary.html", is_sco=False),
    ]


def test_scorm2004_mastery_from_the_primary_objective_and_completion_threshold_4th_edition():
    sequencing = """
        <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.75"/>
        <adlcp:timeLimitAction>continue,no message</adlcp:timeLimitAction>
        <adlcp:dataFromLMS>chapter=2</adlcp:dataFromLMS>
        <imsss:sequencing>
          <imsss:limitConditions attemptAbsoluteDurationLimit="PT1H30M"/>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="pass" satisfiedByMeasure="true">
              <imsss:minNormalizedMeasure>0.855</imsss:minNormalizedMeasure>
            </imsss:primaryObjective>
          </imsss:objectives>
        </imsss:sequencing>"""

    package = parse(manifest_2004(item_extra=sequencing), {"lesson.html": "<html>"})

    assert (package.format, package.version) == ("scorm2004", "2004 4th Edition")
    assert package.warnings == []
    assert package.units == [
        ParsedUnit(
            id="sco1",
            title="Lesson",
            launch="lesson.html",
            mastery_score=Decimal("85.50"),
            completion_threshold=Decimal("0.75"),
            max_time_allowed="PT1H30M",
            time_limit_action="continue,no message",
            core_vendor="chapter=2",
        )
    ]


def test_scorm2004_3rd_edition_threshold_and_a_referenced_sequencing_definition():
    item = """<adlcp:completionThreshold>0.6</adlcp:completionThreshold>
        <imsss:sequencing IDRef="shared_seq"/>"""
    top = """<imsss:sequencingCollection>
      <imsss:sequencing ID="shared_seq">
        <imsss:objectives>
          <imsss:primaryObjective satisfiedByMeasure="true"/>
        </imsss:objectives>
      </imsss:sequencing>
    </imsss:sequencingCollection>"""

    unit = parse(manifest_2004("2004 3rd Edition", item_extra=item, top=top), {"lesson.html": "x"}).units[0]

    # minNormalizedMeasure defaults to 1.0 when the objective is satisfied by measure.
    assert (unit.completion_threshold, unit.mastery_score) == (Decimal("0.6"), Decimal("100.00"))


def test_a_primary_objective_not_satisfied_by_measure_sets_no_mastery():
    item = """<adlcp:completionThreshold completedByMeasure="false" minProgressMeasure="0.5"/>
      <imsss:sequencing><imsss:objectives><imsss:primaryObjective>
        <imsss:minNormalizedMeasure>0.7</imsss:minNormalizedMeasure>
      </imsss:primaryObjective></imsss:objectives></imsss:sequencing>"""

    unit = parse(manifest_2004(item_extra=item), {"lesson.html": "x"}).units[0]

    assert (unit.mastery_score, unit.completion_threshold) == (None, None)


def test_sequencing_rules_are_reported_as_not_applied():
    item = """<imsss:sequencing><imsss:sequencingRules>
        <imsss:preConditionRule><imsss:ruleAction action="skip"/></imsss:preConditionRule>
      </imsss:sequencingRules></imsss:sequencing>"""

    package = parse(manifest_2004(item_extra=item), {"lesson.html": "x"})

    assert package.warnings == [
        "imsmanifest.xml line 9: the manifest defines SCORM 2004 sequencing rules; they are not applied: units are "
        "offered in manifest order and any unit can be opened."
    ]


@pytest.mark.parametrize(
    ("version", "fmt"),
    [
        ("1.2", "scorm12"),
        ("CAM 1.3", "scorm2004"),
        ("2004 3rd Edition", "scorm2004"),
        ("2004 4th Edition", "scorm2004"),
    ],
)
def test_schema_versions(version, fmt):
    package = parse(manifest_2004(version), {"lesson.html": "x"})

    assert (package.format, package.version, package.warnings) == (fmt, version, [])


def test_without_a_schemaversion_the_namespaces_decide_with_a_warning():
    scorm2004 = parse(
        manifest_2004().replace("<schemaversion>2004 4th Edition</schemaversion>", ""), {"lesson.html": "x"}
    )
    scorm12 = parse(SCORM12.replace("<schemaversion>1.2</schemaversion>", ""), FILES12)
    odd = parse(SCORM12.replace("<schemaversion>1.2</schemaversion>", "<schemaversion>9</schemaversion>"), FILES12)

    assert (scorm2004.format, scorm2004.warnings) == (
        "scorm2004",
        ["imsmanifest.xml declares no schemaversion; the package is read as SCORM 2004."],
    )
    assert (scorm12.format, scorm12.warnings) == (
        "scorm12",
        ["imsmanifest.xml declares no schemaversion; the package is read as SCORM 1.2."],
    )
    assert odd.warnings == [
        "imsmanifest.xml: schemaversion '9' is not a SCORM version; the package is read as SCORM 1.2."
    ]


def test_xml_base_of_manifest_resources_and_resource_is_joined():
    manifest = f"""<manifest identifier="m" xml:base="content/" {NS12}>
      <organizations default="o"><organization identifier="o"><title>T</title>
        <item identifier="a" identifierref="r1"><title>A</title></item>
        <item identifier="b" identifierref="r2"><title>B</title></item>
      </organization></organizations>
      <resources xml:base="v2">
        <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" xml:base="lesson1/" href="start.html"/>
        <resource identifier="r2" type="webcontent" adlcp:scormtype="sco" href="../shared/My%20Page.html#top"/>
      </resources>
    </manifest>"""

    package = parse(manifest, {"content/v2/lesson1/start.html": "x", "content/shared/My Page.html": "x"})

    assert [(u.launch, u.parameters) for u in package.units] == [
        ("content/v2/lesson1/start.html", ""),
        ("content/shared/My Page.html", "#top"),
    ]


def test_a_remote_resource_is_a_remote_unit_with_a_warning_for_a_sco():
    manifest = SCORM12.replace('href="intro/index.html"', 'href="https://cdn.example.com/intro/?v=2"')

    package = parse(manifest, FILES12)

    assert (package.units[0].launch, package.units[0].is_remote, package.units[0].parameters) == (
        "https://cdn.example.com/intro/?v=2",
        True,
        "",
    )
    assert package.warnings == [
        "imsmanifest.xml line 17: item 'intro' is a SCO on another host (https://cdn.example.com/intro/?v=2); "
        "browsers keep it from reaching the runtime API, so it may not record progress."
    ]


def test_a_missing_default_organization_falls_back_to_the_first_with_a_warning():
    package = parse(SCORM12.replace('default="org_main"', 'default="nope"'), FILES12)

    assert package.title == "Other organization"
    assert [u.id for u in package.units] == ["other_item"]
    assert package.warnings == [
        "imsmanifest.xml line 7: the default organization 'nope' is not in the manifest; the first organization "
        "('Other organization') is used."
    ]


def test_several_organizations_without_a_default_use_the_first_with_a_warning():
    package = parse(SCORM12.replace(' default="org_main"', ""), FILES12)

    assert package.title == "Other organization"
    assert package.warnings == [
        "imsmanifest.xml line 7: no default organization is named; the first of 2 ('Other organization') is used."
    ]


def test_an_organization_without_identifier_is_imported_with_a_warning_naming_it():
    manifest = manifest_2004().replace('<organization identifier="org">', "<organization>")

    package = parse(manifest, {"lesson.html": "x"})

    assert [u.id for u in package.units] == ["sco1"]
    assert package.warnings == [
        "imsmanifest.xml line 5: the organization 'Safety 2004' has no identifier attribute, which SCORM requires.",
        "imsmanifest.xml line 4: the default organization 'org' is not in the manifest; the first organization "
        "('Safety 2004') is used.",
    ]


def test_a_manifest_without_identifier_or_title_still_imports_with_warnings():
    manifest = f"""<manifest {NS12}><organizations><organization identifier="o">
      <item identifier="a" identifierref="r"/></organization></organizations>
      <resources><resource identifier="r" href="a.html"/></resources></manifest>"""

    package = parse(manifest, {"a.html": "x"})

    assert (package.title, package.identifier, package.units[0].title) == ("", "", "a")
    assert package.warnings == [
        "imsmanifest.xml declares no schemaversion; the package is read as SCORM 1.2.",
        "imsmanifest.xml line 1: the manifest has no identifier; a second import of this package cannot be "
        "recognised as a duplicate.",
        "imsmanifest.xml line 1: the organization has no title.",
    ]


def test_a_prefix_used_without_its_declaration_is_read_with_a_warning():
    manifest = """<manifest identifier="m"><metadata><schemaversion>1.2</schemaversion></metadata>
      <organizations default="o"><organization identifier="o"><title>T</title>
      <item identifier="a" identifierref="r"><title>A</title><adlcp:masteryscore>70</adlcp:masteryscore></item>
      </organization></organizations>
      <resources><resource identifier="r" adlcp:scormtype="asset" href="a.html"/></resources></manifest>"""

    package = parse(manifest, {"a.html": "x"})

    assert (package.units[0].mastery_score, package.units[0].is_sco) == (Decimal("70.00"), False)
    assert package.warnings == [
        "imsmanifest.xml uses a namespace prefix it never declares; element names are read as written."
    ]


def test_malformed_xml_is_refused_with_line_and_column():
    exc = refused("<manifest>\n  <organizations>\n</manifest>\n")

    assert exc.code == "malformed_xml"
    assert exc.message == "imsmanifest.xml is not well-formed XML: mismatched tag at line 3, column 3."


def test_an_empty_manifest_is_refused():
    exc = refused(b"")

    assert exc.code == "malformed_xml"
    assert exc.message == "imsmanifest.xml is not well-formed XML: no element found at line 1, column 1."


def test_entity_expansion_is_refused_before_it_starts():
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n<manifest>&lol2;</manifest>'
    )

    exc = refused(laughs)

    assert exc.code == "invalid"
    assert exc.message == (
        "imsmanifest.xml line 2: a DOCTYPE declaration is not accepted (document type declarations can expand "
        "entities without bound); remove it."
    )


def test_an_external_entity_is_refused():
    exc = refused('<?xml version="1.0"?>\n<!DOCTYPE m SYSTEM "file:///etc/passwd">\n<manifest/>')

    assert exc.code == "invalid"


def test_elements_nested_too_deep_are_refused():
    exc = refused("<manifest>" + "<item>" * (MAX_DEPTH + 5) + "</item>" * (MAX_DEPTH + 5) + "</manifest>")

    assert exc.code == "invalid"
    assert exc.message == f"imsmanifest.xml line 1: elements are nested more than {MAX_DEPTH} deep."


def test_a_root_element_other_than_manifest_is_refused():
    exc = refused("<?xml version='1.0'?>\n<package/>")

    assert (exc.code, exc.message) == (
        "invalid",
        "imsmanifest.xml line 2: the root element is <package>, not <manifest>.",
    )


def test_a_resource_without_href_is_refused_naming_the_item():
    exc = refused(SCORM12.replace(' href="shared/quiz.html?lang=en"', ""), FILES12)

    assert exc.code == "missing_launch"
    assert exc.message == (
        "imsmanifest.xml line 21: item 'quiz' uses resource 'res_quiz' (line 37), which has no href: "
        "there is no file to launch."
    )


def test_an_identifierref_to_no_resource_is_refused():
    exc = refused(SCORM12.replace('identifierref="res_glossary"', 'identifierref="res_gone"'), FILES12)

    assert exc.code == "missing_launch"
    assert exc.message == (
        "imsmanifest.xml line 28: item 'glossary' refers to resource 'res_gone', which is not in the manifest."
    )


def test_an_href_to_a_file_missing_from_the_zip_is_refused_naming_the_item():
    exc = refused(SCORM12, {"intro/index.html": "x", "glossary.html": "x"})

    assert exc.code == "missing_file"
    assert exc.message == (
        "imsmanifest.xml line 21: item 'quiz' (resource 'res_quiz', line 37) launches 'shared/quiz.html', "
        "which is not in the package."
    )


@pytest.mark.parametrize(
    ("href", "message"),
    [
        ("../../etc/passwd", "launches '../../etc/passwd' points outside the package."),
        (
            "javascript:alert(1)",
            "launches 'javascript:alert(1)', which is neither a path inside the package nor an http(s) address.",
        ),
        ("/index.html", "launches '/index.html', which is neither a path inside the package nor an http(s) address."),
    ],
)
def test_hrefs_outside_the_package_are_refused(href, message):
    exc = refused(SCORM12.replace('href="glossary.html"', f'href="{href}"'), FILES12)

    assert exc.code == "unsafe_path"
    assert exc.message == f"imsmanifest.xml line 28: item 'glossary' (resource 'res_glossary', line 40) {message}"


def test_an_organization_without_launchable_items_is_refused():
    manifest = f"""<manifest identifier="m" {NS12}><metadata><schemaversion>1.2</schemaversion></metadata>
      <organizations default="o">
      <organization identifier="o"><title>Empty</title><item identifier="folder"><title>F</title></item>
      </organization></organizations><resources/></manifest>"""

    exc = refused(manifest)

    assert exc.code == "missing_launch"
    assert exc.message == (
        "imsmanifest.xml line 3: the organization 'Empty' has no item that refers to a resource, so there is "
        "nothing to launch."
    )


def test_a_manifest_without_organizations_is_refused():
    exc = refused(
        f'<manifest identifier="m" {NS12}><metadata><schemaversion>1.2</schemaversion></metadata>'
        "<organizations/><resources/></manifest>"
    )

    assert exc.code == "missing_launch"
    assert exc.message == "imsmanifest.xml line 1: the manifest has no <organization>, so there is nothing to launch."


def test_a_launch_file_in_another_letter_case_is_used_with_a_warning():
    package = parse(SCORM12, {"intro/index.html": "x", "shared/quiz.html": "x", "Glossary.HTML": "x"})

    assert package.units[2].launch == "Glossary.HTML"
    assert package.warnings == [
        "imsmanifest.xml line 28: item 'glossary' (resource 'res_glossary', line 40) launches 'glossary.html' "
        "differs in letter case from the file 'Glossary.HTML' in the package; that file is used."
    ]


def test_a_utf16_manifest_is_read():
    package = parse(SCORM12.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"), FILES12)

    assert package.title == "Workplace Safety"


def test_scores_out_of_range_are_ignored_with_a_warning():
    manifest = SCORM12.replace(
        "<adlcp:masteryscore>80</adlcp:masteryscore>", "<adlcp:masteryscore>-5</adlcp:masteryscore>"
    )

    package = parse(manifest, FILES12)

    assert package.units[1].mastery_score is None
    assert package.warnings == ["imsmanifest.xml line 21: adlcp:masteryscore '-5' is out of range; it is ignored."]


@pytest.mark.parametrize(
    ("url", "parameters", "expected"),
    [
        ("a.html", "", "a.html"),
        ("a.html", "?x=1", "a.html?x=1"),
        ("a.html", "&x=1", "a.html?x=1"),
        ("a.html", "x=1", "a.html?x=1"),
        ("a.html?y=2", "?x=1", "a.html?y=2&x=1"),
        ("a.html", "#part", "a.html#part"),
        ("a.html#top", "#part", "a.html#top"),
        ("a.html#top", "x=1", "a.html?x=1#top"),
        ("a.html", "?x=1#part", "a.html?x=1#part"),
        ("a.html", "  ?  ", "a.html"),
    ],
)
def test_apply_parameters_follows_the_packaging_rule(url, parameters, expected):
    assert apply_parameters(url, parameters) == expected


def test_launch_and_parameters_keeps_a_package_path_apart_and_folds_a_remote_address():
    assert launch_and_parameters("a.html", False, "?x=1", "y=2") == ("a.html", "?x=1&y=2")
    assert launch_and_parameters("https://h/a#top", True, "y=2") == ("https://h/a?y=2#top", "")
