from __future__ import annotations

import io
import os
import stat
import zipfile

import pytest
from django.core.files.storage import FileSystemStorage

from coursebridge.content import safezip
from coursebridge.content.packages import PackageRefused
from coursebridge.content.safezip import extract_to_storage, normalise_member_path, open_safe_zip


def zip_bytes(files: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, content in files.items():
            zf.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return buffer.getvalue()


def refusal(data: bytes) -> PackageRefused:
    with pytest.raises(PackageRefused) as caught:
        open_safe_zip(io.BytesIO(data)).close()
    return caught.value


def set_flag_bits(data: bytes, bits: int) -> bytes:
    """Set general-purpose flag bits in every local and central directory header."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := out.find(signature, start)) != -1:
            flags = int.from_bytes(out[at + offset : at + offset + 2], "little") | bits
            out[at + offset : at + offset + 2] = flags.to_bytes(2, "little")
            start = at + 4
    return bytes(out)


def patch_central_field(data: bytes, offset: int, size: int, value: int) -> bytes:
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    out[at + offset : at + offset + size] = value.to_bytes(size, "little")
    return bytes(out)


def test_members_are_listed_by_normalised_path_without_directories():
    data = zip_bytes({"course/": b"", "course\\index.html": b"<html>", "./course/a.js": b"x", "b//c.css": b"y"})

    with open_safe_zip(io.BytesIO(data)) as archive:
        assert archive.names() == ["course/index.html", "course/a.js", "b/c.css"]
        assert archive.directories == {"course"}
        assert archive.read_bytes("course/index.html") == b"<html>"
        assert archive.find_ignoring_case("COURSE/INDEX.HTML") == "course/index.html"
        assert archive.total_bytes == 8


def test_a_path_on_disk_opens_and_is_closed(tmp_path):
    path = tmp_path / "p.zip"
    path.write_bytes(zip_bytes({"a.txt": b"hello"}))

    with open_safe_zip(path) as archive:
        assert archive.read_bytes("a.txt") == b"hello"
    with open_safe_zip(str(path)) as archive:
        assert archive.names() == ["a.txt"]


def test_a_stream_that_cannot_seek_is_spooled():
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
            chunk = self._inner.read(len(b))
            b[: len(chunk)] = chunk
            return len(chunk)

    with open_safe_zip(Pipe(zip_bytes({"a.txt": b"piped"}))) as archive:  # type: ignore[arg-type]
        assert archive.read_bytes("a.txt") == b"piped"


@pytest.mark.parametrize("data", [b"", b"not a zip at all", b"PK\x03\x04" + b"\x00" * 40])
def test_a_file_that_is_not_a_zip_is_refused(data):
    exc = refusal(data)

    assert exc.code == "not_a_zip"
    assert exc.message == "The file is not a zip archive (or the archive is truncated)."


def test_a_truncated_zip_is_refused():
    data = zip_bytes({"a.txt": b"hello" * 100})

    assert refusal(data[: len(data) - 30]).code == "not_a_zip"


def test_an_encrypted_member_is_refused_naming_it():
    data = set_flag_bits(zip_bytes({"index.html": b"<html>", "secret/data.js": b"x"}), 0x1)

    exc = refusal(data)

    assert exc.code == "encrypted"
    assert exc.message == ("The zip member 'index.html' is encrypted. Packages must be zipped without a password.")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../x", "climbs out of the package with '..'."),
        ("a/../../x", "climbs out of the package with '..'."),
        ("..\\evil.html", "climbs out of the package with '..'."),
        ("/etc/passwd", "has an absolute path; package paths must be relative."),
        ("\\windows\\x", "has an absolute path; package paths must be relative."),
        ("C:/autoexec.bat", "has an absolute path; package paths must be relative."),
    ],
)
def test_unsafe_paths_are_refused_naming_the_member(name, why):
    exc = refusal(zip_bytes({"index.html": b"ok", name: b"boom"}))

    assert exc.code == "unsafe_path"
    assert exc.message == f"The zip member {name!r} {why}"


def test_normalise_member_path():
    assert normalise_member_path("./a//b/./c.html") == "a/b/c.html"
    assert normalise_member_path("a\\b\\c.html") == "a/b/c.html"
    assert normalise_member_path("./") == ""
    with pytest.raises(PackageRefused):
        normalise_member_path("a/b/../../../c")


def test_a_symbolic_link_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        link = zipfile.ZipInfo("shared/link")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")

    exc = refusal(buffer.getvalue())

    assert exc.code == "unsafe_path"
    assert exc.message == "The zip member 'shared/link' is a symbolic link; packages hold plain files only."


def test_a_highly_compressible_member_is_refused_as_a_zip_bomb():
    data = zip_bytes({"index.html": b"<html>", "bomb.bin": b"\0" * (3 * 1024 * 1024)})

    exc = refusal(data)

    assert exc.code == "zip_bomb"
    assert exc.message.startswith("The zip member 'bomb.bin' unpacks from ")
    assert exc.message.endswith(" to 3.0 MiB, a compression ratio above 100; refused as a zip bomb.")


def test_the_whole_archive_ratio_is_limited_too():
    # Each member stays under the size where the member ratio is checked; together they do not.
    data = zip_bytes({f"part{n}.bin": b"\0" * (1024 * 1024) for n in range(3)})

    exc = refusal(data)

    assert exc.code == "zip_bomb"
    assert exc.message.startswith("The package unpacks from ")
    assert exc.message.endswith(" to 3.0 MiB, a compression ratio above 100; refused as a zip bomb.")


def test_small_compressible_files_are_fine():
    with open_safe_zip(io.BytesIO(zip_bytes({"blank.css": b" " * 200_000}))) as archive:
        assert archive.read_bytes("blank.css") == b" " * 200_000


def test_the_total_size_is_limited(monkeypatch):
    monkeypatch.setattr(safezip, "MAX_TOTAL_BYTES", 1000)
    data = zip_bytes({"a.bin": os.urandom(600), "b.bin": os.urandom(600)}, zipfile.ZIP_STORED)

    exc = refusal(data)

    assert exc.code == "zip_bomb"
    assert exc.message == "The package unpacks to more than 1000 bytes (the limit was passed at member 'b.bin')."


def test_more_than_twenty_thousand_files_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for n in range(safezip.MAX_FILES + 1):
            zf.writestr(f"f/{n}", b"")

    exc = refusal(buffer.getvalue())

    assert exc.code == "zip_bomb"
    assert exc.message == "The package holds 20,001 files; the limit is 20,000."


def test_an_archive_declaring_a_huge_directory_is_refused_before_reading_it():
    data = bytearray(zip_bytes({"a.txt": b"x"}))
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = (60_000).to_bytes(2, "little") * 2  # entries on this disk, entries in total

    exc = refusal(bytes(data))

    assert exc.code == "zip_bomb"
    assert exc.message == "The package declares 60,000 entries; the limit is 20,000 files."


def test_an_unsupported_compression_method_is_refused():
    data = patch_central_field(zip_bytes({"a.txt": b"x" * 50}, zipfile.ZIP_STORED), 10, 2, 9)  # Deflate64

    exc = refusal(data)

    assert exc.code == "invalid"
    assert exc.message == (
        "The zip member 'a.txt' uses compression method 9, which is not supported; zip the package again "
        "with standard (deflate) compression."
    )


def test_the_same_path_twice_is_refused():
    exc = refusal(zip_bytes({"a/b.html": b"1", "a\\b.html": b"2"}))

    assert exc.code == "invalid"
    assert exc.message == "The zip archive holds the path 'a/b.html' twice."


def test_a_file_that_other_members_use_as_a_folder_is_refused():
    exc = refusal(zip_bytes({"shared": b"file", "shared/style.css": b"body{}"}))

    assert exc.code == "invalid"
    assert exc.message == "The zip member 'shared' is a file, and other members use it as a folder."


def test_a_name_too_long_to_store_is_refused():
    exc = refusal(zip_bytes({"a/" + "x" * 256 + ".html": b"1"}))

    assert exc.code == "invalid"
    assert exc.message == f"A zip member's name is too long to store (263 characters, starting {'a/' + 'x' * 58!r})."


def test_an_entry_with_an_empty_name_is_left_out():
    data = bytearray(zip_bytes({"a.txt": b"1", "b": b"2"}, zipfile.ZIP_STORED))
    at = data.rfind(b"PK\x01\x02")
    data[at + 28 : at + 30] = (0).to_bytes(2, "little")  # the last entry's name length
    del data[at + 46 : at + 47]
    end = data.rfind(b"PK\x05\x06")
    data[end + 12 : end + 16] = (int.from_bytes(data[end + 12 : end + 16], "little") - 1).to_bytes(4, "little")

    with open_safe_zip(io.BytesIO(bytes(data))) as archive:
        assert archive.names() == ["a.txt"]


def test_a_header_that_understates_the_size_is_caught_while_reading():
    data = patch_central_field(zip_bytes({"a.txt": b"y" * 500}, zipfile.ZIP_STORED), 24, 4, 100)

    with open_safe_zip(io.BytesIO(data)) as archive, pytest.raises(PackageRefused) as caught:
        archive.read_bytes("a.txt")

    assert caught.value.code == "invalid"
    assert caught.value.message.startswith("The zip archive is damaged: member 'a.txt' cannot be read (")


def test_a_descriptor_larger_than_its_limit_is_refused():
    with open_safe_zip(io.BytesIO(zip_bytes({"imsmanifest.xml": b"<a/>" * 100}))) as archive:
        with pytest.raises(PackageRefused) as caught:
            archive.read_bytes("imsmanifest.xml", limit=10)

    assert caught.value.code == "invalid"
    assert caught.value.message == "imsmanifest.xml is 400 bytes; a package descriptor may be at most 10 bytes."


def test_extract_writes_every_file_under_the_prefix(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    big = os.urandom(3 * 1024 * 1024 + 17)  # more than one read chunk
    data = zip_bytes(
        {
            "index.html": b"<html>",
            "assets/": b"",
            "assets/big.bin": big,
            "assets/My File.css": b"body{}",
            "__MACOSX/._index.html": b"junk",
        }
    )
    source = tmp_path / "upload.zip"
    source.write_bytes(data)

    files, size = extract_to_storage(str(source), storage=storage, prefix="packages/1/abc/")

    assert (files, size) == (3, 6 + len(big) + 6)
    assert (tmp_path / "packages/1/abc/index.html").read_bytes() == b"<html>"
    assert (tmp_path / "packages/1/abc/assets/big.bin").read_bytes() == big
    assert (tmp_path / "packages/1/abc/assets/My File.css").read_bytes() == b"body{}"
    assert not (tmp_path / "packages/1/abc/__MACOSX").exists()


def test_extract_takes_an_open_archive_and_leaves_it_open(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    with open_safe_zip(io.BytesIO(zip_bytes({"a.txt": b"1"}))) as archive:
        assert extract_to_storage(archive, storage=storage, prefix="p") == (1, 1)
        assert archive.read_bytes("a.txt") == b"1"
    assert (tmp_path / "p/a.txt").read_bytes() == b"1"


def test_extract_refuses_a_bomb_before_writing_anything(tmp_path):
    storage = FileSystemStorage(location=tmp_path / "media")
    data = zip_bytes({"index.html": b"<html>", "bomb.bin": b"\0" * (3 * 1024 * 1024)})

    with pytest.raises(PackageRefused) as caught:
        extract_to_storage(io.BytesIO(data), storage=storage, prefix="p")

    assert caught.value.code == "zip_bomb"
    assert not (tmp_path / "media").exists()


def test_extract_removes_what_it_wrote_when_a_member_is_damaged(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    data = bytearray(zip_bytes({"a.txt": b"first file", "b.txt": b"second file"}, zipfile.ZIP_STORED))
    data[data.find(b"second file")] ^= 0xFF  # the CRC no longer matches

    with pytest.raises(PackageRefused) as caught:
        extract_to_storage(io.BytesIO(bytes(data)), storage=storage, prefix="p")

    assert caught.value.code == "invalid"
    assert caught.value.message.startswith("The zip archive is damaged: member 'b.txt' cannot be read (")
    assert not (tmp_path / "p/a.txt").exists()
    assert not (tmp_path / "p/b.txt").exists()
