"""`setu demo load`: fill a database with the deterministic demo data set.

Generation is pure (:mod:`setu.demo.data`); this module only writes it, in bulk (chunks of
10,000 rows on the unit of work's own connection: driver ``executemany`` on SQLite, ``COPY`` on
PostgreSQL), inside one write unit of work: either the whole data set lands or nothing does.
50,000 parts (``--scale 25``: ~530,000 demand rows, ~750,000 rows in all) load in about 20-35 s
on SQLite (``bench/bench_demo_load.py``).

Loading into a database that already has parts is refused unless ``--force`` (load alongside the
existing data; a clash with it, e.g. the demo data loaded before, rolls everything back with a
clear message) or ``--if-empty`` (do nothing and say so: what ``make run`` uses).

Hook for later slices: a function appended to :data:`POST_LOAD_HOOKS` is called as
``hook(uow, data)`` inside the same unit of work after the data set is written and before the
commit, and may return ``{table: rows added}`` for the summary. The identity slice adds its demo
users per persona this way, using ``data.organisation_ids`` / ``data.party_ids`` (codes as in
:data:`setu.demo.data.ORGANISATIONS`).

Audit: the rows go in below the ORM, so the flush hook does not see them; instead, in the same
transaction, the loader appends to the hash chain (:func:`setu.kit.audit.append`) one entry per
table, ``<table>.bulk_insert`` with the row count and a SHA-256 of the rows (the convention of
``audit_bulk_digest`` for synthetic data), and one ``demo.load`` entry with scale, seed and counts.
"""
from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import typer


from setu.adapters.console import permission
from setu.demo import finance as demo_finance
from sqlalchemy import Uuid
from sqlalchemy.engine import Engine

from setu.demo.data import BASE_PARTS, DEFAULT_SEED, MAX_SCALE, DemoData, _Gather, _LazyUuids, generate
from setu.kit import audit
from setu.kit.access import system_actor
from setu.kit.db import Base, make_engine, refresh_statistics, upgrade_database, utcnow
from setu.kit.uow import UnitOfWork, transaction

#: Called as ``hook(uow, data)`` after the data set is written, before the commit.
POST_LOAD_HOOKS: list[Callable[[UnitOfWork, DemoData], dict[str, int] | None]] = []


def _demo_users(uow: UnitOfWork, data: DemoData) -> dict[str, int]:
    from setu.demo.users import add_demo_users

    return add_demo_users(uow, data)


POST_LOAD_HOOKS.append(_demo_users)
POST_LOAD_HOOKS.append(lambda uow, data: __import__("setu.demo.localisation", fromlist=["add_demo_localisation"]).add_demo_localisation(uow, data))
POST_LOAD_HOOKS.append(lambda uow, data: __import__("setu.demo.aftersales", fromlist=["add_demo_aftersales"]).add_demo_aftersales(uow, data))

from setu.demo.ledger import write_ledger  # noqa: E402

CHUNK_ROWS = 10_000
#: Page cache (KiB) of the loading connection on SQLite.
SQLITE_LOAD_CACHE_KIB = 65_536


class DemoDataPresent(RuntimeError):
    """The database already holds parts and neither ``force`` nor ``if_empty`` was given."""


@dataclass
class LoadResult:
    loaded: bool
    message: str
    counts: dict[str, int] = field(default_factory=dict)
    generate_s: float = 0.0
    write_s: float = 0.0
    #: The demo users' sign-in details (see setu.demo.users).
    logins: list[dict[str, str]] = field(default_factory=list)


def _model_tables() -> None:
    """Import every model module so that ``Base.metadata`` knows the demo tables."""
    import setu.catalog.models  # noqa: F401
    import setu.demand.models  # noqa: F401
    import setu.fleet.models  # noqa: F401
    import setu.identity.models  # noqa: F401


def count_parts(engine: Engine) -> int:
    with UnitOfWork(system_actor("demo"), engine=engine) as uow:
        return count_in(uow)


