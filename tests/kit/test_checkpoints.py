"""Signed audit checkpoints held by both parties (issue 11): a chain rewritten with recomputed
hashes after a head was signed and handed over no longer verifies, naming the first entry that
differs; an appended forged entry is reported as appended, not as "entries 13780..13778 removed"."""
from __future__ import annotations

import json
import os
import stat

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from setu.kit import audit, audit_file, checkpoints, signing
from setu.kit.access import system_actor
from setu.kit.uow import UnitOfWork
from tests.kit.test_audit import entries, verify
from tests.support.world import build_world

pytest.importorskip("cryptography")


def _tamper(engine, *sql):
    """Write the database as its owner would, past the application and the audit triggers."""
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        else:
            c.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_update"))
            c.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_delete"))
        for s in sql:
            c.execute(text(s) if isinstance(s, str) else s)


def _held(engine, own=None):
    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        return checkpoints.verify_held(uow.session, own_public=own)


def _rewrite_from(engine, k: int) -> None:
    """What someone who can write the database file does: change entry k and recompute every
    later hash and the head, so that the chain itself verifies again."""
    rows = entries(engine)
    prev = rows[k - 2]["hash"] if k > 1 else audit.GENESIS
    stmts = []
    for r in rows[k - 1:]:
        if r["seq"] == k:
            r["actor"] = "someone-else"
        r["prev_hash"] = prev
        r["hash"] = audit.entry_hash(prev, r)
        prev = r["hash"]
        actor = r["actor"].replace("'", "''")
        stmts.append(f"UPDATE audit_entry SET actor = '{actor}', prev_hash = '{r['prev_hash']}', "
                     f"hash = '{r['hash']}' WHERE seq = {r['seq']}")
    stmts.append(f"UPDATE audit_head SET last_hash = '{prev}' WHERE id = 1")
    _tamper(engine, *stmts)


def test_sign_and_verify_a_document_and_the_key_file_is_private(tmp_path):
    path = tmp_path / "var" / "key.pem"
    key = signing.load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing.key_id(signing.load_or_create_key(path).public_key()) == signing.key_id(key.public_key())
    doc = signing.sign({"party": "IND", "seq": 3, "hash": "ab"}, key)
    assert signing.verify(doc, key.public_key())
    assert not signing.verify({**doc, "seq": 4}, key.public_key())
    other = signing.load_or_create_key(tmp_path / "other.pem")
    assert not signing.verify(doc, other.public_key())
    os.chmod(path, 0o644)
    with pytest.raises(signing.SigningError, match="chmod 600"):
        signing.load_or_create_key(path)


def test_rewritten_chain_after_an_issued_checkpoint_names_the_first_differing_entry(engine, tmp_path):
    build_world(engine)
    key = signing.load_or_create_key(tmp_path / "ind.pem")
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        doc = checkpoints.issue(uow.session, key=key, party="IND")
        uow.commit()
    assert doc["hashes_from"] == 1 and len(doc["hashes"]) == doc["seq"]
    assert _held(engine, key.public_key()).ok
    k = doc["seq"] - 4
    _rewrite_from(engine, k)
    assert verify(engine).ok  # the hash chain alone cannot tell
    r = _held(engine, key.public_key())
    assert not r.ok and r.seq == k, r
    assert f"entry {k} differs from the head signed by IND" in r.problem and "rewritten" in r.problem


