"""After-sales service: tickets against equipment units, addressed to an OEM or JV, with SLA clocks."""
