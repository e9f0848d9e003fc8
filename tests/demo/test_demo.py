"""Demo data set: determinism, shape, identifiers, bills of material, demand calibration, loading."""
from __future__ import annotations

import csv
import gzip
from collections import Counter, defaultdict

import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from setu.demo.load import POST_LOAD_HOOKS, load_demo
from setu.demo.data import (
    EQUIPMENT,
    HISTORY_MONTHS,
    RAF_STATS,
    SITES,
    demand_matrix,
    generate,
    intermittency_stats,
)
from setu.catalog.models import INTERCHANGE_CODES, PART_KINDS, UNITS_OF_ISSUE
from setu.catalog.rules import normalise_manufacturer_code, normalise_part_number, validate_nsn
from setu.catalog.models import EQUIPMENT_CATEGORIES
from setu.fleet.models import UNIT_STATUSES
from setu.identity.models import ORGANISATION_KINDS


@pytest.fixture(scope="module")
def demo():
    return generate(scale=1, seed=7)


def rows(data, table):
    return data.tables[table].rows()


# ---- determinism -------------------------------------------------------------------------

def test_same_seed_gives_identical_data_and_another_seed_different_data():
    a, b, c = generate(seed=11), generate(seed=11), generate(seed=12)
    assert a.counts() == b.counts()
    for name in a.tables:
        assert rows(a, name) == rows(b, name), name
    assert rows(a, "catalog_part") != rows(c, "catalog_part")
    assert rows(a, "demand_record") != rows(c, "demand_record")


def test_data_is_identical_across_processes():
    import os
    import subprocess
    import sys

    code = "from setu.demo.data import generate; print(generate(seed=5).digest())"
    out = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": h}).stdout.strip() for h in ("1", "2")}
    assert out == {generate(seed=5).digest()}


# ---- shape -------------------------------------------------------------------------------

def test_counts_are_in_the_stated_ranges(demo):
    n = demo.counts()
    assert n["identity_party"] == 2
    assert 12 <= n["identity_organisation"] <= 16
    assert 13 <= n["fleet_site"] <= 17
    assert n["fleet_equipment_type"] == 6
    assert 250 <= n["fleet_equipment_unit"] <= 350
    assert n["catalog_part"] == 2000
    assert n["catalog_part"] <= n["catalog_bom_line"] <= 1.3 * n["catalog_part"]
    assert 20 <= n["catalog_interchange"] <= 100
    # ~1.3 series per part with about 8.5 demand months each: bounded, see demo_data docstring
    assert 15_000 <= n["demand_record"] <= 35_000
    assert 2_000 <= n["fleet_stock_position"] <= 8_000


def test_scale_multiplies_parts_and_units():
    one, three = generate(scale=1), generate(scale=3)
    assert three.counts()["catalog_part"] == 3 * one.counts()["catalog_part"]
    assert three.counts()["fleet_equipment_unit"] == 3 * one.counts()["fleet_equipment_unit"]
    assert three.counts()["identity_organisation"] == one.counts()["identity_organisation"]


def test_parties_organisations_sites_and_fleet(demo):
    parties = {p["code"]: p for p in rows(demo, "identity_party")}
    assert (parties["IND"]["role"], parties["IND"]["currency"]) == ("operator", "INR")
    assert (parties["RUS"]["role"], parties["RUS"]["currency"]) == ("origin", "RUB")
    orgs = rows(demo, "identity_organisation")
    assert all(o["is_demo"] and "(demo)" in o["name"] for o in orgs)
    assert {o["kind"] for o in orgs} == set(ORGANISATION_KINDS)
    assert sum(o["kind"] == "joint_venture" for o in orgs) >= 2
    sites = rows(demo, "fleet_site")
    by_id = {s["id"]: s for s in sites}
    assert all("(demo)" in s["name"] for s in sites)
    assert {s["kind"] for s in sites} == {"depot", "base", "plant", "port"}
    for s in sites:
        if s["kind"] == "base":
            assert s["echelon"] == 2 and by_id[s["parent_id"]]["kind"] == "depot"
            assert by_id[s["parent_id"]]["echelon"] == 1
        else:
            assert s["echelon"] == 1 and s["parent_id"] is None
    types = rows(demo, "fleet_equipment_type")
    assert {t["category"] for t in types} == set(EQUIPMENT_CATEGORIES)
    assert all(t["origin_party_id"] == parties["RUS"]["id"] for t in types)
    units = rows(demo, "fleet_equipment_unit")
    status = Counter(u["status"] for u in units)
    assert set(status) == set(UNIT_STATUSES)
    # units down for parts are as many as the stock leaves down (tests/demo/test_demo_story.py, per type)
    assert 0.40 <= status["operational"] / len(units) <= 0.85
    assert len({(u["equipment_type_id"], u["serial"]) for u in units}) == len(units)
    base_ids = {s["id"] for s in sites if s["kind"] == "base"}
    assert all(u["site_id"] in base_ids for u in units)


