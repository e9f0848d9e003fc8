"""Demand-history permissions. Demand records follow their site: who sees a site sees its demand
(:func:`setu.fleet.policies.visible_site_ids`)."""
from __future__ import annotations

from setu.kit.access import declare

declare("demand.record.read")
declare("demand.record.create")
declare("demand.record.import", description="import monthly demand from CSV or Excel")
