"""Small packages built in the tests: a SCORM 1.2 zip (imsmanifest.xml + pages) and an AICC zip
(.crs/.au/.des/.cst + pages), and where the real test packages live."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.conf import settings

TESTDATA = Path(settings.BASE_DIR).parent / "shared" / "testdata" / "packages"
NO_TESTDATA = "the shared test packages (../shared/testdata/packages) are not on this machine"


def zip_bytes(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def scorm12_files(
    identifier: str = "com.example.safety",
    title: str = "Safety at Work",
    units: tuple[tuple[str, str, str], ...] = (("item-1", "Lesson one", "index.html"),),
) -> dict[str, str | bytes]:
    items = "".join(
        f'<item identifier="{uid}" identifierref="res-{uid}"><title>{utitle}</title></item>' for uid, utitle, _ in units
    )
    resources = "".join(
        f'<resource identifier="res-{uid}" type="webcontent" adlcp:scormtype="sco" href="{href}">'
        f'<file href="{href}"/></resource>'
        for uid, _, href in units
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<manifest identifier="{identifier}" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" '
        'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">'
        "<metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>"
        f'<organizations default="org"><organization identifier="org"><title>{title}</title>{items}'
        "</organization></organizations>"
        f"<resources>{resources}</resources></manifest>"
    )
    files: dict[str, str | bytes] = {"imsmanifest.xml": manifest}
    for _, utitle, href in units:
        files[href] = f"<!doctype html><title>{utitle}</title><p>{utitle}</p>"
    return files


def scorm12_zip(**kwargs) -> bytes:
    return zip_bytes(scorm12_files(**kwargs))


def aicc_files(
    course_id: str = "FIRE-101",
    title: str = "Fire Safety",
    description: str = "Leave by the nearest exit.",
    aus: tuple[tuple[str, str, str], ...] = (("A1", "Raise the alarm", "index.html"),),
) -> dict[str, str | bytes]:
    au_rows = "".join(f'"{sid}","html","","{launch}","100","70","","","","","",""\r\n' for sid, _, launch in aus)
    des_rows = "".join(f'"{sid}","{sid}","{atitle}",""\r\n' for sid, atitle, _ in aus)
    files: dict[str, str | bytes] = {
        "course.crs": (
            f"[Course]\r\nCourse_Creator=tests\r\nCourse_ID={course_id}\r\nCourse_System=HTML\r\n"
            f"Course_Title={title}\r\nLevel=1\r\nMax_Fields_CST=2\r\nTotal_AUs={len(aus)}\r\nTotal_Blocks=0\r\n"
            f"Version=4.0\r\n[Course_Behavior]\r\nMax_Normal=1\r\n[Course_Description]\r\n{description}\r\n"
        ),
        "course.au": (
            '"System_ID","Type","Command_Line","File_Name","Max_Score","Mastery_Score","Max_Time_Allowed",'
            '"Time_Limit_Action","System_Vendor","Core_Vendor","Web_Launch","AU_Password"\r\n' + au_rows
        ),
        "course.des": '"System_ID","Developer_ID","Title","Description"\r\n' + des_rows,
        "course.cst": '"Block","Member"\r\n' + "".join(f'"ROOT","{sid}"\r\n' for sid, _, _ in aus),
    }
    for _, atitle, launch in aus:
        if not launch.startswith("http"):
            files[launch] = f"<!doctype html><title>{atitle}</title><p>{atitle}</p>"
    return files


def aicc_zip(**kwargs) -> bytes:
    return zip_bytes(aicc_files(**kwargs))


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
