"""docs/adding-a-capability.md, tried: an empty capability written by the recipe joins the app,
the navigation, the API, the CLI and the permission registry with one line in the registry."""
from __future__ import annotations

import textwrap

import setu

FILES = {
    "__init__.py": '"""Probe: a capability with nothing but one of each part."""\n',
    "policies.py": """
        from setu.kit.access import declare

        declare("probe.thing.read")
        declare("probe.thing.approve", object_rule="not_own_request")
    """,
    "api.py": """
        from fastapi import APIRouter, Depends

        from setu.adapters.http import needs, problem_responses

        router = APIRouter(tags=["probe"], responses=problem_responses(403))


        @router.get("/probe/things", dependencies=[Depends(needs("probe.thing.read"))])
        def list_things():
            return {"items": []}
    """,
    "web.py": """
        from fastapi import APIRouter, Depends, Request
        from fastapi.responses import HTMLResponse

        from setu.adapters.http import needs
        from setu.adapters.pages import NavEntry, render

        router = APIRouter(include_in_schema=False)
        NAV = [NavEntry("Probe", "/probe", "probe", "probe.thing.read", order=99)]


        @router.get("/probe", response_class=HTMLResponse, dependencies=[Depends(needs("probe.thing.read"))])
        def probe_page(request: Request):
            return render(request, "probe/index.html", {}, section="probe")
    """,
    "cli.py": """
        import typer

        from setu.adapters.console import permission

        app = typer.Typer(name="probe", no_args_is_help=True)


        @app.command("things")
        @permission("probe.thing.read")
        def things() -> None:
            typer.echo("no things")
    """,
}


def test_an_empty_capability_joins_with_one_line_in_the_registry(tmp_path, engine, monkeypatch):
    from fastapi.testclient import TestClient

    from setu.app import registry
    from setu.app.main import create_app
    from setu.kit.access import permission
    from tests.support.auth import ensure_user, token_for

    pkg = tmp_path / "setu" / "probe"
    (pkg / "templates" / "probe").mkdir(parents=True)
    for name, body in FILES.items():
        (pkg / name).write_text(textwrap.dedent(body).lstrip())
    (pkg / "templates" / "probe" / "index.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Probe page</h1>{% endblock %}')
    monkeypatch.setattr(setu, "__path__", [*setu.__path__, str(tmp_path / "setu")])

    names = (*registry.CAPABILITIES, "probe")  # the one line
    app = create_app(engine, capabilities=names)
    assert permission("probe.thing.approve").object_rule == "not_own_request"
    assert "probe" in [c.name for c in registry.capabilities(names)]

    ensure_user(engine, "ind.planner")
    with TestClient(app) as c:
        r = c.get("/api/v1/probe/things", headers={"Authorization": f"Bearer {token_for(engine, 'ind.planner')}"})
        assert r.status_code == 200 and r.json() == {"items": []}
    from setu.adapters.pages import NAV

    assert ("Probe", "/probe") in [(e.label, e.href) for e in NAV]
    typer_apps = {a.info.name for a in registry.cli_apps(names)}
    assert "probe" in typer_apps
