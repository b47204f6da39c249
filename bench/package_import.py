"""Importing a big package: `python -m bench.package_import --label sqlite` with DATABASE_URL set
(`python -m bench` runs it after the catalogue benchmarks of each database).

A SCORM 1.2 package of SIZE_MB (200 by default) is generated once in the var folder: a manifest, a
page, and incompressible media files, as real video-heavy courses are. It is imported through
package_import, the code the upload, the API and the command line share, in a fresh process that has
only loaded Django and the import code, so what that process holds on top is the import's own:

- package_import_<size>mb_peak_memory_<label>: growth of the resident set, from just before the
  import to its peak (ru_maxrss), in MB. Target: under 150 MB.
- package_import_<size>mb_python_peak_<label>: tracemalloc's peak of Python allocations during a
  second import, in MB.
- package_import_<size>mb_seconds_<label>: the first import's wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from bench.memory import peak_mb, resident_mb

PROJECT_DIR = Path(__file__).resolve().parent.parent
TARGET_MB = 150
MEDIA_FILE_MB = 4
CHUNK = 1024 * 1024
ACADEMY_SLUG = "bench-packages"

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="bench.package.{size_mb}mb" version="1"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>Bench package ({size_mb} MB)</title>
    <item identifier="item-1" identifierref="res-1"><title>Video lesson</title></item>
  </organization></organizations>
  <resources><resource identifier="res-1" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/>{files}
  </resource></resources>
</manifest>
"""


def var_dir() -> Path:
    return Path(os.environ.get("CB_VAR_DIR") or PROJECT_DIR / "var" / "bench")


def generate(path: Path, size_mb: int) -> Path:
    """The package, written member by member in 1 MB chunks of random bytes (stored: they do not
    compress). Kept between runs: it is generated only when missing or of another size."""
    media = [f"media/clip-{n:03d}.bin" for n in range(max(1, size_mb // MEDIA_FILE_MB))]
    per_file = size_mb * CHUNK // len(media)
    if path.exists() and path.stat().st_size >= size_mb * CHUNK:
        with zipfile.ZipFile(path) as existing:
            stored = sum(i.file_size for i in existing.infolist() if i.filename.startswith("media/"))
        if stored == per_file * len(media):
            return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        files = "".join(f'\n    <file href="{name}"/>' for name in media)
        archive.writestr("imsmanifest.xml", MANIFEST.format(size_mb=size_mb, files=files))
        archive.writestr("index.html", "<!doctype html><title>Video lesson</title><video src='media/clip-000.bin'>")
        for name in media:
            with archive.open(name, "w", force_zip64=True) as member:
                left = per_file
                while left:
                    step = min(CHUNK, left)
                    member.write(os.urandom(step))
                    left -= step
    partial.replace(path)
    return path


def measure(path: Path, *, traced: bool) -> dict[str, float]:
    """One import in this process (a fresh one: see main). Returns rss_growth_mb, python_peak_mb, seconds."""
    import tracemalloc

    from coursebridge.accounts.models import Academy
    from coursebridge.content.models import Package
    from coursebridge.content.services import package_import, storage_delete_tree

    academy = Academy.objects.get(slug=ACADEMY_SLUG)
    before = resident_mb()
    if traced:
        tracemalloc.start()
    began = time.perf_counter()
    result = package_import(academy=academy, source=path, filename=path.name, by=None, on_duplicate="copy")
    seconds = time.perf_counter() - began
    python_peak = tracemalloc.get_traced_memory()[1] / CHUNK if traced else 0.0
    if traced:
        tracemalloc.stop()
    growth = max(0.0, peak_mb() - before)
    storage_delete_tree(prefix=result.package.storage_prefix)
    Package.objects.filter(pk=result.package.pk).update(storage_prefix="")
    return {"rss_growth_mb": growth, "python_peak_mb": python_peak, "seconds": seconds,
            "files": result.package.file_count, "bytes": result.package.size_bytes}


def run_measurement(path: Path, *, traced: bool) -> dict[str, float]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "coursebridge.config.settings"}
    command = [sys.executable, "-m", "bench.package_import", "--measure", str(path)]
    if traced:
        command.append("--traced")
    done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    return json.loads(done.stdout.strip().splitlines()[-1])


def set_up() -> None:
    from django.core.management import call_command

    from coursebridge.accounts.models import Academy
    from coursebridge.accounts.services import academy_create

    call_command("migrate", interactive=False, verbosity=0)
    if not Academy.objects.filter(slug=ACADEMY_SLUG).exists():
        academy_create(slug=ACADEMY_SLUG, name="Bench Packages")


def line(name: str, value: float, unit: str) -> str:
    return f"bench: {name} {value:.{2 if unit == 's' else 1}f} {unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="sqlite", help="suffix of every figure: sqlite or postgres")
    parser.add_argument("--size-mb", type=int, default=200, help="size of the generated package")
    parser.add_argument("--measure", metavar="FILE", help=argparse.SUPPRESS)  # the fresh measuring process
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursebridge.config.settings")
    import django

    django.setup()
    if args.measure:
        # Load the import code before the baseline, so the figure is the import, not the modules.
        import coursebridge.content.inspect
        import coursebridge.content.safezip
        import coursebridge.content.services  # noqa: F401

        print(json.dumps(measure(Path(args.measure), traced=args.traced)), flush=True)
        return 0
    set_up()
    path = generate(var_dir() / f"package-{args.size_mb}mb.zip", args.size_mb)
    first = run_measurement(path, traced=False)
    second = run_measurement(path, traced=True)
    prefix = f"package_import_{args.size_mb}mb"
    print(line(f"{prefix}_peak_memory_{args.label}", first["rss_growth_mb"], "MB"), flush=True)
    print(line(f"{prefix}_python_peak_{args.label}", second["python_peak_mb"], "MB"), flush=True)
    print(line(f"{prefix}_seconds_{args.label}", first["seconds"], "s"), flush=True)
    if first["rss_growth_mb"] >= TARGET_MB:
        print(f"package import peak memory {first['rss_growth_mb']:.1f} MB is over the {TARGET_MB} MB target",
              file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