def write_demo(uow: UnitOfWork, data: DemoData, *, chunk_rows: int = CHUNK_ROWS,
               progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write ``data`` with bulk inserts on the unit of work's connection. Never commits.

    Values are converted column by column with each column type's own bind processor for the
    connection's dialect (what SQLAlchemy would do row by row) and sent with the driver's
    ``executemany`` (SQLite) or ``COPY`` (PostgreSQL with psycopg): the ORM and per-row parameter
    handling would cost more than the database.
    """
    _model_tables()
    conn = uow.session.connection()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # a larger page cache for this load: fewer spills of dirty index pages mid-transaction
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_LOAD_CACHE_KIB}")
    now = utcnow()
    _reuse_parties(uow, data)
    counts: dict[str, int] = {}
    entries: list[dict[str, Any]] = []
    for name, table in data.tables.items():
        target = Base.metadata.tables[name]
        writer = _BulkWriter(conn, target, {"created_at": now, "updated_at": now, "version": 1}, list(table.columns))
        digest = _RowsDigest(sorted(table.columns))
        n = len(table)
        for start in range(0, n, chunk_rows):
            stop = min(n, start + chunk_rows)
            writer.write(table, start, stop)
            digest.update(table, start, stop)
            if progress:
                progress(name, stop - start)
        counts[name] = n
        if n:
            entries.append({"action": f"{name}.bulk_insert", "object_type": name, "object_id": None,
                            "after": {"rows": n, "sha256": digest.hexdigest(), "digest_of": _RowsDigest.ABOUT}})
    entries.append({"action": "demo.load", "object_type": "demo", "object_id": None,
                    "after": {"scale": data.scale, "seed": data.seed, "counts": dict(counts)}})
    audit.append(uow.session, entries)
    counts.update(demo_finance.write_rates(uow))  # dated exchange rates (setu.demo.finance)
    for hook in POST_LOAD_HOOKS:
        counts.update(hook(uow, data) or {})
    counts.update(write_ledger(uow, data))
    counts.update(__import__("setu.demo.contracts", fromlist=["write_contracts"]).write_contracts(uow, data))
    if sqlite:
        conn.exec_driver_sql("PRAGMA cache_size=-2000")  # SQLite's default, for the pooled connection
    return counts


def _reuse_parties(uow: UnitOfWork, data: DemoData) -> None:
    """Use the parties the installation already has (same code) instead of adding them again."""
    from setu.identity import repository as identity_repo

    existing = identity_repo.party_ids_by_code(uow.session)
    remap = {data.party_ids[c]: existing[c] for c in data.party_ids if c in existing}
    if not remap:
        return
    parties = data.tables["identity_party"]
    keep = [i for i, pid in enumerate(parties.columns["id"]) if pid not in remap]
    parties.columns = {k: [v[i] for i in keep] for k, v in parties.columns.items()}
    for table, col in (("identity_organisation", "party_id"), ("fleet_equipment_type", "origin_party_id"),
                       ("catalog_part", "owner_party_id")):
        cols = data.tables[table].columns
        cols[col] = [remap.get(v, v) for v in cols[col]]
    data.party_ids = {c: remap.get(v, v) for c, v in data.party_ids.items()}


class _RowsDigest:
    """SHA-256 of a table's rows as written, computed column-wise (cheap at 500,000 rows)."""

    ABOUT = ("sha256 over one line per chunk of 10,000 rows: canonical JSON {column: [values]} of the "
             "generated columns (ids, keys and values; not the timestamps)")

    def __init__(self, names: list[str]):
        self.names = names
        self.h = hashlib.sha256()
        self._cache: dict[int, list[Any]] = {}

    @staticmethod
    def _json(vals: list[Any]) -> list[Any]:
        probe = next((v for v in vals if v is not None), None)
        if isinstance(probe, (uuid.UUID, Decimal)):
            return [None if v is None else str(v) for v in vals]
        if isinstance(probe, (date, datetime)):
            return [None if v is None else v.isoformat() for v in vals]
        return vals

    def update(self, table: Any, start: int, stop: int) -> None:
        chunk = {}
        for n in self.names:
            col = table.columns[n]
            if isinstance(col, _Gather):
                key = id(col.values)
                if key not in self._cache:
                    self._cache[key] = self._json(list(col.values))
                base = self._cache[key]
                chunk[n] = [base[i] for i in col.index[start:stop].tolist()]
            else:
                vals = col[start:stop]
                chunk[n] = self._json(vals.tolist() if isinstance(vals, np.ndarray) else list(vals))
        self.h.update(audit.canonical(chunk).encode("utf-8") + b"\n")

    def hexdigest(self) -> str:
        return self.h.hexdigest()


class _BulkWriter:
    """Driver-level ``executemany`` of one table's rows (see :func:`write_demo`)."""

    def __init__(self, conn: Any, target: Any, constants: dict[str, Any], names: list[str]):
        dialect = conn.dialect
        self.conn = conn
        self.procs = {}
        for c in target.columns:
            proc = c.type.dialect_impl(dialect).bind_processor(dialect)
            self.procs[c.name] = proc
        self.names = names
        self.constants = {k: (self.procs[k](v) if self.procs[k] else v) for k, v in constants.items()
                          if k in target.columns and k not in names}
        cols = names + list(self.constants)
        if dialect.paramstyle == "qmark":
            marks = ", ".join("?" for _ in cols)
        elif dialect.paramstyle in ("format", "pyformat"):
            marks = ", ".join("%s" for _ in cols)
        else:  # pragma: no cover - Setu supports SQLite (qmark) and PostgreSQL/psycopg (format)
            raise RuntimeError(f"the demo loader writes to SQLite and PostgreSQL; the {dialect.name} driver "
                               f"uses the unsupported paramstyle {dialect.paramstyle!r}")
        prep = dialect.identifier_preparer
        column_list = ", ".join(prep.quote(c) for c in cols)
        self.sql = f"INSERT INTO {prep.format_table(target)} ({column_list}) VALUES ({marks})"
        # PostgreSQL with psycopg 3: COPY ... FROM STDIN on the transaction's own connection
        self.copy_sql = (f"COPY {prep.format_table(target)} ({column_list}) FROM STDIN"
                         if dialect.name == "postgresql" and dialect.driver == "psycopg" else None)
        probe = uuid.UUID(int=1)
        self.uuid_hex = {k for k, c in target.columns.items()
                         if isinstance(c.type, Uuid) and self.procs[k] is not None and self.procs[k](probe) == probe.hex}
        self._gathered: dict[tuple[str, int], list[Any]] = {}

    def _column(self, name: str, col: Any, start: int, stop: int) -> list[Any]:
        proc = self.procs[name]
        if isinstance(col, _LazyUuids) and name in self.uuid_hex:
            h = col.raw[start * 16:stop * 16].hex()
            return [h[i:i + 32] for i in range(0, len(h), 32)]
        if isinstance(col, _Gather) and proc is not None:
            key = (name, id(col.values))
            if key not in self._gathered:
                self._gathered[key] = [None if v is None else proc(v) for v in col.values]
            base = self._gathered[key]
            return [base[i] for i in col.index[start:stop].tolist()]
        vals = col[start:stop]
        vals = vals.tolist() if isinstance(vals, np.ndarray) else list(vals)
        if proc is not None:
            vals = [None if v is None else proc(v) for v in vals]
        return vals

    def write(self, table: Any, start: int, stop: int) -> None:
        cols = [self._column(n, table.columns[n], start, stop) for n in self.names]
        consts = tuple(self.constants.values())
        rows = [r + consts for r in zip(*cols)]
        if self.copy_sql:
            with self.conn.connection.dbapi_connection.cursor() as cur, cur.copy(self.copy_sql) as cp:
                for r in rows:
                    cp.write_row(r)
        else:
            self.conn.exec_driver_sql(self.sql, rows)


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
        with transaction(system_actor("demo"), engine=engine) as uow:
            # re-check inside the write transaction (holds the write lock on SQLite)
            if not force and count_in(uow):
                return LoadResult(False, "another writer loaded parts meanwhile: demo data not loaded")
            counts = write_demo(uow, data, progress=progress)
        refresh_statistics(engine)  # the planner's statistics for the lists' sort-key indexes
        t2 = time.perf_counter()
        return LoadResult(True, "demo data loaded", counts, t1 - t0, t2 - t1, data.logins)
    finally:
        if own_engine:
            engine.dispose()


def count_in(uow: UnitOfWork) -> int:
    from setu.catalog import repository as catalog_repo

    return catalog_repo.count_parts(uow.session)


# ---- CLI ---------------------------------------------------------------------------------

demo_app = typer.Typer(help="Demo data: a deterministic, realistic data set for trying Setu out.",
                       no_args_is_help=True)


@demo_app.command("load")
@permission("admin.demo.load")
def load(
    scale: int = typer.Option(1, "--scale", min=1, max=MAX_SCALE,
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
    print_logins(console, res.logins)


def print_logins(console: Any, logins: list[dict[str, str]]) -> None:
    """The demo users, one per persona and party, with the password (and administrators' 2FA keys).

    Plain lines, never wrapped: they are copied into the login page."""
    if not logins:
        return
    from setu.demo.users import DEMO_PASSWORD

    typer.echo(f"\nDemo users (password for all: {DEMO_PASSWORD}), sign in at /login:")
    typer.echo(f"  {'user name':16} {'party':5} {'organisation':13} {'role':26} persona")
    for x in logins:
        line = f"  {x['username']:16} {x['party']:5} {x['organisation']:13} {x['role']:26} {x['persona']}"
        if x["two_factor_key"]:
            line += f"  [two-factor key {x['two_factor_key']}]"
        typer.echo(line)
    if any(x["two_factor_key"] for x in logins):
        typer.echo("Administrators also enter a code from an authenticator app holding their two-factor key "
                   "(or from `setu user totp-code USER`, for demo users only).")
