"""The architecture's first boundary, checked on the source: the marketplace (the provider's side)
and the academy's apps never import each other. Both may use core/ and the pure parsers of content/."""

import ast
from pathlib import Path

import coursebridge

SOURCE = Path(coursebridge.__file__).parent
ACADEMY_APPS = {"accounts", "catalog", "learning", "content", "connectors", "records", "reporting", "programs", "web"}
# The content modules that are pure code (no models, no views): what the marketplace validates packages with.
PURE_CONTENT = {"aicc", "hacp", "packages", "safezip", "scorm", "inspect"}


def imports_of(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def app_of(module: str) -> tuple[str, str]:
    parts = module.split(".")
    return (parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")


def test_the_marketplace_imports_no_academy_app():
    wrong = []
    for path in sorted((SOURCE / "marketplace").rglob("*.py")):
        for line, module in imports_of(path):
            if not module.startswith("coursebridge."):
                continue
            app, sub = app_of(module)
            if app in ACADEMY_APPS and not (app == "content" and sub in PURE_CONTENT):
                wrong.append(f"{path.relative_to(SOURCE)}:{line} imports {module}")
    assert wrong == []


def test_no_academy_app_imports_the_marketplace():
    wrong = [
        f"{path.relative_to(SOURCE)}:{line} imports {module}"
        for app in sorted(ACADEMY_APPS)
        for path in sorted((SOURCE / app).rglob("*.py"))
        for line, module in imports_of(path)
        if module.startswith("coursebridge.marketplace")
    ]
    assert wrong == []


def test_the_check_sees_an_import_where_it_is():
    sample = SOURCE / "web" / "demo.py"
    assert any(module.startswith("coursebridge.core.demo") for _, module in imports_of(sample))
