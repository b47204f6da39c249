from __future__ import annotations

import subprocess
import sys


def test_coursebridge_command_lists_its_own_and_djangos_commands():
    result = subprocess.run(
        [sys.executable, "-m", "coursebridge.cli", "help"], capture_output=True, text=True, check=True
    )

    for command in ("run", "worker", "demo", "migrate", "createsuperuser"):
        assert f"    {command}\n" in result.stdout, command
