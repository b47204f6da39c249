from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from coursebridge.content.aicc import decode_text, parse_crs, read_table
from coursebridge.content.inspect import inspect_package
from coursebridge.content.packages import PackageRefused, ParsedPackage, ParsedUnit

CRS = (
    "[Course]\r\n"
    "Course_Creator=Example Author\r\n"
    "Course_ID=SAFETY-101\r\n"
    "Course_System=HTML\r\n"
    "Course_Title=Workplace Safety\r\n"
    "Level=1\r\n"
    "Max_Fields_CST=3\r\n"
    "Total_AUs=2\r\n"
    "Total_Blocks=0\r\n"
    "Version=4.0\r\n"
    "[Course_Behavior]\r\n"
    "Max_Normal=99\r\n"
    "[Course_Description]\r\n"
    "Stay safe at work.\r\n"
    "\r\n"
    "Second paragraph, with [brackets].\r\n"
)
# iSpring writes the .au columns in the specification's order.
AU_SPEC_ORDER = (
    '"System_ID","Type","Command_Line","File_Name","Max_Score","Mastery_Score","Max_Time_Allowed",'
    '"Time_Limit_Action","System_Vendor","Core_Vendor","Web_Launch","AU_Password"\r\n'
    '"A1","presentation","","res/index.html",100,80,"9999:59:59","C,N","iSpring","level=beginner","lang=en",""\r\n'
    '"A2","presentation","","res/quiz.html","","66.67","00:30:00","E,M","iSpring","","","s3cret"\r\n'
)
DES = '"system_id","developer_id","title","description"\r\n"A1","d1","Introduction",""\r\n"A2","d2","Final quiz",""\r\n'
CST = '"block","member"\r\n"ROOT","A1","A2"\r\n'
CONTENT = {"res/index.html": "<html>", "res/quiz.html": "<html>"}


