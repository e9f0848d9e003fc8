"""Exchange-rate import and export (CSV and Excel): from_currency*, to_currency*, rate*, valid_from*
(ISO date), source. A row is new (pair and date not yet held); a held pair and date with the same
rate is unchanged, with another rate it is refused (a dated rate is entered once; a correction is
a new date). Every row is checked by :class:`setu.finance.schemas.RateCreate`, as a rate entered
by hand; any error writes nothing."""
from __future__ import annotations

from typing import Any, Iterator

from pydantic import ValidationError
from setu.finance import repository as repo
from setu.finance.models import ExchangeRate
from setu.finance.schemas import RateCreate
from setu.kit.errors import ErrorList
from setu.kit.tabular import (
    Column, ExportSpec, ImportResult, ImportSpec, ProgressCallback, Rows, Writer, new_ids, now_utc, pydantic_errors,
    stream_rows,
)
from setu.kit.uow import UnitOfWork

RATE_COLUMNS = (
    Column("from_currency", True, "ISO 4217 code: INR, RUB, USD, EUR, GBP"),
    Column("to_currency", True, "ISO 4217 code; the rate is units of to_currency per from_currency"),
    Column("rate", True, "positive decimal, at most 8 decimals"),
    Column("valid_from", True, "date from which the rate is in force (YYYY-MM-DD)"),
    Column("source", help="where the figure comes from"),
)


def import_rates(uow: UnitOfWork, reader: UnitOfWork, rows: Rows, errs: ErrorList, res: ImportResult,
                 progress: ProgressCallback | None, dry_run: bool) -> None:
    held = {(r.from_currency, r.to_currency, r.valid_from): r.rate
            for r in repo.all_rates(reader.session)}
    names = {c.name for c in RATE_COLUMNS}
    seen: dict[tuple, int] = {}
    creates: list[dict[str, Any]] = []
    for n, v in rows:
        try:
            m = RateCreate.model_validate({k: v[k] for k in v if k in names and v[k] != ""})
        except ValidationError as exc:
            pydantic_errors(errs, exc, n, names, new=True)
            continue
        key = (m.from_currency, m.to_currency, m.valid_from)
        if key in seen:
            errs.add("valid_from", f"{key[0]}->{key[1]} dated {key[2]} is also on row {seen[key]}", n)
            continue
        seen[key] = n
        if key in held:
            if held[key] == m.rate:
                res.unchanged += 1
            else:
                errs.add("rate", f"a {key[0]}->{key[1]} rate dated {key[2]} is held ({held[key]}): a dated rate is "
                         "entered once; give the correction its own date", n)
            continue
        creates.append(m.model_dump())
    res.created = len(creates)
    if errs:
        return
    now = now_utc()
    w = Writer(uow, len(creates), progress, dry_run)
    w.insert(ExchangeRate, ({"id": i, "created_at": now, "updated_at": now, "version": 1,
                             "entered_by": uow.actor.name, **c} for i, c in zip(new_ids(len(creates)), creates)))


def export_rates(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [c.name for c in RATE_COLUMNS]
    t = ExchangeRate.__table__
    stmt = repo.rates((f.get("from_currency") or "").strip().upper() or None,
                      (f.get("to_currency") or "").strip().upper() or None)
    stmt = stmt.with_only_columns(*[t.c[h] for h in header]).order_by(t.c.from_currency, t.c.to_currency,
                                                                      t.c.valid_from)
    return header, (list(r) for r in stream_rows(uow, stmt))


IMPORTS = (
    ImportSpec("exchange-rates", "finance.rate.import", RATE_COLUMNS, import_rates,
               "Add dated exchange rates (one per currency pair and date)."),
)
EXPORTS = (
    ExportSpec("exchange-rates", "finance.rate.read", {"from_currency": "one source currency",
                                                      "to_currency": "one target currency"}, export_rates,
               "Export dated exchange rates (the columns of `setu import exchange-rates`)."),
)