# ---- identifiers and part attributes -----------------------------------------------------

def test_nsns_are_valid_unique_and_mostly_indian(demo):
    parts = rows(demo, "catalog_part")
    nsns = [p["nsn"] for p in parts if p["nsn"]]
    assert all(validate_nsn(x) == x for x in nsns)
    assert len(set(nsns)) == len(nsns)
    assert 0.25 <= len(nsns) / len(parts) <= 0.45  # about a third
    ncb = Counter(x[5:7] for x in nsns)
    assert ncb["72"] / len(nsns) >= 0.6 and len(ncb) >= 3
    # origin-country parts: mostly without NSN, with an origin designation
    rub = [p for p in parts if p["currency"] == "RUB"]
    assert sum(p["nsn"] is None for p in rub) / len(rub) > 0.7
    assert all(p["origin_designation"] for p in rub)


def test_part_identity_is_normalised_and_unique(demo):
    parts = rows(demo, "catalog_part")
    for p in parts:
        assert normalise_manufacturer_code(p["manufacturer_code"]) == p["manufacturer_code"]
        assert normalise_part_number(p["part_number"]) == p["part_number"]
    assert len({(p["manufacturer_code"], p["part_number"]) for p in parts}) == len(parts)
    # Indian facilities carry NCAGE codes of the form #***Y
    inr = [p for p in parts if p["currency"] == "INR"]
    assert inr and all(p["manufacturer_code"][0].isdigit() and p["manufacturer_code"].endswith("Y") for p in inr)


def test_part_attributes_are_plausible(demo):
    parts = rows(demo, "catalog_part")
    assert {p["currency"] for p in parts} == {"INR", "RUB", "USD"}
    assert {p["kind"] for p in parts} <= set(PART_KINDS)
    assert {p["unit_of_issue"] for p in parts} <= set(UNITS_OF_ISSUE)
    for p in parts:
        assert p["unit_price"] > 0
        if p["kind"] == "repairable":
            assert 0 <= p["condemnation_rate"] < 1 and p["repair_turnaround_days"] > 0
        else:
            assert p["condemnation_rate"] == 1.0 and p["repair_turnaround_days"] is None
    origin_lt = [p["procurement_lead_time_days"] for p in parts if p["currency"] == "RUB"]
    local_lt = [p["procurement_lead_time_days"] for p in parts if p["currency"] == "INR"]
    assert max(origin_lt) <= 18 * 30.5 and np.mean(origin_lt) > 1.5 * np.mean(local_lt)
    assert any(p["shelf_life_months"] for p in parts)
    assert sum(p["kind"] == "repairable" for p in parts) > 0.2 * len(parts)


def test_interchange_links_cover_every_code(demo):
    links = rows(demo, "catalog_interchange")
    assert {x["code"] for x in links} == set(INTERCHANGE_CODES)
    assert all(x["replaced_part_id"] != x["replacing_part_id"] for x in links)
    assert len({(x["replaced_part_id"], x["replacing_part_id"]) for x in links}) == len(links)
    assert all(x["set_code"] for x in links if x["code"] == "as_set")


# ---- bills of material -------------------------------------------------------------------

def test_boms_are_acyclic_with_consistent_levels_and_shares(demo):
    lines = rows(demo, "catalog_bom_line")
    assert len({(x["equipment_type_id"], x["parent_part_id"], x["child_part_id"]) for x in lines}) == len(lines)
    level_of: dict = {}
    for x in lines:
        assert level_of.setdefault(x["child_part_id"], x["level"]) == x["level"]  # one level per part
    children = defaultdict(set)
    share_sum: dict = defaultdict(float)
    for x in lines:
        assert x["quantity_per_assembly"] > 0 and 0 <= x["failure_share"] <= 1
        if x["parent_part_id"] is None:
            assert x["level"] == 1
            share_sum[("type", x["equipment_type_id"])] += x["failure_share"]
        else:
            assert x["level"] == level_of[x["parent_part_id"]] + 1  # levels strictly increase: acyclic
            children[x["parent_part_id"]].add(x["child_part_id"])
            share_sum[x["parent_part_id"]] += x["failure_share"]
    assert {x["level"] for x in lines} == {1, 2, 3}
    assert all(0.5 <= s <= 1.0 + 1e-9 for s in share_sum.values())
    # a depth-first walk finds no cycle either
    state: dict = {}

    def visit(node):
        state[node] = 1
        for c in children.get(node, ()):
            assert state.get(c) != 1, "cycle"
            if c not in state:
                visit(c)
        state[node] = 2

    for node in list(children):
        if node not in state:
            visit(node)
    # every part appears in some bill of material
    assert set(level_of) == {p["id"] for p in rows(demo, "catalog_part")}


