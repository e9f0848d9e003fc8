"""`setu forecast file`: real files in, real files out (no mocks)."""
from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from setu.app.cli import app
from setu.engine.forecasting import methods as M
from setu.engine.forecasting.panel import panel_from_long

runner = CliRunner()
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _write(path: Path, rows, header=("unique_id", "ds", "y")):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _read(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as fh:
        return list(csv.DictReader(fh))


def _demo_rows(n=30, T=18, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        first = int(rng.integers(0, 6))
        for t in range(first, T):
            y = int(rng.random() < 0.35) * int(rng.integers(1, 9))
            if y or t == first or rng.random() < 0.3:  # zero months are often left out
                year, month = 2020 + (t // 12), t % 12 + 1
                rows.append((f"P-{i:03d}", f"{year}-{month:02d}-01", y))
    return rows


def _invoke(*args):
    return runner.invoke(app, ["forecast", "file", *map(str, args)])


@pytest.mark.parametrize("model", ["ses", "croston", "sba", "tsb", "croston_opt", "adida", "imapa", "ses_opt"])
def test_point_forecasts_match_the_engine(tmp_path, model):
    rows = _demo_rows()
    src = tmp_path / "demand.csv"
    _write(src, rows)
    out = tmp_path / "fc.csv"
    res = _invoke(src, "--model", model, "--horizon", 3, "--output", out)
    assert res.exit_code == 0, res.output
    got = _read(out)
    panel = panel_from_long(*zip(*rows))
    expected = M.forecast(panel.Y, panel.start, method=model).mean
    assert len(got) == 3 * panel.n_series
    assert [r["unique_id"] for r in got[::3]] == list(panel.ids)
    # future periods continue the monthly grid after the last month of the file (2021-06)
    assert [r["ds"] for r in got[:3]] == ["2021-07-01", "2021-08-01", "2021-09-01"]
    means = np.array([float(r["mean"]) for r in got]).reshape(-1, 3)
    np.testing.assert_array_equal(means, np.repeat(expected[:, None], 3, axis=1))
    assert list(got[0]) == ["unique_id", "ds", "mean"]


def test_gzip_input_integer_periods_alpha_and_distribution_columns(tmp_path):
    rows = [("a", t, v) for t, v in enumerate([0, 3, 0, 0, 2, 0, 5, 0], start=1)]
    rows += [("b", t, v) for t, v in enumerate([1, 1, 0, 2], start=5)]
    src = tmp_path / "d.csv.gz"
    _write(src, rows)
    out = tmp_path / "o.csv"
    res = _invoke(src, "--model", "sba", "--alpha", "0.2", "--horizon", "2", "--output", out,
                  "--quantiles", "0.5,0.9", "--variance", "--lead-time", "3")
    assert res.exit_code == 0, res.output
    got = _read(out)
    assert list(got[0]) == ["unique_id", "ds", "mean", "var", "q0.5", "q0.9", "lead_time", "ltd_mean",
                            "ltd_var", "ltd_q0.5", "ltd_q0.9"]
    assert [(r["unique_id"], r["ds"]) for r in got] == [("a", "9"), ("a", "10"), ("b", "9"), ("b", "10")]
    panel = panel_from_long(*zip(*rows))
    sba = M.sba(panel.Y, panel.start, alpha=0.2).mean
    assert float(got[0]["mean"]) == sba[0] and float(got[2]["mean"]) == sba[1]
    for r in got:
        assert float(r["ltd_mean"]) == pytest.approx(3 * float(r["mean"]))
        assert float(r["q0.5"]) <= float(r["q0.9"]) and float(r["ltd_q0.5"]) <= float(r["ltd_q0.9"])
        assert float(r["var"]) >= float(r["mean"]) * (1 - 1e-12)  # NB/Poisson: var >= mean


def test_malformed_rows_are_all_reported_and_nothing_written(tmp_path):
    src = tmp_path / "bad.csv"
    with open(src, "w", newline="") as fh:
        fh.write("unique_id,ds,y\n")
        fh.write("a,2020-01-01,1\n")
        fh.write("a,2020-02-01,abc\n")  # row 3: y not a number
        fh.write(",2020-03-01,1\n")  # row 4: empty id
        fh.write("b,2020-13-01,2\n")  # row 5: bad date
        fh.write("b,2020-02-01,-1\n")  # row 6: negative
        fh.write("a,2020-01-01,4\n")  # row 7: duplicate of row 2
        fh.write("c,2020-03-01\n")  # row 8: missing y
    out = tmp_path / "out.csv"
    out.write_text("previous content\n")
    res = _invoke(src, "--model", "croston", "--horizon", 2, "--output", out)
    assert res.exit_code == 2
    text = res.output
    for expected in ["row 3, column y:", "row 4, column unique_id:", "row 5, column ds:",
                     "row 6, column y:", "row 7, column ds:"]:
        assert expected in text, text
    assert "first at row 2" in text
    assert out.read_text() == "previous content\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.csv")]
    # structural problem (too few fields) reported on its own row
    src2 = tmp_path / "short.csv"
    src2.write_text("unique_id,ds,y\na,1,2\nb,3\n")
    res = _invoke(src2, "--horizon", 1, "--output", tmp_path / "x.csv")
    assert res.exit_code == 2 and "row 3, column y: missing" in res.output
    assert not (tmp_path / "x.csv").exists()
    res = _invoke(src2, "--horizon", 0, "--model", "nope", "--output", tmp_path / "x.csv")
    assert res.exit_code == 2 and "--model" in res.output and "--horizon" in res.output
    hdr = tmp_path / "hdr.csv"
    hdr.write_text("id,date,qty\n1,2,3\n")
    res = _invoke(hdr, "--horizon", 1, "--output", tmp_path / "x.csv")
    assert res.exit_code == 2 and "row 1, column unique_id: missing from the header" in res.output


def test_workers_give_the_same_file_as_serial(tmp_path):
    rows = _demo_rows(n=60, seed=3)
    src = tmp_path / "demand.csv"
    _write(src, rows)
    serial, parallel = tmp_path / "s.csv", tmp_path / "p.csv"
    args = ["--model", "imapa", "--horizon", 2, "--quantiles", "0.9"]
    res = _invoke(src, *args, "--output", serial)
    assert res.exit_code == 0, res.output
    res = _invoke(src, *args, "--workers", 2, "--output", parallel)
    assert res.exit_code == 0, res.output
    assert serial.read_bytes() == parallel.read_bytes()
    again = tmp_path / "s2.csv"
    assert _invoke(src, *args, "--output", again).exit_code == 0
    assert again.read_bytes() == serial.read_bytes()  # deterministic


def test_raf_with_item_lead_times(tmp_path):
    src, items = DATA / "raf_demand.csv.gz", DATA / "raf_items.csv.gz"
    if not src.exists():
        pytest.skip("shared RAF data not available")
    out = tmp_path / "raf.csv.gz"
    res = _invoke(src, "--model", "croston", "--horizon", 1, "--lead-time", items, "--quantiles", "0.9",
                  "--output", out)
    assert res.exit_code == 0, res.output
    got = _read(out)
    assert len(got) == 5000 and got[0]["ds"] == "2003-01-01"
    lts = [float(r["lead_time"]) for r in got]
    assert min(lts) == 0 and max(lts) == 33


def test_auto_reports_the_chosen_method_per_series(tmp_path):
    from setu.engine.forecasting.selection import auto_select

    rows = _demo_rows(n=40, seed=5)
    src = tmp_path / "demand.csv"
    _write(src, rows)
    out = tmp_path / "auto.csv"
    res = _invoke(src, "--model", "auto", "--horizon", 2, "--output", out)
    assert res.exit_code == 0, res.output
    got = _read(out)
    assert list(got[0]) == ["unique_id", "ds", "mean", "model"]
    panel = panel_from_long(*zip(*rows))
    sel = auto_select(panel.Y, panel.start, 1)
    assert [r["model"] for r in got[::2]] == list(sel.method)
    np.testing.assert_array_equal([float(r["mean"]) for r in got[::2]], sel.mean)


def test_scheduler_address_gives_the_same_file_as_serial(tmp_path):
    from dask.distributed import LocalCluster

    rows = _demo_rows(n=50, seed=9)
    src = tmp_path / "demand.csv"
    _write(src, rows)
    serial, remote = tmp_path / "s.csv", tmp_path / "r.csv"
    args = ["--model", "croston_opt", "--horizon", 2, "--variance"]
    assert _invoke(src, *args, "--output", serial).exit_code == 0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        res = _invoke(src, *args, "--scheduler", cluster.scheduler_address, "--output", remote)
        assert res.exit_code == 0, res.output
    assert serial.read_bytes() == remote.read_bytes()
