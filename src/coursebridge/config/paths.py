"""Where coursebridge keeps its files, and the secrets it generates on first run."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

PROJECT_DIR = Path(__file__).resolve().parents[3]


def var_dir() -> Path:
    """The writable folder: CB_VAR_DIR, else var/ beside the project."""
    path = Path(os.environ.get("CB_VAR_DIR") or PROJECT_DIR / "var")
    path.mkdir(parents=True, exist_ok=True)
    return path


def generated_secret(name: str, make: str = "token") -> str:
    """Read var/NAME, creating it (mode 0600) with a fresh random value the first time."""
    path = var_dir() / name
    if path.exists():
        return path.read_text().strip()
    value = Fernet.generate_key().decode() if make == "fernet" else secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