# ---- demand ------------------------------------------------------------------------------

def test_demand_records_are_monthly_positive_and_unique(demo):
    recs = rows(demo, "demand_record")
    assert all(r["quantity"] >= 1 and r["quantity"] == int(r["quantity"]) for r in recs)
    assert all(r["period"].day == 1 for r in recs)
    assert len({r["period"] for r in recs}) == HISTORY_MONTHS
    assert len({(r["part_id"], r["site_id"], r["period"]) for r in recs}) == len(recs)
    parts_with_demand = {r["part_id"] for r in recs}
    assert 0.5 <= len(parts_with_demand) / demo.counts()["catalog_part"] <= 0.9
    # demand falls at sites that hold the equipment (bases) or at their parent depot
    site_kind = {s["id"]: s["kind"] for s in rows(demo, "fleet_site")}
    assert {site_kind[r["site_id"]] for r in recs} == {"base", "depot"}
    stock = rows(demo, "fleet_stock_position")
    assert len({(s["part_id"], s["site_id"]) for s in stock}) == len(stock)
    assert {(r["part_id"], r["site_id"]) for r in recs} <= {(s["part_id"], s["site_id"]) for s in stock}


def _raf_stats(path) -> dict:
    series: dict[str, list[float]] = defaultdict(list)
    with gzip.open(path, "rt", newline="") as fh:
        for row in csv.DictReader(fh):
            series[row["unique_id"]].append(float(row["y"]))
    return intermittency_stats(np.array([v for v in series.values() if len(v) == HISTORY_MONTHS]))


def _assert_close(gen: dict, ref: dict) -> None:
    assert abs(gen["zero_share"] - ref["zero_share"]) < 0.02
    for q in (25, 50, 75):
        assert abs(gen["adi_quantiles"][q] / ref["adi_quantiles"][q] - 1) < 0.2, ("ADI", q)
    for q in (25, 50, 75, 90):
        assert abs(gen["cv2_quantiles"][q] - ref["cv2_quantiles"][q]) < 0.1 + 0.2 * ref["cv2_quantiles"][q], ("CV2", q)
    assert abs(gen["cv2_mean"] - ref["cv2_mean"]) < 0.12
    assert abs(gen["size_one_share"] - ref["size_one_share"]) < 0.06
    assert abs(gen["size_quantiles"][50] - ref["size_quantiles"][50]) <= 1
    assert 0.5 <= gen["size_quantiles"][90] / ref["size_quantiles"][90] <= 2
    assert abs(gen["lumpy_share"] - ref.get("lumpy_share", 0.42)) < 0.08


def test_generated_demand_matches_the_encoded_raf_statistics(demo):
    _assert_close(intermittency_stats(demo.demand_dense()), RAF_STATS)


def test_generated_demand_matches_raf_statistics_computed_from_the_data(demo):
    from tests.conftest import shared_data

    raf = _raf_stats(shared_data("raf_demand.csv.gz"))
    # the statistics encoded in the generator are the ones the data give
    assert abs(raf["zero_share"] - RAF_STATS["zero_share"]) < 0.005
    assert raf["adi_quantiles"][50] == pytest.approx(RAF_STATS["adi_quantiles"][50], abs=0.1)
    assert raf["cv2_quantiles"][50] == pytest.approx(RAF_STATS["cv2_quantiles"][50], abs=0.01)
    _assert_close(intermittency_stats(demo.demand_dense()), raf)
    _assert_close(intermittency_stats(demand_matrix(np.random.default_rng(3), 5000)), raf)


# ---- loading -----------------------------------------------------------------------------

def expected_counts() -> dict[str, int]:
    """Rows of the generated data set, plus the organisations the demo users' personas add."""
    from setu.demo.users import EXTRA_ORGANISATIONS

    out = generate().counts()
    out["identity_organisation"] += len(EXTRA_ORGANISATIONS)
    return out


def _count(url: str) -> dict[str, int]:
    from setu.demo.load import _model_tables
    from setu.kit.db import Base, make_engine

    _model_tables()
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return {name: c.scalar(select(func.count()).select_from(Base.metadata.tables[name]))
                    for name in generate().tables}
    finally:
        engine.dispose()


