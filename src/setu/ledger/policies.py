"""Ledger permissions. A transaction has two parties; each step belongs to one of them: the
receiver requests and confirms or disputes, the provider accepts, claims, invoices and signs off
the settlement. Confirmations and disputes are the other side's only (object rule ``counterparty``)."""
from __future__ import annotations

from setu.kit.access import declare

declare("ledger.agreement.read")
declare("ledger.agreement.update", roles=["approver", "admin"], description="set ceilings, record visits")
declare("ledger.support.read")
declare("ledger.support.create", description="request support for one's own forces")
declare("ledger.support.update", description="accept, claim, invoice support one's forces provide")
declare("ledger.claim.confirm", roles=["approver", "admin"], object_rule="counterparty",
        description="confirm or dispute receipt of the other party's claim")
declare("ledger.settlement.approve", roles=["approver", "admin"], object_rule="counterparty",
        description="sign off a settlement of value one's forces provided")
declare("ledger.posting.import", roles=["admin"], description="import a batch of postings")
declare("ledger.statement.read")
