"""Architecture rules checked by tools, not by memory."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "setu"
PUBLIC = {"/health", "/login", "/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/oauth2-redirect"}


def test_import_linter_contracts_hold():
    exe = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(exe), "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_engine_imports_nothing_but_numeric_libraries():
    allowed = {"numpy", "scipy", "math", "dataclasses", "typing", "collections", "functools", "itertools",
               "__future__", "heapq", "bisect", "enum", "abc", "warnings", "os", "time", "json", "re", "setu",
               "statistics", "operator", "highspy", "numbers", "types", "concurrent", "copy", "contextlib",
               "ctypes"}  # ctypes: the readiness engine hands freed heap back to the OS (malloc_trim, glibc)
    bad = []
    for path in (SRC / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for n in names:
                top = n.split(".")[0]
                if top not in allowed or (top == "setu" and not n.startswith("setu.engine")):
                    bad.append(f"{path.relative_to(ROOT)}: {n}")
    assert not bad, bad


def test_every_route_declares_a_permission():
    from setu.app.main import create_app
    from setu.adapters.http import iter_routes, route_permission
    from setu.kit.db import make_engine

    app = create_app(make_engine("sqlite://"))
    routes = iter_routes(app)
    assert len(routes) > 50  # the walk sees the routers included into routers
    missing = [f"{sorted(m)} {p}" for p, m, r in routes if p not in PUBLIC and not route_permission(r)]
    assert not missing, f"routes without a permission declaration: {missing}"
    names = {route_permission(r) for _, _, r in routes if route_permission(r)}
    assert all(n.count(".") == 2 for n in names), names


def test_services_never_commit():
    offenders = []
    for path in SRC.rglob("service.py"):
        src = path.read_text()
        if ".commit(" in src:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


def test_tests_mirror_packages():
    for pkg in ("catalog", "fleet", "kit", "engine", "app"):
        assert (ROOT / "tests" / pkg).is_dir(), pkg


def test_every_cli_command_declares_a_permission():
    from setu.app.cli import command_permissions
    from setu.kit.access import permission

    perms = command_permissions()
    assert "import parts" in perms and "db upgrade" in perms and "forecast run" in perms
    missing = [p for p, name in perms.items() if not name]
    assert not missing, f"CLI commands without a permission declaration: {missing}"
    for name in perms.values():
        permission(name)  # declared in a policies registry
