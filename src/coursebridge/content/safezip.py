"""Reading uploaded zip archives without trusting them.

A package is checked before anything is read or written: it must be a zip, no member may be
encrypted, every path must stay inside the package, and the archive must not unpack to more than
the limits below (a zip bomb). Members are then read or extracted in chunks, counting the bytes
again as they come, so a lying header cannot get past the limits either.

Pure code (no settings): the marketplace validates its publishers' packages with the same checks.
"""

from __future__ import annotations

import lzma
import os
import posixpath
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from types import TracebackType
from typing import IO, TYPE_CHECKING, BinaryIO

from coursebridge.content.packages import PackageRefused

if TYPE_CHECKING:
    from django.core.files.storage import Storage

MAX_TOTAL_BYTES = 2 * 1024**3  # everything the package unpacks to
MAX_FILES = 20_000
MAX_RATIO = 100  # uncompressed / compressed, per member and for the whole archive
# Small files of repeated bytes (a blank stylesheet, a padded JSON file) legitimately compress
# beyond the ratio; the ratio is only checked from this size up, where a bomb would start to hurt.
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_DESCRIPTOR_BYTES = 16 * 1024 * 1024  # imsmanifest.xml, .crs, .au: read whole, so bounded
CHUNK_BYTES = 1024 * 1024
MAX_PATH_CHARS = 1024  # a launch path must fit the unit's launch column with its parameters
MAX_NAME_BYTES = 255  # one file or folder name, as file systems allow

SUPPORTED_COMPRESSION = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
_ENCRYPTED_FLAGS = 0x1 | 0x40  # traditional / strong encryption
# What a damaged archive can raise from the zipfile module and its decompressors.
_DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    IndexError,
    KeyError,
    OverflowError,
)
_DRIVE = re.compile(r"^[A-Za-z]:")
JUNK_PREFIXES = ("__MACOSX/",)  # resource forks macOS adds when it zips a folder

Source = str | os.PathLike[str] | BinaryIO | IO[bytes]


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"


def normalise_member_path(name: str) -> str:
    """The member's path inside the package, with "/" separators and no "." parts; "" for the root.

    Refuses (unsafe_path) a path that is absolute or climbs out of the package with "..".
    """
    path = name.replace("\\", "/")
    if "\x00" in path:
        raise PackageRefused("unsafe_path", f"The zip member {name!r} has a NUL character in its name.")
    if path.startswith("/") or _DRIVE.match(path):
        raise PackageRefused(
            "unsafe_path", f"The zip member {name!r} has an absolute path; package paths must be relative."
        )
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise PackageRefused("unsafe_path", f"The zip member {name!r} climbs out of the package with '..'.")
    return "/".join(parts)


def _is_dir(info: zipfile.ZipInfo) -> bool:
    # ZipInfo.is_dir() fails on an entry with an empty name.
    return info.filename.endswith(("/", "\\"))


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


class SafeZip:
    """A checked zip archive: `members` maps each file's normalised path to its zip entry."""

    def __init__(self, zf: zipfile.ZipFile, owned: IO[bytes] | None) -> None:
        self._zf = zf
        self._owned = owned
        self.members: dict[str, zipfile.ZipInfo] = {}
        self.directories: set[str] = set()
        self.total_bytes = 0
        self._lower: dict[str, str] | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        self._zf.close()
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- lookup ----------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """File paths in archive order (directories left out)."""
        return list(self.members)

    def has(self, path: str) -> bool:
        return path in self.members

    def find_ignoring_case(self, path: str) -> str | None:
        """The member whose path matches `path` apart from letter case, if exactly that one does."""
        if self._lower is None:
            lower: dict[str, str] = {}
            ambiguous: set[str] = set()
            for name in self.members:
                key = name.lower()
                if key in lower:
                    ambiguous.add(key)
                lower[key] = name
            for key in ambiguous:
                del lower[key]
            self._lower = lower
        return self._lower.get(path.lower())

    # -- reading ---------------------------------------------------------------------------------
    def iter_chunks(self, path: str, chunk_size: int = CHUNK_BYTES) -> Iterator[bytes]:
        """The member's bytes in chunks, counted against its declared size as they are inflated."""
        info = self.members[path]
        seen = 0
        try:
            with self._zf.open(info) as stream:
                while True:
                    chunk = stream.read(chunk_size)
                    if not chunk:
                        break
                    seen += len(chunk)
                    if seen > info.file_size:
                        raise PackageRefused(
                            "zip_bomb",
                            f"The zip member {info.filename!r} unpacks to more than the "
                            f"{human_size(info.file_size)} its header declares.",
                        )
                    yield chunk
        except PackageRefused:
            raise
        except _DAMAGED as exc:
            raise PackageRefused(
                "invalid", f"The zip archive is damaged: member {info.filename!r} cannot be read ({exc})."
            ) from exc
        if seen != info.file_size:
            raise PackageRefused(
                "invalid",
                f"The zip archive is damaged: member {info.filename!r} holds {seen} bytes, "
                f"its header says {info.file_size}.",
            )

    def read_bytes(self, path: str, *, limit: int = MAX_DESCRIPTOR_BYTES) -> bytes:
        """A whole member, for descriptor files; refused when it is larger than `limit`."""
        info = self.members[path]
        if info.file_size > limit:
            raise PackageRefused(
                "invalid",
                f"{path} is {human_size(info.file_size)}; a package descriptor may be at most {human_size(limit)}.",
            )
        return b"".join(self.iter_chunks(path))

    def open_member(self, path: str) -> _MemberStream:
        return _MemberStream(self, path)


