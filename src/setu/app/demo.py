"""`setu demo load`: fill a database with the deterministic demo data set.

Generation is pure (:mod:`setu.app.demo_data`); this module only writes it, in bulk (Core
``insert()`` executemany in chunks on the session's connection), inside one write unit of work:
either the whole data set lands or nothing does.

Loading into a database that already has parts is refused unless ``--force`` (load alongside the
existing data; a clash with it, e.g. the demo data loaded before, rolls everything back with a
clear message) or ``--if-empty`` (do nothing and say so: what ``make run`` uses).

Hook for later slices: a function appended to :data:`POST_LOAD_HOOKS` is called as
``hook(uow, data)`` inside the same unit of work after the data set is written and before the
commit, and may return ``{table: rows added}`` for the summary. The identity slice adds its demo
users per persona this way, using ``data.organisation_ids`` / ``data.party_ids`` (codes as in
:data:`setu.app.demo_data.ORGANISATIONS`).

Audit: the bulk inserts bypass ORM flush events; when the audit hook lands, this loader should
write one audit entry ``demo.load`` (scale, seed, counts) for the whole load.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import typer
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from setu.app.demo_data import BASE_PARTS, DEFAULT_SEED, DemoData, generate
from setu.kit.access import system_actor
from setu.kit.db import Base, make_engine, upgrade_database, utcnow
from setu.kit.uow import UnitOfWork

#: Called as ``hook(uow, data)`` after the data set is written, before the commit.
POST_LOAD_HOOKS: list[Callable[[UnitOfWork, DemoData], dict[str, int] | None]] = []

CHUNK_ROWS = 10_000


class DemoDataPresent(RuntimeError):
    """The database already holds parts and neither ``force`` nor ``if_empty`` was given."""


@dataclass
class LoadResult:
    loaded: bool
    message: str
    counts: dict[str, int] = field(default_factory=dict)
    generate_s: float = 0.0
    write_s: float = 0.0


def _model_tables() -> None:
    """Import every model module so that ``Base.metadata`` knows the demo tables."""
    import setu.catalog.models  # noqa: F401
    import setu.demand.models  # noqa: F401
    import setu.fleet.models  # noqa: F401
    import setu.identity.models  # noqa: F401


def count_parts(engine: Engine) -> int:
    from setu.catalog.models import Part

    with UnitOfWork(system_actor("demo"), engine=engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Part)) or 0)


def write_demo(uow: UnitOfWork, data: DemoData, *, chunk_rows: int = CHUNK_ROWS,
               progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write ``data`` with bulk inserts on the unit of work's connection. Never commits."""
    _model_tables()
    conn = uow.session.connection()
    now = utcnow()
    common = {"created_at": now, "updated_at": now, "version": 1}
    counts: dict[str, int] = {}
    for name, table in data.tables.items():
        target = Base.metadata.tables[name]
        n = len(table)
        for start in range(0, n, chunk_rows):
            rows = table.rows(start, start + chunk_rows)
            for r in rows:
                r.update(common)
            conn.execute(insert(target), rows)
            if progress:
                progress(name, len(rows))
        counts[name] = n
    for hook in POST_LOAD_HOOKS:
        counts.update(hook(uow, data) or {})
    return counts


def load_demo(*, url: str | None = None, engine: Engine | None = None, scale: int = 1, seed: int = DEFAULT_SEED,
              if_empty: bool = False, force: bool = False, migrate: bool = True,
              progress: Callable[[str, int], None] | None = None) -> LoadResult:
    """Generate the demo data set and load it into the database at ``url`` (or ``engine``)."""
    if engine is None:
        if url is None:
            from setu.kit.settings import get_settings

            url = get_settings().database_url
        if migrate:
            upgrade_database(url)
        engine = make_engine(url)
        own_engine = True
    else:
        own_engine = False
    try:
        existing = count_parts(engine)
        if existing and if_empty:
            return LoadResult(False, f"database already has {existing:,} parts: demo data not loaded (--if-empty)")
        if existing and not force:
            raise DemoDataPresent(
                f"database already has {existing:,} parts; refusing to load the demo data on top "
                "(use --if-empty to skip quietly, or --force to load alongside the existing data)")
        t0 = time.perf_counter()
        data = generate(scale=scale, seed=seed)
        t1 = time.perf_counter()
        with UnitOfWork(system_actor("demo"), write=True, engine=engine) as uow:
            # re-check inside the write transaction (holds the write lock on SQLite)
            if not force and count_in(uow):
                return LoadResult(False, "another writer loaded parts meanwhile: demo data not loaded")
            counts = write_demo(uow, data, progress=progress)
            uow.commit()
        t2 = time.perf_counter()
        return LoadResult(True, "demo data loaded", counts, t1 - t0, t2 - t1)
    finally:
        if own_engine:
            engine.dispose()


def count_in(uow: UnitOfWork) -> int:
    from setu.catalog.models import Part

    return int(uow.session.scalar(select(func.count()).select_from(Part)) or 0)


# ---- CLI ---------------------------------------------------------------------------------

demo_app = typer.Typer(help="Demo data: a deterministic, realistic data set for trying Setu out.",
                       no_args_is_help=True)


@demo_app.command("load")
def load(
    scale: int = typer.Option(1, "--scale", min=1,
                              help=f"multiply parts ({BASE_PARTS:,} per unit of scale) and equipment units"),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="random seed: the same seed gives the same data"),
    if_empty: bool = typer.Option(False, "--if-empty", help="do nothing (and say so) when the database has parts"),
    force: bool = typer.Option(False, "--force", help="load even though the database already has data"),
    database_url: str = typer.Option(None, "--database-url", envvar="SETU_DATABASE_URL",
                                     help="database (default: SETU_DATABASE_URL or the embedded SQLite file)"),
) -> None:
    """Load the demo data set (parties, organisations, sites, fleet, parts, BOMs, demand, stock)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(name: str, n: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=None)
            bar.advance(tasks[name], n)

        try:
            res = load_demo(url=database_url, scale=scale, seed=seed, if_empty=if_empty, force=force,
                            progress=progress)
        except DemoDataPresent as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
        except Exception as exc:  # an integrity clash under --force: nothing was written
            from sqlalchemy.exc import IntegrityError

            if isinstance(exc, IntegrityError):
                console.print("[red]error:[/red] the demo data clashes with data already in the database "
                              f"(nothing was written): {str(exc.orig).splitlines()[0]}")
                raise typer.Exit(1) from None
            raise
    if not res.loaded:
        console.print(res.message)
        return
    table = Table(title=f"demo data, scale {scale}, seed {seed}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in res.counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(f"generated in {res.generate_s:.1f} s, written in {res.write_s:.1f} s "
                  f"(total {res.generate_s + res.write_s:.1f} s)")
