"""Areas depend one way: procedures never import an area built on them (consultations asks
procedures, not the reverse), no module dodges an import cycle with a late import, and no module
borrows a blueprint's helpers (they live in workflow/core/web.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import workflow

PACKAGE = Path(workflow.__file__).parent
ROOT = PACKAGE.parent
# Late imports of the package's own modules that are not there to dodge a cycle, and why.
LATE_ALLOWED = {
    # The package's __init__ loads the commands (and with them every area) only when an app is
    # built: importing any one module of the package must not import all the others.
    "workflow/__init__.py",
}


def _late_imports(path: Path) -> list[str]:
    """`from workflow… import` / `import workflow…` statements inside a function body."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            names = []
            if isinstance(inner, ast.ImportFrom) and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            found += [f"{node.name}: {n}" for n in names if n.split(".")[0] == "workflow"]
    return found


def test_no_module_imports_the_package_late_to_dodge_a_cycle() -> None:
    late = {
        str(path.relative_to(ROOT)): _late_imports(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if str(path.relative_to(ROOT)) not in LATE_ALLOWED
    }
    assert {module: found for module, found in late.items() if found} == {}


def test_procedures_never_import_consultations() -> None:
    """Loading the whole procedures area (and what it imports) leaves consultations unloaded:
    the adoption's citation reaches the procedure through procedures.hooks.cites_on_record."""
    modules = [f"workflow.procedures.{p.stem}" for p in (PACKAGE / "procedures").glob("*.py")]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('workflow.consultations')))\n"
    )
    result = subprocess.run(  # noqa: S603  (our own interpreter and a fixed script)
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


BLUEPRINT_MODULES = {"views", "api", "albo", "login"}


def _blueprint_imports(path: Path) -> list[str]:
    """Imports of a blueprint module (…views, …api, …albo, …login) or of a name from one."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workflow."):
            module = node.module or ""
            names = {alias.name for alias in node.names}
            if module.rsplit(".", 1)[-1] in BLUEPRINT_MODULES or names & BLUEPRINT_MODULES:
                found.append(module)
        elif isinstance(node, ast.Import):
            found += [
                a.name
                for a in node.names
                if a.name.startswith("workflow.") and a.name.rsplit(".", 1)[-1] in BLUEPRINT_MODULES
            ]
    return found


def test_no_module_imports_a_blueprint() -> None:
    """A blueprint is registered by the app factory (by name), never imported for its helpers:
    the JSON body, the version, ISO dates, a PDF download are in workflow/core/web.py."""
    imports = {
        str(path.relative_to(ROOT)): _blueprint_imports(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if str(path.relative_to(ROOT)) not in LATE_ALLOWED  # the factory registers them
    }
    assert {module: found for module, found in imports.items() if found} == {}
