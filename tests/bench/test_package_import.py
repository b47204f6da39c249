"""The package import benchmark: the generated package, and one measured import."""

import zipfile

import pytest
from bench.package_import import ACADEMY_SLUG, generate, line, measure

from coursebridge.accounts.services import academy_create
from coursebridge.content.inspect import inspect_package
from coursebridge.content.models import Package


def test_the_generated_package_is_a_valid_scorm_package_of_the_size_asked(tmp_path):
    path = generate(tmp_path / "p.zip", 8)

    with zipfile.ZipFile(path) as archive:
        media = [i for i in archive.infolist() if i.filename.startswith("media/")]
        assert [i.filename for i in media] == ["media/clip-000.bin", "media/clip-001.bin"]
        assert [i.file_size for i in media] == [4 * 1024 * 1024, 4 * 1024 * 1024]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in media)
    parsed = inspect_package(str(path))
    assert (parsed.format, parsed.identifier, [u.launch for u in parsed.units]) == (
        "scorm12", "bench.package.8mb", ["index.html"],
    )


def test_an_existing_package_of_the_right_size_is_kept(tmp_path):
    path = generate(tmp_path / "p.zip", 4)
    first = path.stat().st_mtime_ns

    assert generate(path, 4).stat().st_mtime_ns == first
    assert generate(path, 8).stat().st_size > 8 * 1024 * 1024


@pytest.mark.django_db
def test_a_measured_import_reports_its_figures_and_removes_its_files(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    academy_create(slug=ACADEMY_SLUG, name="Bench Packages")
    path = generate(tmp_path / "p.zip", 4)

    figures = measure(path, traced=True)

    with zipfile.ZipFile(path) as archive:
        total = sum(i.file_size for i in archive.infolist())
    assert (figures["files"], figures["bytes"]) == (3, total)
    assert total > 4 * 1024 * 1024
    assert figures["seconds"] > 0
    assert 0 < figures["python_peak_mb"] < 50
    assert figures["rss_growth_mb"] >= 0
    assert Package.objects.get().storage_prefix == ""
    assert not any(p.is_file() for p in (tmp_path / "media").rglob("*"))


def test_figures_print_like_the_other_benchmarks():
    assert line("package_import_200mb_peak_memory_sqlite", 42.345, "MB") == (
        "bench: package_import_200mb_peak_memory_sqlite 42.3 MB"
    )
    assert line("package_import_200mb_seconds_sqlite", 3.14159, "s") == (
        "bench: package_import_200mb_seconds_sqlite 3.14 s"
    )