def test_cli_loads_into_sqlite_and_if_empty_is_a_no_op_the_second_time(tmp_path):
    from setu.app.cli import app

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "load", "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "catalog_part" in first.output and "2,000" in first.output
    assert _count(url) == expected_counts()
    again = runner.invoke(app, ["demo", "load", "--database-url", url, "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    refused = runner.invoke(app, ["demo", "load", "--database-url", url])
    assert refused.exit_code == 1 and "already has 2,000 parts" in " ".join(refused.output.split())
    clash = runner.invoke(app, ["demo", "load", "--database-url", url, "--force"])
    assert clash.exit_code == 1 and "nothing was written" in " ".join(clash.output.split())
    assert _count(url) == expected_counts()


def test_post_load_hooks_run_in_the_same_unit_of_work(tmp_path):
    seen = {}

    def hook(uow, data):
        seen["orgs"] = dict(data.organisation_ids)
        return {"hooked": 1}

    POST_LOAD_HOOKS.append(hook)
    try:
        res = load_demo(url=f"sqlite:///{tmp_path / 'h.db'}")
    finally:
        POST_LOAD_HOOKS.remove(hook)
    assert res.loaded and res.counts["hooked"] == 1 and "IN-SPO" in seen["orgs"]


def test_load_on_each_backend(db_url):
    res = load_demo(url=db_url, migrate=False)
    assert res.loaded
    assert _count(db_url) == expected_counts()
    again = load_demo(url=db_url, migrate=False, if_empty=True)
    assert not again.loaded and "2,000 parts" in again.message


def test_equipment_specs_are_consistent():
    site_kind = {s[0]: s[2] for s in SITES}
    for e in EQUIPMENT:
        assert abs(sum(e.sites.values()) - 1) < 1e-9 and all(site_kind[s] == "base" for s in e.sites)
        assert abs(sum(e.status_mix) - 1) < 1e-9


def test_force_loads_alongside_existing_data_reusing_the_parties(tmp_path):
    from decimal import Decimal

    from setu.catalog.models import Part
    from setu.identity.models import Party
    from setu.kit.access import system_actor
    from setu.kit.db import make_engine, upgrade_database
    from setu.kit.uow import UnitOfWork

    url = f"sqlite:///{tmp_path / 'f.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with UnitOfWork(system_actor("test"), write=True, engine=engine) as uow:
        uow.session.add_all([Party(code="IND", name="India", role="operator", currency="INR"),
                             Party(code="RUS", name="Russia", role="origin", currency="RUB"),
                             Part(manufacturer_code="1ABCY", part_number="X-1", name="existing part",
                                  unit_price=Decimal("1.00"), currency="INR")])
        uow.commit()
    engine.dispose()
    with pytest.raises(Exception, match="refusing"):
        load_demo(url=url)
    res = load_demo(url=url, force=True)
    assert res.loaded and "identity_party" not in {k for k, v in res.counts.items() if v}
    n = _count(url)
    assert n["identity_party"] == 2 and n["catalog_part"] == 2001
    assert res.counts["demo users"] == 14


def test_load_is_audited_and_the_chain_verifies(tmp_path):
    from setu.catalog.models import Part
    from setu.identity.models import Party
    from setu.kit import audit
    from setu.kit.access import system_actor
    from setu.kit.db import make_engine
    from setu.kit.uow import UnitOfWork

    url = f"sqlite:///{tmp_path / 'a.db'}"
    res = load_demo(url=url)
    engine = make_engine(url)
    try:
        with UnitOfWork(system_actor("test"), engine=engine) as uow:
            s = uow.session
            assert audit.verify_database(s).ok
            entries = {e.action: e for e in s.scalars(select(audit.AuditEntry))}
            bulk = {f"{t}.bulk_insert" for t, n in res.counts.items() if n and t in generate().tables}
            # the demo users and their personas' organisations go through the ORM, one entry per row
            base = bulk | {"demo.load", "identity_organisation.insert", "identity_user.insert"}
            assert base <= set(entries)
            # the agreement's capabilities add their demo through their own services (one entry per
            # row and step); a lot release puts stock into the fleet's positions
            later = ("finance", "localisation", "ledger", "aftersales", "notifications", "contracts")
            extra = set(entries) - base
            assert all(a.startswith(later) or a == "fleet_stock_position.update" for a in extra), extra
            assert '"rows":2000' in entries["catalog_part.bulk_insert"].after
            assert entries["demo.load"].actor == "system:demo"
            # origin parts are maintained by the origin party, the others by the operator
            owners = dict(s.execute(select(Party.id, Party.code)).all())
            by_owner = Counter((owners[o], c) for o, c in s.execute(select(Part.owner_party_id, Part.currency)))
            assert set(by_owner) == {("RUS", "RUB"), ("IND", "INR"), ("IND", "USD")}
    finally:
        engine.dispose()


def test_stock_covers_the_readiness_case_and_turnarounds_are_realistic(demo):
    """LRUs are stocked at every base operating their type, every part of a bill at the depots of
    those bases (the positions the readiness service reads); repair takes 30-180 days."""
    sites = {s["id"]: s for s in rows(demo, "fleet_site")}
    stock = {(s["part_id"], s["site_id"]): s for s in rows(demo, "fleet_stock_position")}
    bases_of: dict = defaultdict(set)
    for u in rows(demo, "fleet_equipment_unit"):
        bases_of[u["equipment_type_id"]].add(u["site_id"])
    lru_base = part_depot = 0
    for ln in rows(demo, "catalog_bom_line"):
        bases = bases_of[ln["equipment_type_id"]]
        for d in {sites[b]["parent_id"] for b in bases}:
            assert (ln["child_part_id"], d) in stock
            part_depot += 1
        if ln["level"] == 1:
            for b in bases:
                assert (ln["child_part_id"], b) in stock
                lru_base += 1
    assert lru_base > 0 and part_depot > 0
    for s in stock.values():
        assert min(s["serviceable"], s["unserviceable"], s["in_repair"], s["on_order"]) >= 0
    # base LRU positions are mostly non-empty (sized from the expected pipeline)
    lru_ids = {ln["child_part_id"] for ln in rows(demo, "catalog_bom_line") if ln["level"] == 1}
    held = [sum(v for k, v in s.items() if k in ("serviceable", "unserviceable", "in_repair", "on_order"))
            for (p, site), s in stock.items() if p in lru_ids and sites[site]["echelon"] == 2]
    # (units down for parts are the positions the stock leaves empty: tests/demo/test_demo_story.py)
    assert np.mean(np.array(held) > 0) > 0.35
    tats = [p["repair_turnaround_days"] for p in rows(demo, "catalog_part") if p["kind"] == "repairable"]
    assert 30 <= min(tats) and max(tats) <= 180



def test_demo_users_one_per_persona_of_each_party_sign_in(tmp_path, monkeypatch):
    """`setu demo load` prints the demo users; each signs in with the printed password, admins with
    a two-factor code, and each sees what its organisation may see."""
    import re

    from fastapi.testclient import TestClient

    from setu.app.cli import app as cli
    from setu.app.main import create_app
    from setu.demo.users import DEMO_PASSWORD, PERSONAS
    from setu.kit import crypto
    from setu.kit.db import make_engine
    from tests.identity.test_auth_web import sign_in

    url = f"sqlite:///{tmp_path / 'u.db'}"
    out = CliRunner().invoke(cli, ["demo", "load", "--database-url", url])
    assert out.exit_code == 0, out.output
    assert DEMO_PASSWORD in out.output
    for username, *_ in PERSONAS:
        assert username in out.output
    keys = dict(re.findall(r"(ind\.admin|rus\.admin|setu\.sysadmin)\s.*?([A-Z2-7]{32})", out.output))
    assert set(keys) == {"ind.admin", "rus.admin", "setu.sysadmin"}, out.output
    engine = make_engine(url)
    try:
        for username, persona, org, role, sysadmin in PERSONAS:
            with TestClient(create_app(engine), base_url="https://testserver") as c:
                code = crypto.totp_now(keys[username]) if username in keys else None
                r = sign_in(c, username, DEMO_PASSWORD, code=code)
                assert r.status_code == 303, (username, r.status_code)
                assert c.get("/account").status_code == 200
                sites = c.get("/sites")
                if sysadmin:
                    assert sites.status_code == 403  # administers users and audit, sees no business data
                elif username.startswith("ind.") and org in ("IN-DEPOTS", "IN-BASES", "IN-AIR-HQ", "IN-SPO"):
                    assert sites.status_code == 200 and "(demo)" in sites.text
        from setu.kit import db as kdb
        from setu.kit.settings import get_settings

        monkeypatch.setenv("SETU_DATABASE_URL", url)
        get_settings.cache_clear()
        kdb.dispose_engines()
        try:
            totp = CliRunner().invoke(cli, ["user", "totp-code", "ind.admin"])
            assert totp.exit_code == 0 and re.fullmatch(r"\d{6}\s*", totp.output), totp.output
        finally:
            kdb.dispose_engines()
            get_settings.cache_clear()
    finally:
        engine.dispose()