def test_a_head_received_from_the_other_party_catches_a_rewrite_and_a_truncation(engine, tmp_path):
    build_world(engine)
    ind = signing.load_or_create_key(tmp_path / "ind.pem")
    rus = signing.load_or_create_key(tmp_path / "rus.pem")
    # the other party signed this chain's head (as witness) and handed it over
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        doc = checkpoints.issue(uow.session, key=rus, party="RUS")
        uow.session.execute(text("DELETE FROM audit_checkpoint"))  # what RUS keeps, not us
        uow.commit()
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        with pytest.raises(checkpoints.CheckpointError, match="trust-key RUS"):
            checkpoints.receive(uow.session, doc)  # no key registered yet
        checkpoints.trust_key(uow.session, party="RUS", public_pem=signing.public_pem(rus.public_key()))
        forged = {**doc, "hash": "f" * 64, "hashes": [*doc["hashes"][:-1], "f" * 64]}
        with pytest.raises(checkpoints.CheckpointError, match="does not verify"):
            checkpoints.receive(uow.session, forged)
        with pytest.raises(checkpoints.CheckpointError, match="does not verify"):
            checkpoints.receive(uow.session, {**signing.sign(doc, ind), "key_id": doc["key_id"]})
        assert checkpoints.receive(uow.session, doc) is True
        assert checkpoints.receive(uow.session, doc) is False  # already held
        uow.commit()
    assert _held(engine).ok
    _rewrite_from(engine, 3)
    r = _held(engine)
    assert not r.ok and r.seq == 3 and "signed by RUS" in r.problem
    # tampering with the held checkpoint itself is reported too
    _tamper(engine, "UPDATE audit_checkpoint SET document = replace(document, '\"seq\": ', '\"seq\": 1')")
    r = _held(engine)
    assert not r.ok and "not intact" in r.problem


def test_truncated_chain_below_a_signed_head_is_named(engine, tmp_path):
    build_world(engine)
    key = signing.load_or_create_key(tmp_path / "ind.pem")
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        doc = checkpoints.issue(uow.session, key=key, party="IND")
        uow.commit()
    n = doc["seq"]
    rows = entries(engine)
    _tamper(engine, f"DELETE FROM audit_entry WHERE seq > {n - 2}",
            f"UPDATE audit_head SET last_seq = {n - 2}, last_hash = '{rows[n - 3]['hash']}' WHERE id = 1")
    assert verify(engine).ok
    r = _held(engine, key.public_key())
    assert not r.ok and f"entries {n - 1}..{n} were removed" in r.problem


def test_an_appended_forged_entry_is_reported_as_appended(engine):
    build_world(engine)
    rows = entries(engine)
    last = rows[-1]
    forged = {**last, "seq": last["seq"] + 1, "actor": "forger", "prev_hash": last["hash"]}
    forged["hash"] = audit.entry_hash(last["hash"], forged)
    cols = ", ".join(forged)
    _tamper(engine, text(f"INSERT INTO audit_entry ({cols}) VALUES ({', '.join(':' + c for c in forged)})")
            .bindparams(**forged))
    r = verify(engine)
    assert not r.ok and r.seq == last["seq"] + 1
    assert "appended" in r.problem and "removed" not in r.problem, r.problem


