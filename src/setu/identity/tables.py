"""Identity export: the directory of organisations (code, name, kind, party, is_demo)."""
from __future__ import annotations

import uuid
from typing import Any, Iterator

from setu.identity import repository as repo
from setu.identity.models import Organisation, Party
from setu.kit.listing import search_clause
from setu.kit.tabular import ExportSpec, codes_by_id, stream_rows
from setu.kit.uow import UnitOfWork


def export_organisations(uow: UnitOfWork, f: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    header = ["code", "name", "kind", "party", "is_demo"]
    parties = codes_by_id(uow, Party)
    stmt = repo.organisations().order_by(Organisation.code)
    if (c := search_clause(f.get("q"), Organisation.code, Organisation.name)) is not None:
        stmt = stmt.where(c)
    if f.get("kind"):
        stmt = stmt.where(Organisation.kind == f["kind"])
    if f.get("party"):
        pid = {v: k for k, v in parties.items()}.get(str(f["party"]).strip().upper(), uuid.UUID(int=0))
        stmt = stmt.where(Organisation.party_id == pid)

    def rows() -> Iterator[list[Any]]:
        for (o,) in stream_rows(uow, stmt):
            yield [o.code, o.name, o.kind, parties.get(o.party_id), o.is_demo]

    return header, rows()


IMPORTS = ()
EXPORTS = (
    ExportSpec("organisations", "identity.organisation.read", {
        "q": "search code and name", "kind": "organisation kind, e.g. depot, oem", "party": "party code"},
        export_organisations, "Export organisations: code, name, kind, party, is_demo.", options={"q": "--q"}),
)
