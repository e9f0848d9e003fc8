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
               "statistics", "operator", "highspy", "decimal", "numbers", "types", "concurrent", "copy", "contextlib",
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
    from setu.app.registry import CAPABILITIES

    for pkg in (*CAPABILITIES, "kit", "engine"):
        if pkg == "overview":
            continue  # the home page is tested with the pages it summarises (tests/overview once it has rules)
        assert (ROOT / "tests" / pkg).is_dir(), pkg
    assert not (ROOT / "tests" / "app").exists(), "tests mirror packages: tests/<capability>/, not tests/app/"


def test_every_cli_command_declares_a_permission():
    from setu.app.cli import command_permissions
    from setu.kit.access import permission

    perms = command_permissions()
    assert "import parts" in perms and "db upgrade" in perms and "forecast run" in perms
    missing = [p for p, name in perms.items() if not name]
    assert not missing, f"CLI commands without a permission declaration: {missing}"
    for name in perms.values():
        permission(name)  # declared in a policies registry


# -- the house (docs/architecture.md) ---------------------------------------------------------

#: The file names a capability package may hold (DESIGN.md section 5), and the extras a capability
#: keeps with the reason written in docs/architecture.md.
CAPABILITY_FILES = {"__init__.py", "models.py", "schemas.py", "rules.py", "policies.py", "repository.py",
                    "service.py", "tables.py", "api.py", "web.py", "cli.py",
                    # the PDF / Excel documents of a record (adapters.pdf with the capability's template):
                    # an outer file like api/web/cli, so the service stays free of Jinja and WeasyPrint
                    "documents.py"}
EXTRA_FILES = {
    "identity": {"auth.py"},         # authentication use cases (passwords, sessions, tokens): service-level
    "identity/": {"account_web.py"},  # sign-in and account pages, next to web.py
    "readiness": {"approval.py"},
}


def _capabilities():
    from setu.app.registry import CAPABILITIES

    return CAPABILITIES


def _imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def test_capability_packages_hold_only_the_known_file_names():
    bad = []
    for cap in _capabilities():
        allowed = CAPABILITY_FILES | EXTRA_FILES.get(cap, set()) | EXTRA_FILES.get(f"{cap}/", set())
        for path in (SRC / cap).glob("*.py"):
            if path.name not in allowed:
                bad.append(f"{cap}/{path.name}")
    assert not bad, f"files outside the capability layout: {bad}"


def test_the_composition_root_holds_three_files_and_nobody_imports_it():
    assert {p.name for p in (SRC / "app").glob("*.py")} <= {"__init__.py", "main.py", "cli.py", "registry.py"}
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("app", "migrations") or rel.name == "__main__.py":
            continue
        offenders += [f"{rel}:{n}: {m}" for n, m in _imports(path) if m == "setu.app" or m.startswith("setu.app.")]
    assert not offenders, offenders


def test_no_capability_imports_another_ones_adapters_or_queries():
    caps = set(_capabilities())
    offenders = []
    for cap in caps:
        for path in (SRC / cap).rglob("*.py"):
            for n, m in _imports(path):
                parts = m.split(".")
                if len(parts) >= 3 and parts[0] == "setu" and parts[1] in caps and parts[1] != cap \
                        and parts[2] in ("repository", "api", "web", "cli"):
                    offenders.append(f"{cap}/{path.name}:{n}: {m}")
    assert not offenders, offenders


def _calls(path: Path, names: set[str]) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if name in names:
                lines.append(node.lineno)
    return lines


def test_commit_and_rollback_only_in_the_kit_and_the_adapters():
    allowed_dirs = {"kit", "adapters", "migrations"}
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in allowed_dirs:
            continue
        offenders += [f"{rel}:{n}" for n in _calls(path, {"commit", "rollback"})]
    assert not offenders, f"commit/rollback outside kit and adapters: {offenders}"


def test_queries_only_in_repositories_and_the_kit():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("kit", "migrations", "engine") or rel.name == "repository.py":
            continue
        offenders += [f"{rel}:{n}" for n in _calls(path, {"select"})]
    assert not offenders, f"select( outside repositories and kit: {offenders}"


def test_every_permission_literal_is_declared():
    """Every permission name the code uses (in ``needs``, ``require``, ``require_object``, ``can``,
    ``declare``, ``permission``, ``NavEntry``, ``Transition``, templates' ``me.can(...)``) is declared
    in a policies registry: a misspelt name anywhere fails here."""
    import re

    from setu.app import registry
    from setu.kit.access import declared

    registry.load_policies()
    import setu.adapters.jobs  # noqa: F401  (declares kit.job.read)

    names = set(declared())
    calls = {"needs", "require", "require_object", "require_not_own", "can", "permission", "NavEntry",
             "Transition"}
    perm = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*\.[a-z][a-z_]*$")
    used = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                f = node.func
                fname = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
                if fname in calls:
                    for a in node.args:
                        if isinstance(a, ast.Constant) and isinstance(a.value, str) and perm.match(a.value):
                            used.append((path, a.value))
    for path in SRC.rglob("*.html"):
        used += [(path, m) for m in re.findall(r"can\([\"']([a-z_.]+)[\"']\)", path.read_text())]
    assert len(used) > 100
    undeclared = sorted({f"{p.relative_to(SRC)}: {n}" for p, n in used if n not in names})
    assert not undeclared, undeclared


def test_every_state_changing_api_route_accepts_an_idempotency_key():
    """The idempotency middleware sits inside authentication and covers every POST, PUT, PATCH and
    DELETE under /api/; the OpenAPI description states the header on each of them."""
    from setu.app.main import create_app
    from setu.adapters.http import iter_routes
    from setu.kit.db import make_engine
    from setu.kit.idempotency_asgi import IdempotencyMiddleware

    app = create_app(make_engine("sqlite://"))
    mw = [m for m in app.user_middleware if m.cls is IdempotencyMiddleware]
    assert len(mw) == 1
    writes = [(p, m) for p, ms, _ in iter_routes(app) for m in ms
              if m in {"POST", "PUT", "PATCH", "DELETE"} and p.startswith("/api/")]
    assert len(writes) > 10
    middleware = IdempotencyMiddleware(app=None, engine=None)
    assert all(p.startswith(middleware.prefix) and m in middleware.methods for p, m in writes)
    spec = app.openapi()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in ("post", "put", "patch", "delete"):
                names = [q["name"] for q in op.get("parameters", [])]
                assert "Idempotency-Key" in names, (method, path)