class _MemberStream:
    """A read-only file object over one member, fed by SafeZip.iter_chunks (so the counting and
    the damage checks apply), for storage backends that read() rather than iterate."""

    def __init__(self, archive: SafeZip, path: str) -> None:
        self._chunks = archive.iter_chunks(path)
        self._buffer = bytearray()  # dropping bytes from its front is cheap
        self._done = False

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                self._done = True
        if size < 0 or size >= len(self._buffer):
            data = bytes(self._buffer)
            self._buffer.clear()
        else:
            data = bytes(self._buffer[:size])
            del self._buffer[:size]
        return data


def _seekable_stream(source: BinaryIO | IO[bytes]) -> tuple[IO[bytes], IO[bytes] | None]:
    """The stream itself when it can seek (a zip is read from its end); else a spooled copy."""
    seekable = getattr(source, "seekable", None)
    if seekable is not None and seekable():
        return source, None
    spool = tempfile.TemporaryFile()  # closed by SafeZip.close
    copied = 0
    while True:
        chunk = source.read(CHUNK_BYTES)
        if not chunk:
            break
        copied += len(chunk)
        if copied > MAX_TOTAL_BYTES:
            spool.close()
            raise PackageRefused("zip_bomb", f"The upload is larger than {human_size(MAX_TOTAL_BYTES)}.")
        spool.write(chunk)
    spool.seek(0)
    return spool, spool


def _declared_entry_count(fp: IO[bytes]) -> int | None:
    """The entry count the end-of-archive record declares, read before the central directory is
    parsed (so a directory of millions of entries is refused before it is loaded)."""
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is None:
        return None
    try:
        fp.seek(0)
        record = end_record(fp)
    except _DAMAGED:
        return None
    if not record:
        return None
    return int(record[4])  # _ECD_ENTRIES_TOTAL


def open_safe_zip(source: Source) -> SafeZip:
    """Open and check a zip archive (a path or a binary file object; the caller keeps ownership of
    a file object it passes). Raises PackageRefused: not_a_zip, encrypted, unsafe_path, zip_bomb,
    invalid (unsupported compression, duplicate entries, links)."""
    owned: IO[bytes] | None = None
    if isinstance(source, str | os.PathLike):
        fp: IO[bytes] = open(source, "rb")  # closed by SafeZip.close
        owned = fp
    else:
        fp, owned = _seekable_stream(source)
    try:
        return _check(fp, owned)
    except BaseException:
        if owned is not None:
            owned.close()
        raise


def _check(fp: IO[bytes], owned: IO[bytes] | None) -> SafeZip:
    entries = _declared_entry_count(fp)
    if entries is not None and entries > 2 * MAX_FILES:
        raise PackageRefused("zip_bomb", f"The package declares {entries:,} entries; the limit is {MAX_FILES:,} files.")
    try:
        fp.seek(0)
        zf = zipfile.ZipFile(fp)
    except _DAMAGED as exc:
        raise PackageRefused("not_a_zip", "The file is not a zip archive (or the archive is truncated).") from exc
    archive = SafeZip(zf, owned)
    try:
        _check_members(archive, zf)
    except BaseException:
        zf.close()
        raise
    return archive


