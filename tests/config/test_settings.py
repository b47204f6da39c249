"""Settings come from the environment; secrets are generated once into the var folder."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'secret': s.SECRET_KEY, 'key': s.ENCRYPTION_KEY, 'db': s.DATABASES['default']['NAME'], "
    "'engine': s.DATABASES['default']['ENGINE'], 'broker': s.CELERY_BROKER_URL, "
    "'embedded': s.CELERY_EMBEDDED_BROKER, 'debug': s.DEBUG}))"
)


def settings_in(var_dir: Path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CB_BROKER_URL", "SECRET_KEY"}}
    clean.update({"CB_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "coursebridge.config.settings", **env})
    out = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], env=clean, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_first_run_generates_secrets_into_var_and_keeps_them(tmp_path):
    first = settings_in(tmp_path)
    second = settings_in(tmp_path)

    assert first["secret"] == second["secret"]
    assert first["key"] == second["key"]
    assert len(first["secret"]) >= 50
    for name in ("secret_key", "encryption_key"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, name


def test_defaults_are_an_embedded_database_and_broker_under_var(tmp_path):
    values = settings_in(tmp_path)

    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["db"] == str(tmp_path / "coursebridge.sqlite3")
    assert values["broker"] == f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    assert values["embedded"] is True
    assert values["debug"] is False


def test_environment_overrides_database_broker_and_secret(tmp_path):
    values = settings_in(
        tmp_path,
        DATABASE_URL="postgres://postgres@db.internal:5432/coursebridge",
        CB_BROKER_URL="redis://cache.internal:6379/0",
        SECRET_KEY="s" * 60,
    )

    assert values["engine"] == "django.db.backends.postgresql"
    assert values["db"] == "coursebridge"
    assert values["broker"] == "redis://cache.internal:6379/0"
    assert values["embedded"] is False
    assert values["secret"] == "s" * 60
    assert not (tmp_path / "secret_key").exists()


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "CB_VAR_DIR": str(tmp_path),
        "CB_SECURE": "1",
        "CB_ALLOWED_HOSTS": "learn.example.org",
        "SECRET_KEY": "k" * 30 + "Zq8#x" * 10,
    }
    env.pop("CB_DEBUG", None)
    env.pop("CB_TESTING", None)
    result = subprocess.run(
        [sys.executable, "-m", "coursebridge.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only: pragmas are SQLite's connection "
                    "settings; PostgreSQL connections have none to check")
def test_sqlite_connections_get_a_big_page_cache_and_no_memory_map():
    """Decision 43 and its revision: no memory map, which SQLite unmaps at each transaction after
    another connection's write."""
    pragmas = [statement.strip() for statement in settings.DATABASES["default"]["OPTIONS"]["init_command"].split(";")]

    assert pragmas == ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
                       "PRAGMA cache_size=-65536", "PRAGMA mmap_size=0", "PRAGMA temp_store=MEMORY", ""]
