"""Exchange rates through CSV import/export and `setu rates list|add` (real files, real database)."""
from __future__ import annotations

from decimal import Decimal

from typer.testing import CliRunner

from setu.app.registry import tables
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork

CLERK = system_actor("finance.clerk")


def test_csv_import_adds_rates_and_a_bad_row_writes_nothing(engine):
    good = b"from_currency,to_currency,rate,valid_from,source\nUSD,INR,84.25,2026-11-02,RBI\nUSD,RUB,80.6,2026-11-02,\n"
    bad = b"from_currency,to_currency,rate,valid_from\nUSD,EUR,0.86,2026-11-02\nUSD,INR,0,2026-12-01\n"
    with UnitOfWork(CLERK, write=True, engine=engine) as uow:
        res = tables().import_bytes(uow, "exchange-rates", bad, "csv")
        assert not res.ok and any(e.field == "rate" and e.row == 3 for e in res.errors), res.errors
        uow.commit()
    with UnitOfWork(CLERK, write=True, engine=engine) as uow:
        res = tables().import_bytes(uow, "exchange-rates", good, "csv")
        assert res.ok and res.created == 2, res.errors
        uow.commit()
    with UnitOfWork(CLERK, engine=engine) as uow:
        header, rows = tables().export_rows(uow, "exchange-rates")
        rows = list(rows)
    assert header == ["from_currency", "to_currency", "rate", "valid_from", "source"]
    assert [(r[0], r[1], Decimal(r[2])) for r in rows] == [("USD", "INR", Decimal("84.25")),
                                                           ("USD", "RUB", Decimal("80.6"))]


def test_rates_cli_adds_and_lists(settings_env):
    from setu.app.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["rates", "add", "USD", "INR", "84.25", "--valid-from", "2026-11-02", "--source", "RBI"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["rates", "add", "USD", "INR", "abc", "--valid-from", "2026-11-02"])
    assert r.exit_code == 2 and "rate" in r.output
    r = runner.invoke(app, ["rates", "list"])
    assert r.exit_code == 0 and "2026-11-02  1 USD = 84.25 INR" in r.output, r.output