def zip_of(files: dict[str, bytes | str]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    buffer.seek(0)
    return buffer


def course(**overrides: bytes | str | None) -> dict[str, bytes | str]:
    """A complete course; keyword arguments replace (or, with None, drop) files by name."""
    files: dict[str, bytes | str] = {"course.crs": CRS, "course.au": AU_SPEC_ORDER, "course.des": DES}
    files["course.cst"] = CST
    files.update(CONTENT)
    for name, content in overrides.items():
        key = name.replace("_dot_", ".")
        if content is None:
            files.pop(key, None)
        else:
            files[key] = content
    return files


def parse(files: dict[str, bytes | str]) -> ParsedPackage:
    return inspect_package(zip_of(files))


def refused(files: dict[str, bytes | str]) -> PackageRefused:
    with pytest.raises(PackageRefused) as caught:
        inspect_package(zip_of(files))
    return caught.value


def test_an_ispring_course_gives_every_unit_field():
    package = parse(course())

    assert package.format == "aicc"
    assert package.title == "Workplace Safety"
    assert package.identifier == "SAFETY-101"
    assert package.version == "4.0"
    assert package.description == "Stay safe at work.\n\nSecond paragraph, with [brackets]."
    assert package.warnings == []
    assert package.units == [
        ParsedUnit(
            id="A1",
            title="Introduction",
            launch="res/index.html",
            is_remote=False,
            parameters="?lang=en",
            mastery_score=Decimal("80.00"),
            max_score=Decimal("100.00"),
            max_time_allowed="9999:59:59",
            time_limit_action="C,N",
            core_vendor="level=beginner",
            au_password="",
            is_sco=True,
        ),
        ParsedUnit(
            id="A2",
            title="Final quiz",
            launch="res/quiz.html",
            parameters="",
            mastery_score=Decimal("66.67"),
            max_score=None,
            max_time_allowed="00:30:00",
            time_limit_action="E,M",
            au_password="s3cret",
        ),
    ]
    assert package.as_dict() == {
        "format": "aicc",
        "title": "Workplace Safety",
        "identifier": "SAFETY-101",
        "units": [
            {"id": "A1", "title": "Introduction", "launch": "res/index.html"},
            {"id": "A2", "title": "Final quiz", "launch": "res/quiz.html"},
        ],
        "warnings": [],
    }


def test_storyline_column_order_and_lower_case_headers_give_the_same_units():
    storyline_au = (
        '"system_id","type","file_name","command_line","max_time_allowed","time_limit_action","max_score",'
        '"core_vendor","system_vendor","mastery_score","web_launch","au_password"\n'
        '"A1","story","res/index.html","","9999:59:59","C,N",100,"level=beginner","Articulate",80,"lang=en",""\n'
        '"A2","story","res/quiz.html","","00:30:00","E,M","","","Articulate","66.67","","s3cret"\n'
    )

    assert parse(course(course_dot_au=storyline_au)).units == parse(course()).units


def test_a_byte_order_mark_lf_and_no_final_newline_are_read():
    files = course(
        course_dot_crs=("\ufeff" + CRS.replace("\r\n", "\n").rstrip("\n")).encode(),
        course_dot_au=("\ufeff" + AU_SPEC_ORDER.replace("\r\n", "\n").rstrip("\n")).encode(),
        course_dot_des=("\ufeff" + DES.rstrip("\r\n")).encode(),
        course_dot_cst=("\ufeff" + CST.rstrip("\r\n")).encode(),
    )

    package = parse(files)

    assert package.identifier == "SAFETY-101"
    assert package.description == "Stay safe at work.\n\nSecond paragraph, with [brackets]."
    assert [(u.id, u.title, u.launch) for u in package.units] == [
        ("A1", "Introduction", "res/index.html"),
        ("A2", "Final quiz", "res/quiz.html"),
    ]
    assert package.warnings == []


def test_old_mac_line_endings_are_read():
    package = parse(course(course_dot_crs=CRS.replace("\r\n", "\r"), course_dot_au=AU_SPEC_ORDER.replace("\r\n", "\r")))

    assert package.title == "Workplace Safety"
    assert [u.id for u in package.units] == ["A1", "A2"]


def test_quoted_values_keep_their_commas():
    des = '"System_ID","Title"\n"A1","Safety, health and you"\n"A2","Quiz: part 1, part 2"\n'
    au = '"System_ID","File_Name","Core_Vendor"\n"A1","res/index.html","mode=a,b; level=2"\n"A2","res/quiz.html",""\n'

    package = parse(course(course_dot_des=des, course_dot_au=au))

    assert [u.title for u in package.units] == ["Safety, health and you", "Quiz: part 1, part 2"]
    assert package.units[0].core_vendor == "mode=a,b; level=2"


def test_a_remote_file_name_makes_a_remote_unit_and_needs_no_file():
    au = (
        '"System_ID","File_Name","Web_Launch"\n'
        '"A1","https://content.example.com/launch.aspx?key=abc--1","lang=fr"\n'
        '"A2","HTTP://other.example.org/course/","?x=1"\n'
    )
    files = course(course_dot_au=au, **{"res/index.html": None, "res/quiz.html": None})

    package = parse(files)

    assert [(u.launch, u.is_remote, u.parameters) for u in package.units] == [
        ("https://content.example.com/launch.aspx?key=abc--1&lang=fr", True, ""),
        ("HTTP://other.example.org/course/?x=1", True, ""),
    ]


def test_a_file_name_query_becomes_parameters_before_web_launch():
    au = '"System_ID","File_Name","Web_Launch"\n"A1","res/index.html?start=1#top","lang=en"\n"A2","res/quiz.html",""\n'

    unit = parse(course(course_dot_au=au)).units[0]

    assert (unit.launch, unit.parameters) == ("res/index.html", "?start=1&lang=en#top")


def test_file_names_with_backslashes_escapes_or_another_letter_case_find_their_file():
    au = '"System_ID","File_Name"\n"A1","res\\index.html"\n"A2","RES/Quiz.HTML"\n"A3","my%20folder/start.html"\n'
    des = '"System_ID","Title"\n"A1","One"\n"A2","Two"\n"A3","Three"\n'
    files = course(course_dot_au=au, course_dot_des=des, course_dot_cst=None, **{"my folder/start.html": "<html>"})

    package = parse(files)

    assert [u.launch for u in package.units] == ["res/index.html", "res/quiz.html", "my folder/start.html"]
    assert package.warnings == [
        "course.au line 3: AU 'A2' launches 'RES/Quiz.HTML' differs in letter case from the file "
        "'res/quiz.html' in the package; that file is used.",
        "The package has no .cst file next to course.crs; units follow the .au order.",
        "course.crs: Total_AUs says 2, the .au file lists 3.",
    ]


def test_a_file_name_missing_from_the_package_is_refused_naming_the_unit_and_line():
    exc = refused(course(**{"res/quiz.html": None}))

    assert exc.code == "missing_file"
    assert exc.message == "course.au line 3: AU 'A2' launches 'res/quiz.html', which is not in the package."


def test_an_empty_file_name_is_refused():
    au = '"System_ID","File_Name"\n"A1","res/index.html"\n"A2",""\n'

    exc = refused(course(course_dot_au=au))

    assert exc.code == "missing_launch"
    assert exc.message == "course.au line 3: AU 'A2' has no File_Name, so there is nothing to launch."


@pytest.mark.parametrize(
    ("file_name", "code", "message"),
    [
        (
            "javascript:alert(1)",
            "unsafe_path",
            "AU 'A1' File_Name 'javascript:alert(1)' is neither a path inside the package nor an http(s) address.",
        ),
        (
            "C:\\course\\index.htm",
            "unsafe_path",
            "AU 'A1' File_Name 'C:\\\\course\\\\index.htm' is neither a path inside the package nor an http(s) "
            "address.",
        ),
        (
            "/index.html",
            "unsafe_path",
            "AU 'A1' File_Name '/index.html' is neither a path inside the package nor an http(s) address.",
        ),
        ("../outside.html", "unsafe_path", "AU 'A1' launches '../outside.html' points outside the package."),
    ],
)
def test_file_names_outside_the_package_are_refused(file_name, code, message):
    au = f'"System_ID","File_Name"\n"A1","{file_name}"\n"A2","res/quiz.html"\n'

    exc = refused(course(course_dot_au=au))

    assert exc.code == code
    assert exc.message == f"course.au line 2: {message}"


def test_an_au_table_without_a_file_name_column_is_refused_naming_the_columns():
    exc = refused(course(course_dot_au='"System_ID","Type"\n"A1","x"\n'))

    assert exc.code == "invalid"
    assert exc.message == "course.au line 1: the header row has no file_name column (columns found: system_id, type)."


def test_a_system_id_used_twice_is_refused():
    au = '"System_ID","File_Name"\n"A1","res/index.html"\n"a1","res/quiz.html"\n'

    exc = refused(course(course_dot_au=au))

    assert exc.code == "invalid"
    assert exc.message == "course.au line 3: the System_ID 'a1' is already used on line 2."


def test_an_empty_system_id_is_refused():
    exc = refused(course(course_dot_au='"System_ID","File_Name"\n"","res/index.html"\n'))

    assert exc.code == "invalid"
    assert exc.message == "course.au line 2: System_ID is empty."


def test_a_package_without_an_au_file_is_refused():
    exc = refused(course(course_dot_au=None))

    assert exc.code == "missing_launch"
    assert exc.message == "The package has no .au file next to course.crs: there is no assignable unit to launch."


def test_units_follow_the_course_structure_depth_first():
    au = (
        '"System_ID","File_Name"\n'
        '"A1","res/index.html"\n"A2","res/quiz.html"\n"A3","res/index.html"\n"A4","res/quiz.html"\n'
    )
    des = '"System_ID","Title"\n"B1","Block one"\n"A1","One"\n"A2","Two"\n"A3","Three"\n"A4","Four"\n'
    cst = '"Block","Member","Member"\n"Root","B1","A1"\n"B1","A3","A2"\n"B1","X9"\n'
    crs = CRS.replace("Total_AUs=2", "Total_AUs=4")

    package = parse(course(course_dot_au=au, course_dot_des=des, course_dot_cst=cst, course_dot_crs=crs))

    assert [u.id for u in package.units] == ["A3", "A2", "A1", "A4"]
    assert package.warnings == [
        "course.cst line 3: 'X9' is neither a unit nor a block.",
        "course.cst: the units 'A4' are not in the course structure; they follow the others.",
    ]


def test_a_course_structure_with_a_cycle_and_no_root_still_orders_the_units():
    cst = '"Block","Member"\n"B1","B2","A2"\n"B2","B1","A1"\n"B9","B1"\n'

    package = parse(course(course_dot_cst=cst))

    assert [u.id for u in package.units] == ["A1", "A2"]
    assert package.warnings == [
        "course.cst has no ROOT block; the blocks no other block contains are read as the root."
    ]


def test_upper_case_file_names_and_extensions_are_found():
    files = {
        "COURSE.CRS": CRS,
        "COURSE.AU": AU_SPEC_ORDER,
        "COURSE.DES": DES,
        "COURSE.CST": CST,
        **CONTENT,
    }

    package = parse(files)

    assert [u.title for u in package.units] == ["Introduction", "Final quiz"]
    assert package.warnings == []


def test_text_that_is_not_utf8_is_read_as_windows_1252():
    des = '"System_ID","Title"\n"A1","Café sécurité"\n"A2","Quiz \u2013 final"\n'.encode("cp1252")

    package = parse(course(course_dot_des=des))

    assert [u.title for u in package.units] == ["Café sécurité", "Quiz \u2013 final"]
    assert package.warnings == ["course.des is not UTF-8; it is read as Windows-1252."]


def test_utf16_with_a_byte_order_mark_is_read():
    package = parse(course(course_dot_crs=CRS.encode("utf-16")))

    assert package.title == "Workplace Safety"


def test_missing_course_id_and_title_and_a_wrong_total_give_warnings():
    crs = "[COURSE]\nCourse_Title = \nTotal_AUs=3\n"

    package = parse(course(course_dot_crs=crs))

    assert package.identifier == ""
    assert package.title == ""
    assert package.warnings == [
        "course.crs: [Course] has no Course_ID; a second import of this course cannot be recognised as a duplicate.",
        "course.crs: [Course] has no Course_Title.",
        "course.crs: Total_AUs says 3, the .au file lists 2.",
    ]


def test_a_single_unit_course_without_a_title_takes_the_unit_title():
    au = '"System_ID","File_Name"\n"A1","res/index.html"\n'
    crs = '[Course]\nCourse_ID="C-9"\n'

    package = parse(course(course_dot_crs=crs, course_dot_au=au))

    assert (package.identifier, package.title) == ("C-9", "Introduction")


def test_scores_that_are_not_numbers_are_ignored_with_a_warning():
    au = '"System_ID","File_Name","Mastery_Score","Max_Score"\n"A1","res/index.html","eighty","1e9"\n'
    crs = CRS.replace("Total_AUs=2", "Total_AUs=1")

    package = parse(course(course_dot_au=au, course_dot_crs=crs))

    assert (package.units[0].mastery_score, package.units[0].max_score) == (None, None)
    assert package.warnings == [
        "course.au line 2: Mastery_Score 'eighty' is not a number; it is ignored.",
        "course.au line 2: Max_Score '1e9' is out of range; it is ignored.",
        "course.cst line 2: 'A2' is neither a unit nor a block.",
    ]


def test_optional_tables_are_read_and_what_is_not_applied_is_said():
    pre = '"Structure_Element","Prerequisite"\n"A2","A1"\n'
    cmp = '"Structure_Element","Requirement","Member","Action","Next","Info"\n"A2","A1","","","",""\n'
    ort = '"Course_Element","Member"\n'  # a header only: nothing to say

    package = parse(course(course_dot_pre=pre, course_dot_cmp=cmp, course_dot_ort=ort))

    assert package.warnings == [
        "course.pre: prerequisites are not enforced: every unit can be launched.",
        "course.cmp: completion requirements are not applied: each unit reports its own status.",
    ]


def test_without_des_and_cst_units_take_their_ids_in_au_order():
    package = parse(course(course_dot_des=None, course_dot_cst=None))

    assert [(u.id, u.title) for u in package.units] == [("A1", "A1"), ("A2", "A2")]
    assert package.warnings == [
        "The package has no .des file next to course.crs; units are titled by their System_ID.",
        "The package has no .cst file next to course.crs; units follow the .au order.",
    ]


def test_parse_crs_reads_groups_in_any_case_and_quoted_values():
    warnings: list[str] = []

    parsed = parse_crs(
        'Course_ID=early\n[ COURSE ]\n; a comment\nCourse_Title = "Quoted, title"\nnot a pair\n'
        "[course_description]\nline one\n[Not a group]\n[Course_Behavior]\nMax_Normal=1",
        "x.crs",
        warnings,
    )

    assert parsed.groups == {
        "course": {"course_id": "early", "course_title": "Quoted, title"},
        "course_description": {},
        "course_behavior": {"max_normal": "1"},
    }
    assert parsed.description == "line one\n[Not a group]"
    assert warnings == [
        "x.crs line 1: a key before any [group]; it is read as part of [Course].",
        "x.crs line 5: 'not a pair' is not a key=value line; it is ignored.",
    ]


def test_read_table_finds_columns_by_name_and_keeps_line_numbers():
    table = read_table('\n"System ID", "FILE_NAME" ,Extra\r\n\r\n"A1", "a, b.html"\r\n"A2"\r\n', "t.au")

    assert table.headers == ["system_id", "file_name", "extra"]
    assert table.header_line == 2
    assert [(row.line, row.cells) for row in table.rows] == [(4, ["A1", "a, b.html"]), (5, ["A2"])]
    assert table.value(table.rows[1], "File_Name") == ""
    assert table.value(table.rows[0], "missing") == ""


def test_read_table_refuses_an_empty_file():
    with pytest.raises(PackageRefused) as caught:
        read_table("\r\n\r\n", "t.des")

    assert (caught.value.code, caught.value.message) == ("invalid", "t.des is empty: it has no header row.")


def test_decode_text_strips_the_byte_order_mark():
    warnings: list[str] = []

    assert decode_text(b"\xef\xbb\xbf[Course]", "x.crs", warnings) == "[Course]"
    assert warnings == []


def test_a_course_zipped_inside_its_folder_launches_from_that_folder():
    files = {f"Safety/{name}": content for name, content in course().items()}

    package = parse(files)

    assert [u.launch for u in package.units] == ["Safety/res/index.html", "Safety/res/quiz.html"]
    assert package.warnings == [
        "The package's files are in the folder 'Safety' rather than at the root of the zip; they are read from "
        "that folder."
    ]