def test_an_entry_appended_to_an_export_file_is_reported_as_appended(engine, tmp_path):
    build_world(engine)
    out = tmp_path / "export.jsonl"
    with UnitOfWork(system_actor("t"), engine=engine) as uow, out.open("w") as f:
        audit_file.export(uow.session, f)
    lines = out.read_text().splitlines()
    last = json.loads(lines[-1])
    forged = {**last, "seq": last["seq"] + 1, "actor": "forger", "prev_hash": last["hash"]}
    forged["hash"] = audit.entry_hash(last["hash"], forged)
    out.write_text("\n".join([*lines, json.dumps(forged)]) + "\n")
    r = audit_file.verify_file(out)
    assert not r.ok and "appended" in r.problem and "removed" not in r.problem, r.problem


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_checkpoint_trust_import_and_verify(settings_env, tmp_path, monkeypatch):
    """The whole exchange through `setu audit`: each side signs its head, the other side trusts
    its key and imports the signed head; after a rewrite `setu audit verify` fails naming the entry."""
    from setu.app.cli import app
    from setu.kit.db import get_engine
    from setu.kit.settings import get_settings

    monkeypatch.setenv("SETU_AUDIT_KEY_PATH", str(tmp_path / "var" / "ind.pem"))
    monkeypatch.setenv("SETU_PARTY", "IND")
    get_settings.cache_clear()
    engine = get_engine()
    build_world(engine)
    run = CliRunner().invoke
    r = run(app, ["audit", "checkpoint", "-o", str(tmp_path / "ind.checkpoint.json")])
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE((tmp_path / "var" / "ind.pem").stat().st_mode) == 0o600
    doc = json.loads((tmp_path / "ind.checkpoint.json").read_text())
    assert doc["party"] == "IND" and doc["signature"]
    r = run(app, ["audit", "export", "-o", str(tmp_path / "export.jsonl")])
    assert r.exit_code == 0, r.output
    header = json.loads((tmp_path / "export.jsonl").read_text().splitlines()[0])
    assert header["signed_head"]["seq"] == header["head"]["seq"] and header["signed_head"]["party"] == "IND"
    # the other party's key and signed head (made with its own installation's key)
    rus = signing.load_or_create_key(tmp_path / "rus.pem")
    (tmp_path / "rus.pub").write_text(signing.public_pem(rus.public_key()))
    with UnitOfWork(system_actor("t"), write=True, engine=engine) as uow:
        rus_doc = checkpoints.issue(uow.session, key=rus, party="RUS")
        uow.session.execute(text("DELETE FROM audit_checkpoint WHERE party = 'RUS'"))
        uow.commit()
    (tmp_path / "rus.checkpoint.json").write_text(json.dumps(rus_doc))
    r = run(app, ["audit", "import-checkpoint", str(tmp_path / "rus.checkpoint.json")])
    assert r.exit_code == 1 and "trust-key RUS" in r.output
    assert run(app, ["audit", "trust-key", "RUS", str(tmp_path / "rus.pub")]).exit_code == 0
    r = run(app, ["audit", "import-checkpoint", str(tmp_path / "rus.checkpoint.json")])
    assert r.exit_code == 0 and "signature verified" in r.output, r.output
    r = run(app, ["audit", "verify"])
    assert r.exit_code == 0, r.output
    _rewrite_from(engine, 4)
    r = run(app, ["audit", "verify"])
    assert r.exit_code == 1 and "entry 4 differs from the head signed by" in r.output, r.output


def test_the_periodic_task_signs_the_head_when_due_and_only_when_switched_on(engine, tmp_path, monkeypatch):
    from datetime import timedelta

    import setu.audit.service  # noqa: F401  (registers the periodic task, as the app does on start)
    from setu.kit import jobs
    from setu.kit.db import utcnow
    from setu.kit.settings import get_settings

    assert "audit.checkpoint.sign" in jobs.periodic_tasks()
    monkeypatch.setenv("SETU_AUDIT_KEY_PATH", str(tmp_path / "key.pem"))
    get_settings.cache_clear()
    try:
        now = utcnow()
        off = jobs.tick(engine, now=now, force=True)["audit.checkpoint.sign"]
        assert off == {"skipped": "SETU_AUDIT_CHECKPOINT_HOURS is 0"}
        monkeypatch.setenv("SETU_AUDIT_CHECKPOINT_HOURS", "1")
        monkeypatch.setenv("SETU_PARTY", "IND")
        get_settings.cache_clear()
        build_world(engine, n_parts=1)  # audited writes: a head to sign
        first = jobs.tick(engine, now=now, force=True)["audit.checkpoint.sign"]
        assert first["signed"] >= 1
        assert jobs.tick(engine, now=now + timedelta(minutes=30), force=True)["audit.checkpoint.sign"] == \
            {"skipped": "not due"}
        later = jobs.tick(engine, now=now + timedelta(hours=2), force=True)["audit.checkpoint.sign"]
        assert later["signed"] >= first["signed"]
        result = _held(engine, own=signing.load_or_create_key(str(tmp_path / "key.pem")).public_key())
        assert result is not None and result.ok
    finally:
        get_settings.cache_clear()
