"""Spares-order permissions. The buyer is the operator's armed services (a planner's HQ or depot,
a base): it asks for quotations, places, amends and cancels orders, receives and inspects, accepts
invoices and pays. The supplier (an OEM, an export agency or a JV) quotes or declines, acknowledges
or rejects, dispatches and invoices. Which organisation an order belongs to is an object rule of
the order workflow (:mod:`setu.orders.rules`)."""
from __future__ import annotations

from setu.kit.access import declare

BUYER_KINDS = ("armed_service_hq", "depot", "base")
SUPPLIER_KINDS = ("oem", "export_agency", "joint_venture")

declare("orders.order.read", description="see the orders your side placed or that are addressed to your organisation")
declare("orders.rfq.create", org_kinds=BUYER_KINDS, description="ask a supplier for a quotation")
declare("orders.order.approve", org_kinds=BUYER_KINDS,
        description="place, amend, cancel and close an order, accept its invoice, pay it")
declare("orders.receipt.create", org_kinds=BUYER_KINDS, description="receive and inspect a delivery")
declare("orders.quote.create", org_kinds=SUPPLIER_KINDS, description="quote for or decline a request")
declare("orders.supply.update", org_kinds=SUPPLIER_KINDS,
        description="acknowledge or reject an order, dispatch its parts")
declare("orders.invoice.create", org_kinds=SUPPLIER_KINDS, description="invoice what was accepted")
