"""`setu forecast file` as a whole process: lazy start-up, columnar reading and writing, returns
(`--negative`), summarised errors. Real files and real processes."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from setu.app.cli import app
from setu.kit.series_file import iter_forecast_rows, load_panel, write_csv_atomic, write_forecast_file

runner = CliRunner()
SRC = Path(__file__).resolve().parents[2] / "src"


def _file(path: Path, n: int = 40, T: int = 24, negative_every: int = 0) -> Path:
    rng = np.random.default_rng(3)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["unique_id", "ds", "y"])
        k = 0
        for i in range(n):
            for t in range(T):
                y = int(rng.random() < 0.3) * int(rng.integers(1, 6))
                k += 1
                if negative_every and k % negative_every == 0:
                    y = -1
                w.writerow([f"P-{i}", f"{2020 + t // 12}-{t % 12 + 1:02d}-01", y])
    return path


def test_the_file_command_does_not_import_the_database_or_other_capabilities(tmp_path):
    src = _file(tmp_path / "d.csv")
    code = (
        "import sys\n"
        "from setu.app.cli import app\n"
        f"sys.argv = ['setu', 'forecast', 'file', {str(src)!r}, '-h', '3', '-o', {str(tmp_path / 'o.csv')!r}]\n"
        "try:\n    app()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "bad = [m for m in ('sqlalchemy', 'pandas', 'setu.readiness', 'setu.catalog', 'setu.demo.data', 'scipy')"
        " if m in sys.modules]\n"
        "print('LOADED', bad)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(SRC)},
                         timeout=120)
    assert "LOADED []" in out.stdout, out.stdout + out.stderr
    assert (tmp_path / "o.csv").exists()


def test_root_help_still_lists_every_group():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for group in ("audit", "db", "demo", "export", "forecast", "import", "readiness", "serve", "user"):
        assert group in res.output


def test_columnar_writer_writes_what_the_row_writer_writes(tmp_path):
    panel = load_panel(_file(tmp_path / "d.csv"))
    cols = {"mean": np.linspace(0, 2, panel.n_series), "var": np.r_[np.nan, np.ones(panel.n_series - 1)],
            "model": np.array(["sba"] * panel.n_series, dtype=object)}
    for suffix in (".csv", ".csv.gz"):
        a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
        assert write_forecast_file(a, panel, 4, cols) == 4 * panel.n_series
        write_csv_atomic(b, ["unique_id", "ds", *cols], iter_forecast_rows(panel, 4, cols))
        import gzip
        rd = (lambda p: gzip.open(p, "rt").read()) if suffix.endswith(".gz") else (lambda p: p.read_text())
        ra, rb = (list(csv.reader(rd(p).splitlines())) for p in (a, b))
        assert ra[0] == rb[0] and len(ra) == len(rb)
        for x, y in zip(ra[1:], rb[1:]):   # same values (whole numbers are written without ".0")
            assert x[:2] == y[:2] and x[4] == y[4]
            assert [float(v) if v else None for v in x[2:4]] == [float(v) if v else None for v in y[2:4]]


def test_an_id_with_a_comma_is_quoted(tmp_path):
    src = tmp_path / "d.csv"
    src.write_text('unique_id,ds,y\n"A,1",1,2\n"A,1",2,0\nB,1,1\nB,2,1\n')
    res = runner.invoke(app, ["forecast", "file", str(src), "-h", "1", "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(tmp_path / "o.csv")))
    assert [r["unique_id"] for r in rows] == ["A,1", "B"]


def test_negative_values_are_summarised_or_counted_as_zero(tmp_path):
    src = _file(tmp_path / "d.csv", negative_every=7)
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["forecast", "file", str(src), "-h", "2", "-o", str(out)])
    assert res.exit_code == 2 and not out.exists()
    err = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    n_neg = (40 * 24) // 7
    assert sum("is negative" in ln for ln in err) == 20            # the first 20 only
    assert f"{n_neg - 20:,} more ({n_neg:,} errors in all" in res.output
    assert "--negative zero" in res.output
    assert err[0].startswith("error: row 8, column y")             # named by file row
    res = runner.invoke(app, ["forecast", "file", str(src), "-h", "2", "-o", str(out), "--negative", "zero"])
    assert res.exit_code == 0, res.output
    assert f"{n_neg} negative value(s) counted as zero demand" in res.output
    clean = tmp_path / "c.csv"
    with open(src) as fi, open(clean, "w") as fo:
        fo.write(fi.read().replace(",-1\n", ",0\n"))
    runner.invoke(app, ["forecast", "file", str(clean), "-h", "2", "-o", str(tmp_path / "c_out.csv")])
    assert out.read_text() == (tmp_path / "c_out.csv").read_text()
    res = runner.invoke(app, ["forecast", "file", str(src), "-h", "2", "-o", str(out), "--negative", "keep"])
    assert res.exit_code == 2 and "option --negative" in res.output


def test_a_bad_number_falls_back_to_row_by_row_errors(tmp_path):
    src = tmp_path / "d.csv"
    src.write_text("unique_id,ds,y\nA,1,2\nA,2,x\nB,1,1\n")
    res = runner.invoke(app, ["forecast", "file", str(src), "-h", "1", "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 2 and "row 3, column y" in res.output
