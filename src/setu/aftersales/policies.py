"""After-sales permissions. The operator's maintenance officers raise tickets; the supplier the
ticket is addressed to (an OEM or a JV organisation) acknowledges, quotes, works and resolves it;
the raiser approves a quote, closes or cancels. Which organisation is which is an object rule of
the ticket workflow (:mod:`setu.aftersales.rules`)."""
from __future__ import annotations

from setu.kit.access import declare

declare("aftersales.ticket.read", description="see tickets raised by or addressed to your organisation")
declare("aftersales.ticket.create", description="raise a ticket against an equipment unit")
declare("aftersales.ticket.update", description="answer, hold, resolve or close a ticket")
declare("aftersales.ticket.approve", description="approve a supplier's quotation for a ticket")
