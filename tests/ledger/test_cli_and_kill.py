"""`setu ledger` commands, and a batch import killed with SIGKILL at random moments: all or
nothing, and a re-run with the same key makes exactly one copy."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from setu.app.cli import app
from setu.ledger import service
from setu.ledger.models import LedgerBatch, LedgerPosting
from tests.ledger.world import act, make_world

runner = CliRunner()
SRC = str(Path(__file__).resolve().parents[2] / "src")


def _entries(n):
    return {"entries": [{"memo": f"fuel {i}", "legs": [
        {"account": "due:RUS:IND", "kind": "money", "commodity": "RUB", "amount": f"{i + 1}.50"},
        {"account": "provided:RUS", "kind": "money", "commodity": "RUB", "amount": f"-{i + 1}.50"},
        {"account": "received:IND", "kind": "quantity", "commodity": "kL", "amount": "2"},
        {"account": "issued:RUS", "kind": "quantity", "commodity": "kL", "amount": "-2"}]} for i in range(n)]}


def _counts(engine):
    with engine.connect() as c:
        return (c.scalar(select(func.count()).select_from(LedgerPosting)),
                c.scalar(select(func.count()).select_from(LedgerBatch)))


def test_verify_statement_and_verify_statement_commands(engine, settings_env, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path)
    t = act(w, w.ind, service.request_support, provider="RUS", activity="exercise", category="food",
            description="rations", requested_on=date(2025, 5, 1)).id
    act(w, w.rus, service.step, transaction_id=t, action="accept")
    act(w, w.rus, service.step, transaction_id=t, action="claim", quantity="3", unit="t", unit_price="1000",
        delivered_on=date(2025, 5, 2))
    act(w, w.ind, service.step, transaction_id=t, action="confirm")
    r = runner.invoke(app, ["ledger", "verify"])
    assert r.exit_code == 0 and "ledger verified" in r.output, r.output
    ind_file, both = tmp_path / "ind.json", tmp_path / "both.json"
    r = runner.invoke(app, ["ledger", "statement", "2025", "--party", "IND", "--output", str(ind_file)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["ledger", "statement", "2025", "--party", "RUS", "--countersign", str(ind_file),
                            "--output", str(both), "--xlsx", str(tmp_path / "s.xlsx")])
    assert r.exit_code == 0 and "signed by IND, RUS" in r.output, r.output
    (tmp_path / "rus.pub").write_text(service.public_key_pem("RUS"))
    # offline: a fresh process without any database, the public key alone
    env = {**os.environ, "PYTHONPATH": SRC, "SETU_DATABASE_URL": "sqlite:////nonexistent/none.db",
           "SETU_LEDGER_KEY_DIR": str(tmp_path / "empty")}
    out = subprocess.run([sys.executable, "-m", "setu", "ledger", "verify-statement", str(both), "--public-key",
                          str(tmp_path / "rus.pub")], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "signed by RUS" in out.stdout, out.stdout + out.stderr
    doc = json.loads(both.read_text())
    doc["statement"]["totals"] = {}
    both.write_text(json.dumps(doc))
    r = runner.invoke(app, ["ledger", "verify-statement", str(both), "--public-key", str(tmp_path / "rus.pub")])
    assert r.exit_code == 1 and "altered" in r.output
    from openpyxl import load_workbook

    assert load_workbook(tmp_path / "s.xlsx").active["A3"].value.startswith("LS-2025")


def test_a_batch_import_killed_at_random_moments_leaves_all_or_nothing(engine, db_url, settings_env, monkeypatch, tmp_path):
    make_world(engine, monkeypatch, tmp_path)
    n = 150
    f = tmp_path / "batch.json"
    f.write_text(json.dumps(_entries(n)))
    env = {**os.environ, "PYTHONPATH": SRC, "SETU_DATABASE_URL": db_url, "SETU_LEDGER_KEY_DIR": str(tmp_path / "keys")}
    cmd = [sys.executable, "-m", "setu", "ledger", "import", str(f), "--key", "batch-2025-q1"]
    rng = random.Random(15)
    seen = set()
    for _ in range(6):
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 4.0))
        p.send_signal(signal.SIGKILL)
        p.wait()
        postings, batches = _counts(engine)
        assert (postings, batches) in {(0, 0), (4 * n, 1)}, (postings, batches)
        seen.add(postings)
    for _ in range(2):  # the re-runs with the same key: exactly one copy
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
    assert _counts(engine) == (4 * n, 1)
    r = runner.invoke(app, ["ledger", "verify"])
    assert r.exit_code == 0, r.output
