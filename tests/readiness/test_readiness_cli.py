"""`setu readiness evaluate|optimize`: output, bad input (exit 2, nothing written), Dask."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from setu.readiness.cli import readiness_app

runner = CliRunner()

CASE = {
    "model": "vari-metric",
    "sites": [
        {"id": "DEPOT", "echelon": "depot"},
        {"id": "B1", "echelon": "base", "parent": "DEPOT", "order_ship_time": 0.01, "units": {"FIGHTER": 12}},
        {"id": "B2", "echelon": "base", "parent": "DEPOT", "order_ship_time": 0.02, "units": {"FIGHTER": 8, "HELO": 4}},
    ],
    "items": [
        {"id": "U1", "unit_cost": 5, "depot_repair_time": 0.02531, "variance_to_mean": 1.0, "parent": None,
         "failure_share": None, "qpa": {"FIGHTER": 1},
         "demand": {"B1": {"rate": 23.2, "repair_fraction": 0.5, "repair_time": 0.01},
                    "B2": {"rate": 20.1, "repair_fraction": 0.6, "repair_time": 0.015}}},
        {"id": "U2", "unit_cost": 3, "depot_repair_time": 0.01782, "qpa": {"FIGHTER": 2, "HELO": 1},
         "demand": {"B1": {"rate": 35.2, "repair_fraction": 0.7, "repair_time": 0.02},
                    "B2": {"rate": 30.2, "repair_fraction": 0.6, "repair_time": 0.02, "order_ship_time": 0.03}}},
        {"id": "S1", "unit_cost": 1, "depot_repair_time": 0.02, "parent": "U1", "failure_share": 0.5,
         "demand": {"B1": {"repair_fraction": 0.5, "repair_time": 0.01}}},
        {"id": "S11", "unit_cost": 0.5, "depot_repair_time": 0.01, "parent": "S1", "failure_share": 0.7},
    ],
}


def _write(tmp_path: Path, name: str, data) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return p


def test_evaluate_prints_ebo_vbo_total_and_availability(tmp_path):
    case = _write(tmp_path, "case.json", CASE)
    stock = _write(tmp_path, "stock.json", {"U1": {"DEPOT": 1, "B1": 1, "B2": 1}, "U2": {"B1": 2}})
    res = runner.invoke(readiness_app, ["evaluate", str(case), "--stock", str(stock)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["model"] == "vari-metric"
    for item in ("U1", "U2", "S1", "S11"):
        for site in ("DEPOT", "B1", "B2"):
            cell = out["items"][item][site]
            assert cell["ebo"] >= 0 and cell["vbo"] >= 0
    assert out["items"]["U1"]["DEPOT"]["stock"] == 1
    assert out["total_base_ebo"] == pytest.approx(
        sum(out["items"][i][s]["ebo"] for i in ("U1", "U2") for s in ("B1", "B2")))
    assert set(out["availability"]) == {"B1", "B2"}
    assert set(out["availability"]["B2"]) == {"FIGHTER", "HELO"}
    assert set(out["availability"]["B1"]) == {"FIGHTER"}
    assert 0 < out["fleet_availability"]["FIGHTER"] < 1


def test_evaluate_model_switch(tmp_path):
    case = _write(tmp_path, "case.json", CASE)
    stock = _write(tmp_path, "stock.json", {"U1": {"DEPOT": 2, "B1": 1, "B2": 1}})
    outs = {}
    for m in ("metric", "vari-metric"):
        res = runner.invoke(readiness_app, ["evaluate", str(case), "--stock", str(stock), "--model", m])
        assert res.exit_code == 0, res.output
        outs[m] = json.loads(res.stdout)
    assert outs["metric"]["model"] == "metric"
    assert outs["vari-metric"]["items"]["U1"]["B1"]["ebo"] > outs["metric"]["items"]["U1"]["B1"]["ebo"]


def test_optimize_budget_writes_curve(tmp_path):
    case = _write(tmp_path, "case.json", CASE)
    out = tmp_path / "curve.json"
    res = runner.invoke(readiness_app, ["optimize", str(case), "--budget", "40", "--output", str(out)])
    assert res.exit_code == 0, res.output
    curve = json.loads(out.read_text())
    pts = curve["points"]
    assert pts[0]["cost"] == 0 and all(p["cost"] <= 40 for p in pts)
    assert [p["cost"] for p in pts] == sorted(p["cost"] for p in pts)
    for p in pts:
        assert set(p["stock"]) == {"U1", "U2", "S1", "S11"}
        assert set(p["stock"]["U1"]) == {"DEPOT", "B1", "B2"}
        cost = sum(lvl * c for item, c in (("U1", 5), ("U2", 3), ("S1", 1), ("S11", 0.5))
                   for lvl in p["stock"][item].values())
        assert cost == pytest.approx(p["cost"])
        assert set(p["availability"]) == {"FIGHTER", "HELO"}
    assert pts[-1]["total_base_ebo"] < pts[0]["total_base_ebo"]


def test_optimize_max_points_thins_the_output(tmp_path):
    case = _write(tmp_path, "case.json", CASE)
    full, thin = tmp_path / "full.json", tmp_path / "thin.json"
    assert runner.invoke(readiness_app, ["optimize", str(case), "--budget", "60", "--output", str(full)]).exit_code == 0
    res = runner.invoke(readiness_app, ["optimize", str(case), "--budget", "60", "--max-points", "5", "--output", str(thin)])
    assert res.exit_code == 0, res.output
    a, b = json.loads(full.read_text()), json.loads(thin.read_text())
    assert len(b["points"]) == 5 and b["curve_points"] == len(a["points"])
    assert b["points"][0] == a["points"][0] and b["points"][-1] == a["points"][-1]


def test_optimize_target_per_type(tmp_path):
    case = _write(tmp_path, "case.json", CASE)
    out = tmp_path / "curve.json"
    res = runner.invoke(readiness_app, ["optimize", str(case), "--target", "FIGHTER=0.95", "--target", "HELO=0.9",
                                        "--output", str(out)])
    assert res.exit_code == 0, res.output
    curve = json.loads(out.read_text())
    last = curve["points"][-1]["availability"]
    assert curve["target_met"] is True
    assert last["FIGHTER"] >= 0.95 and last["HELO"] >= 0.9


def test_optimize_exact_fills_the_budget(tmp_path):
    # KTH SF2863 2021 (readiness_cases.md T1): DP optimum at budget 500 is 0.63192 at cost 500
    rates = [0.05, 0.04, 0.045, 0.05, 0.025, 0.048, 0.06, 0.035, 0.015]
    times = [6, 8, 14, 25, 12, 18, 33, 8, 12]
    costs = [12, 14, 21, 20, 11, 45, 75, 30, 22]
    case = {"sites": [{"id": "S", "echelon": "base", "parent": None}],
            "items": [{"id": f"L{k}", "unit_cost": c, "demand": {"S": {"rate": m, "repair_fraction": 1, "repair_time": t}}}
                      for k, (m, t, c) in enumerate(zip(rates, times, costs))]}
    p = _write(tmp_path, "kth.json", case)
    out = tmp_path / "curve.json"
    res = runner.invoke(readiness_app, ["optimize", str(p), "--budget", "500", "--exact", "--output", str(out)])
    assert res.exit_code == 0, res.output
    last = json.loads(out.read_text())["points"][-1]
    assert last["cost"] == 500 and abs(last["total_base_ebo"] - 0.63192) <= 6e-5
    assert [last["stock"][f"L{k}"]["S"] for k in range(9)] == [1, 2, 2, 2, 1, 2, 3, 1, 1]
    res = runner.invoke(readiness_app, ["optimize", str(p), "--budget", "500", "--output", str(out)])
    last = json.loads(out.read_text())["points"][-1]
    assert last["cost"] == 431 and abs(last["total_base_ebo"] - 0.85978) <= 6e-5


def _mutate(path, value):
    case = copy.deepcopy(CASE)
    obj = case
    for key in path[:-1]:
        obj = obj[key]
    if value is KeyError:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value
    return case


BAD_CASES = [
    (("items", 0, "demand", "B1", "rate"), -1, ["item U1", "site B1", "field demand.rate"]),
    (("items", 1, "demand", "B2", "repair_fraction"), 1.5, ["item U2", "site B2", "field demand.repair_fraction"]),
    (("items", 0, "demand", "B1", "repair_time"), "soon", ["item U1", "site B1", "field demand.repair_time"]),
    (("items", 0, "demand", "B1", "order_ship_time"), -0.1, ["item U1", "site B1", "field demand.order_ship_time"]),
    (("items", 0, "demand", "B1", "rate"), KeyError, ["item U1", "site B1", "field demand.rate"]),
    (("items", 0, "demand", "B3"), {"rate": 1}, ["item U1", "site B3", "field demand"]),
    (("items", 0, "demand", "DEPOT"), {"rate": 1}, ["item U1", "site DEPOT", "field demand"]),
    (("items", 1, "unit_cost"), 0, ["item U2", "field unit_cost"]),
    (("items", 1, "unit_cost"), KeyError, ["item U2", "field unit_cost"]),
    (("items", 1, "variance_to_mean"), 0.5, ["item U2", "field variance_to_mean"]),
    (("items", 2, "parent"), "NOPE", ["item S1", "field parent"]),
    (("items", 2, "failure_share"), 1.2, ["item S1", "field failure_share"]),
    (("items", 1, "qpa"), {"FIGHTER": -1}, ["item U2", "field qpa.FIGHTER"]),
    (("items", 0, "demand", "B1", "colour"), "red", ["item U1", "site B1", "field demand.colour"]),
    (("sites", 1, "order_ship_time"), -2, ["site B1", "field order_ship_time"]),
    (("sites", 2, "units"), {"HELO": 2.5}, ["site B2", "field units.HELO"]),
    (("sites", 1, "parent"), "ELSEWHERE", ["site B1", "field parent"]),
    (("sites", 0, "echelon"), "warehouse", ["site DEPOT", "field echelon"]),
]


@pytest.mark.parametrize("path,value,parts", BAD_CASES, ids=[".".join(map(str, b[0])) for b in BAD_CASES])
@pytest.mark.parametrize("command", ["evaluate", "optimize"])
def test_bad_case_exit_2_names_item_site_field_writes_nothing(tmp_path, path, value, parts, command):
    case = _write(tmp_path, "case.json", _mutate(path, value))
    stock = _write(tmp_path, "stock.json", {})
    out = tmp_path / "curve.json"
    args = (["evaluate", str(case), "--stock", str(stock)] if command == "evaluate"
            else ["optimize", str(case), "--budget", "10", "--output", str(out)])
    res = runner.invoke(readiness_app, args)
    assert res.exit_code == 2, res.output
    for part in parts:
        assert part in res.output
    assert not out.exists()
    assert res.stdout.strip() == "" or "error" in res.output


@pytest.mark.parametrize(
    "stock,parts",
    [
        ({"U1": {"B1": -1}}, ["item U1", "site B1", "field stock"]),
        ({"U1": {"B1": 1.5}}, ["item U1", "site B1", "field stock"]),
        ({"U1": {"B9": 1}}, ["item U1", "site B9", "field stock"]),
        ({"ZZ": {"B1": 1}}, ["item ZZ", "field stock"]),
    ],
)
def test_bad_stock_exit_2(tmp_path, stock, parts):
    case = _write(tmp_path, "case.json", CASE)
    st = _write(tmp_path, "stock.json", stock)
    res = runner.invoke(readiness_app, ["evaluate", str(case), "--stock", str(st)])
    assert res.exit_code == 2
    for part in parts:
        assert part in res.output


def test_bad_files_and_options_exit_2(tmp_path):
    out = tmp_path / "curve.json"
    missing = tmp_path / "nope.json"
    res = runner.invoke(readiness_app, ["optimize", str(missing), "--budget", "1", "--output", str(out)])
    assert res.exit_code == 2 and "cannot read" in res.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    res = runner.invoke(readiness_app, ["optimize", str(broken), "--budget", "1", "--output", str(out)])
    assert res.exit_code == 2 and "invalid JSON" in res.output
    case = _write(tmp_path, "case.json", CASE)
    res = runner.invoke(readiness_app, ["optimize", str(case), "--output", str(out)])
    assert res.exit_code == 2 and "--budget" in res.output
    res = runner.invoke(readiness_app, ["optimize", str(case), "--target", "1.5", "--output", str(out)])
    assert res.exit_code == 2 and "--target" in res.output
    res = runner.invoke(readiness_app, ["optimize", str(case), "--target", "TANK=0.9", "--output", str(out)])
    assert res.exit_code == 2 and "TANK" in res.output
    res = runner.invoke(readiness_app, ["evaluate", str(case), "--stock", str(case), "--model", "metricx"])
    assert res.exit_code == 2 and "--model" in res.output
    assert not out.exists()


def _small_case() -> dict:
    sites = [{"id": "DEPOT", "echelon": "depot"}] + [
        {"id": f"B{j}", "echelon": "base", "parent": "DEPOT", "order_ship_time": 0.01 * (j + 1), "units": {"AC": 6 + j}}
        for j in range(3)]
    items = []
    for i in range(12):
        items.append({"id": f"L{i}", "unit_cost": 10 + 7 * i, "depot_repair_time": 0.03, "qpa": {"AC": 1 + i % 3},
                      "variance_to_mean": 1.0 + 0.1 * (i % 4),
                      "demand": {f"B{j}": {"rate": 5 + 3 * ((i + j) % 5), "repair_fraction": 0.3 + 0.1 * j,
                                           "repair_time": 0.02} for j in range(3)}})
    return {"model": "vari-metric", "sites": sites, "items": items}


def test_dask_local_cluster_gives_identical_curve(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    case = _write(tmp_path, "case.json", _small_case())
    serial = tmp_path / "serial.json"
    res = runner.invoke(readiness_app, ["optimize", str(case), "--budget", "3000", "--output", str(serial)])
    assert res.exit_code == 0, res.output
    par = tmp_path / "workers.json"
    res = runner.invoke(readiness_app, ["optimize", str(case), "--budget", "3000", "--workers", "2",
                                        "--output", str(par)])
    assert res.exit_code == 0, res.output
    assert json.loads(par.read_text()) == json.loads(serial.read_text())
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        sch = tmp_path / "scheduler.json"
        res = runner.invoke(readiness_app, ["optimize", str(case), "--budget", "3000", "--scheduler", cl.scheduler_address,
                                            "--output", str(sch)])
        assert res.exit_code == 0, res.output
    assert json.loads(sch.read_text()) == json.loads(serial.read_text())


def test_root_cli_mounts_readiness():
    from setu.app.cli import app

    res = runner.invoke(app, ["readiness", "--help"])
    assert res.exit_code == 0 and "evaluate" in res.output and "optimize" in res.output