def _check_members(archive: SafeZip, zf: zipfile.ZipFile) -> None:
    try:
        infos = zf.infolist()
    except _DAMAGED as exc:
        raise PackageRefused("not_a_zip", "The file is not a zip archive (or the archive is truncated).") from exc
    files = [info for info in infos if not _is_dir(info)]
    if len(files) > MAX_FILES:
        raise PackageRefused("zip_bomb", f"The package holds {len(files):,} files; the limit is {MAX_FILES:,}.")
    total = 0
    total_compressed = 0
    for info in infos:
        path = normalise_member_path(info.filename)
        if info.flag_bits & _ENCRYPTED_FLAGS:
            raise PackageRefused(
                "encrypted",
                f"The zip member {info.filename!r} is encrypted. Packages must be zipped without a password.",
            )
        if _is_dir(info) or not path:
            if path:
                archive.directories.add(path)
            continue
        if _is_symlink(info):
            raise PackageRefused(
                "unsafe_path", f"The zip member {info.filename!r} is a symbolic link; packages hold plain files only."
            )
        if info.compress_type not in SUPPORTED_COMPRESSION:
            raise PackageRefused(
                "invalid",
                f"The zip member {info.filename!r} uses compression method {info.compress_type}, which is not "
                f"supported; zip the package again with standard (deflate) compression.",
            )
        if path in archive.members:
            raise PackageRefused("invalid", f"The zip archive holds the path {path!r} twice.")
        if len(path) > MAX_PATH_CHARS or any(len(part.encode()) > MAX_NAME_BYTES for part in path.split("/")):
            raise PackageRefused(
                "invalid",
                f"A zip member's name is too long to store ({len(path)} characters, starting {path[:60]!r}).",
            )
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise PackageRefused(
                "zip_bomb",
                f"The zip member {info.filename!r} unpacks from {human_size(info.compress_size)} to "
                f"{human_size(info.file_size)}, a compression ratio above {MAX_RATIO}; refused as a zip bomb.",
            )
        total += info.file_size
        total_compressed += info.compress_size
        if total > MAX_TOTAL_BYTES:
            raise PackageRefused(
                "zip_bomb",
                f"The package unpacks to more than {human_size(MAX_TOTAL_BYTES)} "
                f"(the limit was passed at member {info.filename!r}).",
            )
        archive.members[path] = info
    folders = {path.rsplit("/", n)[0] for path in archive.members for n in range(1, path.count("/") + 1)}
    for path, info in archive.members.items():
        if path in folders:
            raise PackageRefused(
                "invalid", f"The zip member {info.filename!r} is a file, and other members use it as a folder."
            )
    if total > RATIO_FLOOR_BYTES and total > MAX_RATIO * max(total_compressed, 1):
        raise PackageRefused(
            "zip_bomb",
            f"The package unpacks from {human_size(total_compressed)} to {human_size(total)}, a compression "
            f"ratio above {MAX_RATIO}; refused as a zip bomb.",
        )
    archive.total_bytes = total


def extract_to_storage(zip_source: Source | SafeZip, *, storage: Storage, prefix: str) -> tuple[int, int]:
    """Write every file of the package under `prefix` in `storage`, one member at a time in chunks
    (never the whole archive in memory), with the same checks as open_safe_zip. Returns (files,
    bytes) written. On any failure the files written so far are deleted before the error is raised.
    Junk that macOS adds (__MACOSX/) is left out."""
    from django.core.files import File

    archive = zip_source if isinstance(zip_source, SafeZip) else open_safe_zip(zip_source)
    base = prefix.strip("/")
    written: list[str] = []
    current = ""
    count = 0
    size = 0
    try:
        for path, info in archive.members.items():
            if path.startswith(JUNK_PREFIXES):
                continue
            target = current = posixpath.join(base, path) if base else path
            content = File(archive.open_member(path), name=posixpath.basename(path))  # type: ignore[arg-type]
            content.size = info.file_size
            saved = storage.save(target, content)
            written.append(saved)
            current = ""
            if saved != target:
                raise PackageRefused(
                    "invalid", f"The zip member {info.filename!r} collides with another file of the package."
                )
            count += 1
            size += info.file_size
    except BaseException:
        if current and storage.exists(current):  # a file the storage began and did not finish
            written.append(current)
        for name in written:
            storage.delete(name)
        raise
    finally:
        if archive is not zip_source:
            archive.close()
    return count, size
