"""Spares orders: from a request for quotation to payment, between a buyer of the operator and a supplier (OEM, export agency or JV)."""
