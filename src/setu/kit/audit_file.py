"""Audit export files: JSON Lines that the other party verifies on its own installation.

Line 1 is a header ``{"setu_audit_export": 1, "anchor_prev_hash": ..., "first_seq": ...,
"last_seq": ..., "head": {"seq": ..., "hash": ...}, "exported_at": ...}``; each further line is one
entry with every hashed field plus ``prev_hash`` and ``hash``. A verifier needs nothing but this
file and SHA-256 (see kit/audit.py for the chain rule).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from setu.kit.audit import AuditHead, VerifyResult, iter_entries, verify_entries

MAGIC = "setu_audit_export"


def export(session: Session, out: IO[str], *, since: str | None = None,
           signed_head: dict[str, Any] | None = None) -> int:
    """Write the header and entries; ``signed_head`` (setu.kit.checkpoints) goes in the header."""
    head = session.execute(select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    rows = list(iter_entries(session, since=since))
    header = {MAGIC: 1, "exported_at": datetime.now(timezone.utc).isoformat(), "since": since,
              "anchor_prev_hash": rows[0]["prev_hash"] if rows else None,
              "first_seq": rows[0]["seq"] if rows else None, "last_seq": rows[-1]["seq"] if rows else None,
              "head": {"seq": head[0], "hash": head[1]} if head else None}
    if signed_head is not None:
        header["signed_head"] = signed_head
    out.write(json.dumps(header, sort_keys=True) + "\n")
    for r in rows:
        out.write(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n")
    return len(rows)


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f, start=2):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    raise ValueError(f"line {i} is not JSON") from None


def verify_file(path: Path) -> VerifyResult:
    """Verify an export on its own: the chain from its anchor, numbering, and its recorded head."""
    with path.open(encoding="utf-8") as f:
        first = f.readline()
    try:
        header = json.loads(first)
    except json.JSONDecodeError:
        return VerifyResult(False, 0, "line 1 is not a Setu audit export header")
    if not isinstance(header, dict) or header.get(MAGIC) != 1:
        return VerifyResult(False, 0, "line 1 is not a Setu audit export header")
    entries = _lines(path)
    next(entries)  # header
    expect_last = None
    if header.get("last_seq") is not None:
        expect_last = (int(header["last_seq"]), None)
    result = verify_entries(entries, start_prev=header.get("anchor_prev_hash"),
                            expect_first=header.get("first_seq"))
    if result.ok and expect_last and result.entries and header["first_seq"] + result.entries - 1 > expect_last[0]:
        last = header["first_seq"] + result.entries - 1
        return VerifyResult(False, result.entries, f"entries {expect_last[0] + 1}..{last} follow the last entry its "
                                                   f"header records ({expect_last[0]}): they were appended to the "
                                                   "file after it was exported (forged)", expect_last[0] + 1)
    if result.ok and expect_last and result.entries and header["first_seq"] + result.entries - 1 != expect_last[0]:
        last = header["first_seq"] + result.entries - 1
        return VerifyResult(False, result.entries, f"the file ends at entry {last} but its header says "
                                                   f"{expect_last[0]}: entries were removed (truncated tail)", last + 1)
    head = header.get("head") or {}
    if result.ok and head.get("seq") == header.get("last_seq") and head.get("hash") != result.head_hash:
        return VerifyResult(False, result.entries, "the last entry does not match the head recorded in the header",
                            header.get("last_seq"))
    return result
